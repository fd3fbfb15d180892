from pathlib import Path

from harness.config import RunConfig
from harness.jobs.jobcommon import RESULT_PREFIX
from harness.runtimes import requirements, runtime_key
from harness.spark_site import JobRun, read_result
from harness.targets.local import LocalTarget
from harness.targets.local_spark import gpu_worker_options


def test_spark_35_runtimes_pin_numpy_1_and_its_friends():
    assert "numpy<2" in requirements("3.5.7") and "pyarrow<19" in requirements("3.5.8")
    assert not any(pin.startswith("numpy") for pin in requirements("4.1.1"))
    assert "pyspark[connect,ml]==4.1.0" in requirements("4.1.0") and "mlflow==3.17.2" in requirements("4.1.0")


def test_runtime_key_changes_with_the_pins():
    assert runtime_key("3.5.7") != runtime_key("3.5.8")
    assert runtime_key("4.1.1").startswith("spark-4.1.1-")


def test_the_last_result_line_is_the_jobs_answer(tmp_path: Path):
    log = tmp_path / "job.log"
    log.write_text(f"noise\n{RESULT_PREFIX}{{\"run_id\": \"a\"}}\nmore\n{RESULT_PREFIX}{{\"run_id\": \"b\"}}\n")
    assert read_result(log) == {"run_id": "b"}
    assert read_result(tmp_path / "missing.log") == {}


def test_a_job_without_a_result_is_a_failure_with_its_log_tail(tmp_path: Path):
    log = tmp_path / "job.log"
    log.write_text("Traceback: boom\n")
    job = JobRun("spark-submit x.py", ["x"], 1, 3.0, log, tmp_path / "job.out", {})
    assert not job.succeeded and "exited with code 1" in job.failure() and "boom" in job.failure()
    assert "timed out" in JobRun("j", [], None, 420, log, tmp_path / "job.out", {}).failure()


def test_stdout_and_stderr_are_kept_apart(tmp_path: Path):
    import sys

    from harness.spark_site import run_logged

    script = ("import sys; print('SPEC_RESULT ' + '{\"ok\": 1}'); "
              "sys.stderr.write('log line\\n')")
    job = run_logged("x", [sys.executable, "-c", script], tmp_path / "x.log", {}, 30)
    assert job.succeeded and job.result == {"ok": 1}
    assert job.log_path.read_text() == "log line\n"


def test_local_skip_reasons_say_why():
    target = LocalTarget(RunConfig())
    try:
        assert "no cluster" in target.skip_reason("k8s", "4.1.1")
        assert "Spark Connect server jar" in target.skip_reason("connect-standalone", "3.5.7")
        assert target.skip_reason("connect-standalone", "4.1.0") is None
        assert target.skip_reason("iceberg", "3.5.8") is None
        assert target.unmet_need("simulated-gpu") == "simulated GPU rows run only with -D gpu=simulated"
    finally:
        target.close()


def test_gpu_workers_get_the_discovery_script_of_their_kind():
    assert gpu_worker_options(None) == ""
    assert "gpu_discovery_simulated.sh" in gpu_worker_options("simulated")
    assert Path(gpu_worker_options("nvidia").split("discoveryScript=")[1]).exists()
