"""make acceptance's runner: which features each behave process gets, and one ledger from theirs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from harness import timings
from harness.acceptance import (FEATURES, MATRIX_FEATURES, REPO, Shard, _summarize, behave_command,
                                defines, merge_rerun_lists, plan, rerun_args, run)
from harness.matrix_grid import MatrixGrid
from harness.run_files import matrix_records, shard_ledger
from harness.system.memory import MemoryPeak
from harness.system.waiting import wait_for
from harness.waits import SHARDS_STOP_S


def test_every_feature_runs_in_exactly_one_of_two_processes():
    shards = plan(["-D", "target=local", "-D", "gpu=simulated"])
    assert [shard.name for shard in shards] == ["matrix", "others"]
    matrix, others = (set(shard.paths) for shard in shards)
    assert matrix == {str(FEATURES / name) for name in MATRIX_FEATURES}
    assert not matrix & others
    assert matrix | others == {str(path) for path in FEATURES.glob("*.feature")}


def test_a_new_feature_lands_with_the_others(tmp_path):
    for name in (*MATRIX_FEATURES, "zeta.feature"):
        (tmp_path / name).write_text("Feature: x\n")
    assert plan([], tmp_path)[1] == Shard("others", (str(tmp_path / "zeta.feature"),))


@pytest.mark.parametrize("args", [
    ["features/mlflow_api.feature"], ["features/spark_matrix.feature:33"], ["features"],
    ["-D", "target=k8s"], ["-D", "mlflow_port=5000"], ["--define=namespace=spec-mine"],
], ids=["a feature", "a scenario", "the folder", "a cluster", "a fixed port", "a fixed namespace"])
def test_what_two_processes_would_compete_for_keeps_one(args):
    assert plan(["-D", "gpu=simulated", *args]) == [Shard("all", ())]


def test_a_bad_option_stops_the_run_with_one_line_before_any_process_starts(tmp_path, capsys):
    assert run(tmp_path / "results", ["-D", "target=local", "-D", "mode=x"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["unknown option -D mode -- known options: target, gpu, mlflow_port, modes, versions, namespace, mlops_image, isolation"]
    assert not (tmp_path / "results").exists()


def test_defines_reads_every_spelling():
    assert defines(["-D", "target=k8s", "--define=gpu=simulated", "-Dversions=4.1.1", "-t", "@x"]) == {
        "target": "k8s", "gpu": "simulated", "versions": "4.1.1"}


def test_only_a_lone_process_gets_colours(tmp_path):
    shard = Shard("matrix", ("features/spark_matrix.feature",))
    beside = behave_command(shard, ["-D", "target=local"], tmp_path, alone=False)
    assert "--no-color" in beside and beside[-1] == "features/spark_matrix.feature"
    assert beside[beside.index("-o") + 1] == str(tmp_path)
    assert "--no-color" not in behave_command(Shard("all", ()), [], tmp_path, alone=True)


def test_ledgers_of_processes_side_by_side_merge_into_one(tmp_path):
    first, second, missing = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "died-before-writing.json"
    first.write_text(json.dumps({"wall_seconds": 600, "operations": {"Spark jobs": {"count": 2, "seconds": 80.5}},
                                 "outcomes": {"passed": 3, "failed": 0, "skipped": 1}}))
    second.write_text(json.dumps({"wall_seconds": 500, "operations": {
        "Spark jobs": {"count": 1, "seconds": 10.25}, "MLflow API calls": {"count": 9, "seconds": 0.5}},
        "outcomes": {"passed": 2, "failed": 1, "skipped": 0},
        "failures": ["features/mlflow_api.feature:9 The health endpoint answers"]}))
    whole = tmp_path / "timings.json"
    merged = timings.merge([first, second, missing], whole, 610, {"peak_gib": 7.5})
    assert merged == json.loads(whole.read_text())
    assert merged == {"wall_seconds": 610, "memory": {"peak_gib": 7.5},
                      "operations": {"MLflow API calls": {"count": 9, "seconds": 0.5},
                                     "Spark jobs": {"count": 3, "seconds": 90.75}},
                      "outcomes": {"passed": 5, "failed": 1, "skipped": 1},
                      "failures": ["features/mlflow_api.feature:9 The health endpoint answers"]}
    assert not first.exists() and not second.exists()


def test_the_summary_ends_with_the_failed_scenarios_of_both_processes(tmp_path, capfd):
    """CI shows a log's tail: the failed scenarios' names must be in it, not only a count."""
    for name, failures in (("matrix", ["features/spark_matrix.feature:20 Submit row [3.5.7]"]),
                           ("others", ["features/mlflow_api.feature:9 Health [answers]"])):
        timings.write(shard_ledger(name, tmp_path), 100.0, None, {"passed": 1, "failed": 1}, failures)
    _summarize([Shard("matrix", ()), Shard("others", ())], tmp_path / "results", 600.0, MemoryPeak(),
               reports=tmp_path)
    tail = "".join(capfd.readouterr()).strip().splitlines()[-2:]
    assert tail == ["failed: features/spark_matrix.feature:20 Submit row [3.5.7]",
                    "failed: features/mlflow_api.feature:9 Health [answers]"]


def test_the_runner_makes_one_matrix_of_both_processes_records(tmp_path, capfd):
    """A matrix scenario can run in either process: the grid is one of both processes' records."""
    for name, cell in (("matrix", ("iceberg", "4.1.1")), ("others", ("standalone-submit", "4.1.1"))):
        part = MatrixGrid()
        part.record(*cell, "passed", 40.0)
        part.save_records(matrix_records(name, tmp_path))
    shards = [Shard("matrix", ()), Shard("others", ())]
    _summarize(shards, tmp_path / "results", 600.0, MemoryPeak(), reports=tmp_path)
    markdown = (tmp_path / "matrix.md").read_text()
    assert "| standalone-submit | - | - | - | pass 40s |" in markdown
    assert "| iceberg | - | - | - | pass 40s |" in markdown
    assert not matrix_records("matrix", tmp_path).exists() and not matrix_records("others", tmp_path).exists()
    assert "Spark matrix: mode x version" in "".join(capfd.readouterr())


PLATFORM_FEATURE = """
Feature: {name}
  Scenario: The platform comes up but the check fails
    Given the platform is running
    Then the bucket "no-such-bucket" exists in the artifact store
"""


def test_ctrl_c_to_the_runner_stops_both_processes_and_leaves_nothing_behind(tmp_path, private_tmp, survivors,
                                                                           leak_marker, run_env):
    """Each behave process gets one SIGINT from the runner, stops its own platform and removes its folder."""
    features = tmp_path / "features"
    features.mkdir()
    for part in ("environment.py", "steps", "support"):
        (features / part).symlink_to(REPO / "features" / part)
    for name in (MATRIX_FEATURES[0], "other.feature"):
        (features / name).write_text(PLATFORM_FEATURE.format(name=name))
    marker = leak_marker
    program = ("import sys; from pathlib import Path; from harness.acceptance import run; "
               "from harness.system.process import stop_on_interrupts; stop_on_interrupts(); "
               "sys.exit(run(Path(sys.argv[1]), ['-D', 'target=local'], Path(sys.argv[2])))")
    runner = subprocess.Popen([sys.executable, "-c", program, str(tmp_path / "results"), str(features)], cwd=REPO,
                              env=run_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert runner.stdout is not None
    starting = set()
    for line in runner.stdout:
        if "starting the MLflow server" in line:
            starting.add(line.split("|")[0].strip())
        if starting == {"matrix", "others"}:
            break
    wait_for(lambda: sum("mlflow" in s and "server" in s for s in survivors(marker)) >= 2,
             "both processes' MLflow servers", 60)
    runner.send_signal(signal.SIGINT)
    output, _ = runner.communicate(timeout=SHARDS_STOP_S + 30)
    assert runner.returncode == 130, output
    assert "acceptance, both processes: 0 passed" in output, output  # the processes' ledgers were merged
    assert {line.split("|")[0].strip() for line in output.splitlines() if "ABORTED: By user." in line} == starting
    assert survivors(marker) == []
    assert list(private_tmp.iterdir()) == []


def test_the_processes_failed_scenarios_become_one_rerun_list_with_the_runs_options(tmp_path):
    (tmp_path / "rerun-matrix.txt").write_text("# -- RERUN: 1 failing scenarios during last test run.\n"
                                               "features/spark_matrix.feature:37\n")
    (tmp_path / "rerun-others.txt").write_text("features/mlflow_api.feature:24\n")
    failed = merge_rerun_lists([Shard("matrix", ()), Shard("others", ())], {"gpu": "simulated"}, tmp_path)
    assert failed == ["features/spark_matrix.feature:37", "features/mlflow_api.feature:24"]
    assert (tmp_path / "rerun.txt").read_text() == "features/spark_matrix.feature:37\nfeatures/mlflow_api.feature:24\n"
    assert not (tmp_path / "rerun-matrix.txt").exists()
    args = rerun_args(["-D", "target=local", "--tags=~@slow"], tmp_path)
    assert args == ["-D", "gpu=simulated", "-D", "target=local", "--tags=~@slow",
                    "features/spark_matrix.feature:37", "features/mlflow_api.feature:24"]
    assert "-f" in behave_command(Shard("all", ()), [], tmp_path, True, tmp_path) and \
        str(tmp_path / "rerun-all.txt") in behave_command(Shard("all", ()), [], tmp_path, True, tmp_path)


def test_a_rerun_after_a_green_run_says_so_and_runs_nothing(tmp_path, capsys):
    merge_rerun_lists([Shard("all", ())], {}, tmp_path)
    assert rerun_args([], tmp_path) is None
    assert run(tmp_path / "results", [], rerun=True, reports=tmp_path) == 0
    assert "nothing to rerun: no scenario failed in the last run" in capsys.readouterr().err


def test_a_rerun_lays_its_cells_over_the_last_runs_grid(tmp_path):
    last = MatrixGrid()
    last.record("iceberg", "4.1.1", "failed", 3.0)
    last.record("gpu", "4.1.1", "simulated", 17.0)
    last.write(tmp_path)
    again = MatrixGrid()
    again.record("iceberg", "4.1.1", "passed", 41.0)
    grid = MatrixGrid.rerun_over(tmp_path / "matrix-records.json", again)
    assert grid.cells[("iceberg", "4.1.1")].label == "pass 41s"
    assert grid.cells[("gpu", "4.1.1")].label == "sim 17s"
