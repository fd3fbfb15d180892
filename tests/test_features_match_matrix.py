"""The features tabulate exactly the matrix harness/matrix.py defines: no cell missing, none extra."""

from pathlib import Path

from behave.parser import parse_file

from harness.matrix import MODES, SPARK_VERSIONS, all_cells

FEATURES = Path(__file__).resolve().parent.parent / "features"


def _outlines(feature_file: str):
    return [s for s in parse_file(str(FEATURES / feature_file)).scenarios if s.keyword == "Scenario Outline"]


def _rows(outline) -> list[dict[str, str]]:
    return [dict(zip(row.headings, row.cells)) for examples in outline.examples for row in examples.table.rows]


def test_every_mode_has_an_outline_over_every_version():
    versions_by_mode: dict[str, list[str]] = {}
    for outline in _outlines("spark_matrix.feature"):
        mode = outline.name.split(":")[0].split(" ")[0]
        if "simulated" in outline.name:
            continue
        versions_by_mode[mode] = [row["version"] for row in _rows(outline)]
    assert sorted(versions_by_mode) == sorted(MODES)
    assert all(versions == list(SPARK_VERSIONS) for versions in versions_by_mode.values()), versions_by_mode


def test_the_chart_feature_renders_every_cell_and_lints_every_mode():
    outlines = {outline.name: _rows(outline) for outline in _outlines("chart.feature")}
    render = next(rows for name, rows in outlines.items() if "renders valid objects" in name)
    assert sorted((row["mode"], row["version"]) for row in render) == sorted(all_cells())
    lint = next(rows for name, rows in outlines.items() if "helm lint" in name)
    assert sorted(row["mode"] for row in lint) == sorted(MODES)


def test_every_mode_has_ci_values():
    ci = FEATURES.parent / "charts" / "spark-standalone" / "ci"
    assert sorted(path.name for path in ci.glob("*-values.yaml")) == sorted(f"{mode}-values.yaml" for mode in MODES)
