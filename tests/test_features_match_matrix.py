"""The features tabulate exactly the matrix harness/matrix.py defines: no cell missing, none extra."""

from pathlib import Path

from behave.parser import parse_file

from harness.matrix import MODES, SPARK_VERSIONS, all_cells
from harness.spark.local import LiveVersions
from harness.targets.local import LOCAL_NEEDS
from harness.targets.needs import cell_needs

FEATURES = Path(__file__).resolve().parent.parent / "features"


def _outlines(feature_file: str):
    return [s for s in parse_file(str(FEATURES / feature_file)).scenarios if s.keyword == "Scenario Outline"]


def _rows(outline) -> list[dict[str, str]]:
    return [dict(zip(row.headings, row.cells)) for examples in outline.examples for row in examples.table.rows]


def _matrix_rows() -> list[dict[str, str]]:
    """Every Examples row of the matrix feature that names a cell, with its table's tags."""
    rows = []
    for outline in _outlines("spark_matrix.feature"):
        for examples in outline.examples:
            for row in examples.table.rows:
                cells = dict(zip(row.headings, row.cells))
                if "mode" in cells:
                    rows.append(cells | {"tags": " ".join(examples.tags)})
    return rows


def test_the_matrix_feature_tabulates_every_cell_exactly_once():
    # Simulated GPU rows stand beside the real ones; they never count as a cell of the matrix.
    real = sorted((row["mode"], row["version"]) for row in _matrix_rows() if "simulated" not in row["tags"])
    assert real == sorted(all_cells())


def test_the_simulated_gpu_rows_cover_every_version_and_are_tagged_so():
    simulated = [row for row in _matrix_rows() if "needs-simulated-gpu" in row["tags"]]
    assert sorted(row["version"] for row in simulated) == sorted(SPARK_VERSIONS)
    assert all(row["mode"] == "gpu" and "simulated" in row["gpu source"] for row in simulated)


def test_cells_that_need_a_cluster_or_a_gpu_are_tagged_for_it():
    for row in _matrix_rows():
        if row["mode"] in ("k8s", "connect-k8s"):
            assert "needs-k8s" in row["tags"], row
        if row["mode"] == "gpu":
            assert "needs-gpu" in row["tags"] or "needs-simulated-gpu" in row["tags"], row


def test_the_chart_feature_renders_every_cell_and_lints_every_mode():
    outlines = {outline.name: _rows(outline) for outline in _outlines("chart.feature")}
    render = next(rows for name, rows in outlines.items() if "renders valid objects" in name)
    assert sorted((row["mode"], row["version"]) for row in render) == sorted(all_cells())
    lint = next(rows for name, rows in outlines.items() if "helm lint" in name)
    assert sorted(row["mode"] for row in lint) == sorted(MODES)


def test_every_mode_has_ci_values():
    ci = FEATURES.parent / "charts" / "spark-standalone" / "ci"
    assert sorted(path.name for path in ci.glob("*-values.yaml")) == sorted(f"{mode}-values.yaml" for mode in MODES)


def test_the_local_matrix_restarts_few_spark_clusters_with_two_versions_alive():
    """The rows' order is what makes keeping two versions alive cheap: each outline starts on the versions
    the one before ended with. 4 starts are the least (one per version); a cluster start costs about 6 s."""
    live, starts = LiveVersions(limit=2), 0
    for row in _matrix_rows():
        if "needs-gpu" in row["tags"].split() or not set(cell_needs(row["mode"], row["version"])) <= LOCAL_NEEDS:
            continue
        starts += row["version"] not in live.running
        live.use(row["version"])
    assert starts == 8, "rows reordered? each version's cluster starts twice at most"


def test_the_least_recently_used_version_makes_room():
    live = LiveVersions(limit=2)
    assert [live.use(v) for v in ("3.5.7", "3.5.8", "3.5.7", "4.1.1", "4.1.1")] == [[], [], [], ["3.5.8"], []]
    assert live.running == ["3.5.7", "4.1.1"]


def test_the_smoke_lane_takes_a_scenario_of_every_feature_and_the_newest_spark_of_every_mode():
    """`make smoke` runs what @smoke tags: chosen on the scenarios, never by a hand list."""
    untagged = []
    for path in sorted(FEATURES.glob("*.feature")):
        feature = parse_file(str(path))
        smoke = [scenario for scenario in feature.walk_scenarios() if "smoke" in scenario.effective_tags]
        if not smoke:
            untagged.append(path.name)
    assert untagged == []
    smoke_rows = [row for row in _matrix_rows() if "smoke" in row["tags"].split()]
    assert {row["mode"] for row in smoke_rows} == set(MODES)
    assert {row["version"] for row in smoke_rows} == {SPARK_VERSIONS[-1]}
