from pathlib import Path

from harness.config import RunConfig
from harness.spark.jobs.jobcommon import RESULT_PREFIX
from harness.spark.runtimes import requirements, runtime_key
from harness.spark.site import JobRun, read_result
from harness.targets.local import LocalTarget
from harness.spark.local import gpu_discovery_script
from harness.spark.training import GPU_PROBE_TASKS, gpu_address_problems, gpu_assignment_problems
from harness.targets.k8s.spark_site import kubernetes_application_state


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

    from harness.spark.site import run_logged

    script = ("import sys; print('SPEC_RESULT ' + '{\"ok\": 1}'); "
              "sys.stderr.write('log line\\n')")
    job = run_logged("x", [sys.executable, "-c", script], tmp_path / "x.log", {}, 30)
    assert job.succeeded and job.result == {"ok": 1}
    assert job.log_path.read_text() == "log line\n"


def test_local_skip_reasons_say_why():
    target = LocalTarget(RunConfig())
    try:
        assert "the local target has none" in target.skip_reason("k8s", "4.1.1")
        assert "no Connect server jar" in target.skip_reason("connect-standalone", "3.5.7")
        assert target.skip_reason("connect-standalone", "4.1.0") is None
        assert target.skip_reason("iceberg", "3.5.8") is None
        assert target.unmet_need("simulated-gpu") == "simulated GPU rows run only with -D gpu=simulated"
    finally:
        target.close()


def test_each_gpu_kind_has_a_discovery_script():
    assert gpu_discovery_script(None) is None
    assert gpu_discovery_script("simulated").exists() and gpu_discovery_script("nvidia").exists()


def test_every_task_must_get_exactly_one_gpu():
    good = {str(task): ["sim-0"] for task in range(GPU_PROBE_TASKS)}
    assert gpu_assignment_problems(good) == []
    assert gpu_assignment_problems({**good, "0": []}) == ["task 0 was given [], expected exactly one GPU"]
    assert "3 tasks reported a GPU" in gpu_assignment_problems({"0": ["a"], "1": ["a"], "2": ["a"]})[0]


def test_recorded_gpus_must_be_what_the_discovery_script_reported_and_say_what_they_are():
    simulated = {"name": "gpu", "addresses": ["sim-0", "sim-1"]}
    assert gpu_address_problems(["sim-0"], simulated, "the simulated discovery script") == []
    assert gpu_address_problems(["sim-7"], simulated, "the simulated discovery script")
    # Simulated addresses can never pass as nvidia-smi's, nor real ones as simulated.
    assert gpu_address_problems(["sim-0"], simulated, "nvidia-smi")
    assert gpu_address_problems(["0"], {"name": "gpu", "addresses": ["0"]}, "the simulated discovery script")
    assert gpu_address_problems(["0", "1"], {"name": "gpu", "addresses": ["0", "1"]}, "nvidia-smi") == []
    assert gpu_address_problems([], simulated, "the simulated discovery script") == ["the run records no GPU address"]
    assert "resource JSON" in gpu_address_problems(["sim-0"], {"addresses": ["sim-0"]},
                                                   "the simulated discovery script")[0]


def test_a_kubernetes_application_is_as_its_executor_pods_are():
    assert kubernetes_application_state([]) is None
    assert kubernetes_application_state(["Running", "Succeeded"]) == "RUNNING"
    assert kubernetes_application_state(["Succeeded", "Failed"]) == "FINISHED"


def test_a_jobs_timeline_runs_from_launch_to_exit(tmp_path):
    result = {"python_started_at": 1006.0, "phases": {"imports": 3.0, "SparkSession": 7.5, "train": 12.0}}
    job = JobRun("spark-submit x.py", [], 0, 31.0, tmp_path / "job.log", tmp_path / "job.out", result, 1000.0)
    assert job.timeline() == [("launch until the driver's Python began", 6.0), ("imports", 3.0),
                              ("SparkSession", 7.5), ("train", 12.0), ("launcher exit", 2.5)]
    assert job.timeline_text().splitlines()[-1].strip() == "31.0 s  in all"


def test_a_job_that_reported_no_phases_has_no_timeline(tmp_path):
    assert JobRun("j", [], 0, 5.0, tmp_path / "l", tmp_path / "o", {"run_id": "r"}, 1.0).timeline() == []
