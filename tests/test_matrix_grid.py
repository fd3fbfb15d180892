"""The run's mode x version grid: how scenarios of one cell add up, and what the picture and table say."""

import json
import xml.etree.ElementTree as ET

from harness.matrix_grid import ATTACHMENT_NAME, COLOURS, MatrixGrid, show_whole_run, totals_text


def test_a_cell_fails_if_any_of_its_scenarios_failed_and_sums_their_time():
    grid = MatrixGrid()
    grid.record("gpu", "4.1.1", "passed", 20.0)
    grid.record("gpu", "4.1.1", "failed", 5.0)
    grid.record("gpu", "4.1.1", "skipped", 0.0, "needs a GPU")
    cell = grid.cells[("gpu", "4.1.1")]
    assert (cell.status, cell.label) == ("failed", "FAIL 25s")


def test_a_cell_with_a_run_scenario_is_not_skipped():
    grid = MatrixGrid()
    grid.record("gpu", "3.5.7", "skipped", 0.0, "needs a GPU")
    grid.record("gpu", "3.5.7", "passed", 19.4)
    assert grid.cells[("gpu", "3.5.7")].label == "pass 19s"


def test_skips_are_footnoted_by_reason_in_markdown_and_svg():
    grid = MatrixGrid()
    for version in ("3.5.7", "3.5.8"):
        grid.record("k8s", version, "skipped", 0.0, "needs a Kubernetes cluster")
    grid.record("connect-standalone", "3.5.7", "skipped", 0.0, "no Connect jar in the wheel")
    markdown = grid.markdown()
    assert "| k8s | skip[1] | skip[1] | - | - |" in markdown
    assert "| connect-standalone | skip[2] | - | - | - |" in markdown
    assert "[2] no Connect jar in the wheel" in markdown
    texts = [element.text for element in ET.fromstring(grid.svg()).iter() if element.text]
    assert "[1] needs a Kubernetes cluster" in texts and texts.count("skip[1]") == 2


def test_nothing_recorded_until_a_matrix_scenario_ends():
    grid = MatrixGrid()
    assert not grid.recorded
    grid.record("iceberg", "4.1.1", "passed", 44.0)
    assert grid.recorded


def test_the_json_the_bench_reads_adds_up_per_mode():
    grid = MatrixGrid()
    grid.record("iceberg", "4.1.1", "passed", 44.0)
    grid.record("iceberg", "4.1.0", "passed", 40.0)
    grid.record("gpu", "4.1.1", "passed", 20.5)
    assert totals_text(json.loads(grid.as_json())) == "Spark matrix of the last run: 104s in all (gpu 20s, iceberg 84s)"


def test_records_of_processes_side_by_side_make_the_grid_one_process_would(tmp_path):
    alone, first, second = MatrixGrid(), MatrixGrid(), MatrixGrid()
    records = [("iceberg", "4.1.1", "passed", 44.0, ""), ("standalone-submit", "4.1.1", "passed", 90.0, ""),
               ("k8s", "3.5.7", "skipped", 0.0, "needs a Kubernetes cluster"), ("iceberg", "4.1.1", "failed", 3.0, "")]
    for number, record in enumerate(records):
        alone.record(*record)
        (first if number % 2 else second).record(*record)
    parts = [tmp_path / "matrix-a.json", tmp_path / "matrix-b.json", tmp_path / "matrix-died-first.json"]
    first.save_records(parts[0])
    second.save_records(parts[1])
    merged = MatrixGrid.merged(parts)
    assert merged.as_json() == alone.as_json()
    assert merged.markdown() == alone.markdown()
    assert not any(part.exists() for part in parts)


def test_the_attachments_of_each_process_show_the_whole_runs_grid(tmp_path):
    whole = MatrixGrid()
    whole.record("gpu", "4.1.1", "passed", 20.0)
    whole.record("iceberg", "3.5.7", "passed", 40.0)
    for name, source in ((ATTACHMENT_NAME, "a-attachment.svg"), ("run", "b-attachment.json")):
        (tmp_path / source).write_text("one process's part")
        (tmp_path / f"{source[0]}-result.json").write_text(json.dumps(
            {"name": "a scenario", "attachments": [{"name": name, "source": source, "type": "image/svg+xml"}]}))
    assert show_whole_run(tmp_path, whole) == 1
    assert (tmp_path / "a-attachment.svg").read_text() == whole.svg()
    assert (tmp_path / "b-attachment.json").read_text() == "one process's part"


def test_a_pass_on_simulated_gpus_is_its_own_state_with_its_own_colour_and_legend():
    grid = MatrixGrid()
    grid.record("gpu", "4.1.1", "skipped", 0.0, "needs a GPU")
    grid.record("gpu", "4.1.1", "simulated", 17.0)
    grid.record("standalone-submit", "4.1.1", "passed", 35.0)
    cell = grid.cells[("gpu", "4.1.1")]
    assert cell.status == "simulated" and cell.label == "sim 17s"
    assert COLOURS["simulated"] != COLOURS["passed"]
    svg = grid.svg()
    assert f'fill="{COLOURS["simulated"]}"' in svg and "passed on simulated GPUs" in svg
    assert "sim: passed on simulated GPUs" in grid.markdown()
    grid.record("gpu", "4.1.1", "failed", 3.0)
    assert cell.status == "failed"


def test_the_legend_names_only_the_marks_the_grid_shows():
    grid = MatrixGrid()
    for mode, version in grid.cells:
        grid.record(mode, version, "passed", 1.0)
    assert grid.legend() == []
