"""features/support: the one place that decides skips, and the MLflow promise probes' pure parts."""

from pathlib import Path

from harness.config import RunConfig
from harness.mlflow.promises import Promise, example_host, uvicorn_workers
from harness.targets.local import LocalTarget
from support.scenario import matrix_cells, skip_reason  # features/ is on the path, as behave puts it there


def test_the_matrix_cell_is_read_from_the_step_that_names_it():
    steps = ["the platform is running", "the platform runs Spark 4.1.1 in connect-standalone mode", "a job runs"]
    assert matrix_cells(steps) == [("connect-standalone", "4.1.1")]
    assert matrix_cells(["the platform is running"]) == []


def test_skips_come_from_tags_and_from_the_cell_the_steps_name():
    target = LocalTarget(RunConfig(versions=("3.5.7", "4.1.1")))
    try:
        assert "needs a Kubernetes cluster" in skip_reason(target, ["needs-k8s"], [])
        assert "no Connect server jar" in skip_reason(target, [], [("connect-standalone", "3.5.7")])
        assert "not selected" in skip_reason(target, [], [("standalone-submit", "3.5.8")])
        assert skip_reason(target, ["ws-001-07"], [("iceberg", "4.1.1")]) is None
    finally:
        target.close()


def test_uvicorn_workers_are_the_spawned_children():
    tree = ["mlflow server --workers=2", "python -m uvicorn --workers 2 app",
            "python -B -c from multiprocessing.resource_tracker import main;main(6)",
            "python -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=9)",
            "python -B -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=13)"]
    assert uvicorn_workers(tree) == 2
    assert uvicorn_workers(tree[:2]) == 0


def test_a_promise_reads_as_a_line():
    assert Promise("--workers=2", "serves with 2 worker processes", False, "1 runs").line() == \
        "[BROKEN] --workers=2: serves with 2 worker processes -- 1 runs"


def test_a_password_in_an_argument_never_reaches_the_report():
    line = Promise("--backend-store-uri=postgresql+psycopg2://mlflow:s3cret@db:5432/mlflow", "keeps", True, "").line()
    assert "s3cret" not in line and "mlflow:***@db:5432" in line


def test_an_allowed_host_pattern_becomes_a_host_it_accepts():
    import fnmatch
    for pattern in ("localhost:*", "172.1[6-9].*", "10.*", "mlflow.example.org"):
        assert fnmatch.fnmatch(example_host(pattern, "5000"), pattern), pattern
    assert example_host("172.3[01].*", "5000") == "172.30.5000"


def test_no_feature_groups_scenarios_in_rules():
    """allure-behave 2.16 wraps only a feature's own scenarios: those inside a Rule ran without a test in the
    report and every attachment they made raised KeyError (seen in a full run)."""
    features = Path(__file__).resolve().parents[1] / "features"
    assert [path.name for path in features.glob("*.feature")
            if any(line.strip().startswith("Rule:") for line in path.read_text().splitlines())] == []
