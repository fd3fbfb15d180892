"""The k8s target's cluster code against fakes of the kubernetes client (no cluster can be had here). Each
test pins a defect found by reading the code against the client's source (issue 13)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
from types import SimpleNamespace as NS
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from harness.config import RunConfig
from harness.errors import SuiteError
from harness.spark.site import masked, run_logged
from harness.system.process import _group_alive
from harness.system.waiting import wait_for
from harness.targets.k8s import cluster as cluster_module
from harness.targets.k8s import portforward as portforward_module
from harness.targets.k8s import spark_site as spark_site_module
from harness.targets.k8s import target as target_module
from harness.targets.k8s.cluster import Cluster, ExecFailed, PodRef
from harness.targets.k8s.portforward import PortForward
from harness.targets.k8s.spark_site import K8sSparkSite, driver_requirements, driver_script, in_pod_job, kill_group
from harness.targets.k8s.target import K8sTarget


def _pod(name: str, ready: bool = True, deleting: bool = False, uid: str = "u1", restarts: int = 0) -> NS:
    status = NS(conditions=[NS(type="Ready", status="True" if ready else "False")], pod_ip="10.0.0.7",
                init_container_statuses=[NS(name="spark-conf", restart_count=0)],
                container_statuses=[NS(name="master", restart_count=restarts)], phase="Running")
    return NS(metadata=NS(name=name, uid=uid, deletion_timestamp="now" if deleting else None), status=status)


class FakeCore:
    def __init__(self, pods: list[NS] | None = None) -> None:
        self.pods = pods or []
        self.calls: list[tuple[Any, ...]] = []
        self.namespace_reads = 0

    def list_namespaced_pod(self, namespace: str, label_selector: str = "", **kwargs: Any) -> NS:
        return NS(items=self.pods)

    def read_namespaced_pod_log(self, pod: str, namespace: str, **kwargs: Any) -> str:
        self.calls.append(("log", pod, kwargs["container"], kwargs["previous"]))
        return f"log of {pod}/{kwargs['container']}{' (previous)' if kwargs['previous'] else ''}"

    def delete_namespace(self, namespace: str, **kwargs: Any) -> None:
        self.calls.append(("delete_namespace", namespace))

    def read_namespace(self, namespace: str, **kwargs: Any) -> None:
        self.namespace_reads += 1
        if self.namespace_reads >= 2:
            raise ApiException(status=404, reason="Not Found")

    def connect_get_namespaced_pod_exec(self) -> None:  # only passed to the (faked) stream
        raise AssertionError("not called directly")


class FakeSession:
    def __init__(self, output: str, code: int, runs_forever: bool = False) -> None:
        self.output, self.code, self.runs_forever, self.updates = output, code, runs_forever, 0

    def is_open(self) -> bool:
        return self.runs_forever or self.updates < 1

    def update(self, timeout: float) -> None:
        self.updates += 1
        time.sleep(0.01)

    def peek_stdout(self) -> bool:
        return bool(self.output)

    def read_stdout(self) -> str:
        text, self.output = self.output, ""
        return text

    def peek_stderr(self) -> bool:
        return False

    def read_stderr(self) -> str:
        return ""

    @property
    def returncode(self) -> int:
        return self.code

    def close(self) -> None:
        self.closed = True


def _cluster(core: FakeCore, made: list[FakeCore] | None = None) -> Cluster:
    def new_core() -> FakeCore:
        if made is not None:
            made.append(FakeCore())
        return core
    return Cluster(new_core, "spec-test")


# 1: every exec gets an ApiClient of its own (stream() swaps call_api on the one it is given)
def test_each_exec_gets_its_own_api_client(monkeypatch):
    made: list[FakeCore] = []
    monkeypatch.setattr(cluster_module, "stream", lambda *a, **k: FakeSession("ok", 0))
    cluster = _cluster(FakeCore(), made)
    cluster.exec_in("p", ["true"])
    cluster.exec_in("p", ["true"])
    assert len(made) == 3  # one for plain requests, one per exec


# 5: an exec's exit status counts, and a timeout is an error with the output's tail
def test_an_exec_that_fails_or_hangs_raises_with_its_output(monkeypatch):
    monkeypatch.setattr(cluster_module, "stream", lambda *a, **k: FakeSession("pip: no such package", 1))
    with pytest.raises(ExecFailed, match="exited with 1") as failed:
        _cluster(FakeCore()).exec_in("p", ["pip", "install", "x"])
    assert "no such package" in failed.value.fix
    commands: list[str] = []

    def hanging_until_killed(*_, command, **__):
        commands.append(" ".join(command))
        return FakeSession("", 0) if "kill -TERM" in commands[-1] else FakeSession("still going", 0, runs_forever=True)

    monkeypatch.setattr(cluster_module, "stream", hanging_until_killed)
    with pytest.raises(ExecFailed, match="did not end within"):
        _cluster(FakeCore()).exec_in("p", ["sleep", "1000"], timeout=0.2)
    assert len(commands) == 2 and "sleep 1000" in commands[0] and "kill -TERM" in commands[1], \
        "the hanging command is stopped in the pod too"


# 6: only a Ready pod that is not being deleted is used, and the wait has a deadline
def test_terminating_and_unready_pods_are_never_picked():
    core = FakeCore([_pod("old", deleting=True), _pod("starting", ready=False), _pod("new", uid="u2")])
    assert _cluster(core).ready_pod("spark-master") == PodRef("new", "u2", "10.0.0.7")
    with pytest.raises(Exception, match="Ready spark-master pod"):
        _cluster(FakeCore([_pod("old", deleting=True)])).ready_pod("spark-master", timeout=0.5)


# 7: each init and app container's log is read (all_containers is no API parameter), previous after a restart
def test_every_containers_log_is_collected_and_the_previous_one_after_a_restart():
    core = FakeCore([_pod("master-0", restarts=1)])
    logs = _cluster(core).pod_logs()
    assert set(logs) == {"master-0.spark-conf", "master-0.master", "master-0.master.previous"}
    assert logs["master-0.master.previous"] == "log of master-0/master (previous)"


# 10: the namespace is deleted first, polled until gone, with Ctrl-C ignored meanwhile
def test_the_namespace_is_deleted_and_awaited_with_ctrl_c_ignored():
    core = FakeCore()
    seen: list[object] = []
    original = core.read_namespace

    def read(namespace: str, **kwargs: Any) -> None:
        seen.append(signal.getsignal(signal.SIGINT))
        original(namespace)

    core.read_namespace = read  # type: ignore[method-assign]
    before = signal.getsignal(signal.SIGINT)
    assert _cluster(core).delete_namespace(timeout=30) is True
    assert core.calls == [("delete_namespace", "spec-test")] and core.namespace_reads == 2
    assert seen and all(handler == signal.SIG_IGN for handler in seen)
    assert signal.getsignal(signal.SIGINT) == before


def test_a_namespace_that_outlives_the_deadline_is_reported_not_hidden():
    core = FakeCore()
    core.read_namespace = lambda namespace: None  # type: ignore[method-assign]
    assert _cluster(core).delete_namespace(timeout=0.5) is False


def test_closing_the_target_deletes_the_namespace_without_waiting_for_helm(tmp_path):
    target = object.__new__(K8sTarget)
    core = FakeCore()
    target.namespace, target.cluster, target.core = "spec-test", _cluster(core), core
    target.workdir, target._forwards, target._namespace_created = tmp_path / "run", {}, True
    target._namespace_given, target._release = False, ("standalone-submit", "4.1.1")
    target._restore_temp_dir = lambda: None
    target._helm = lambda *args: pytest.fail(f"helm {args} called during cleanup")  # type: ignore[method-assign]
    target.close()
    assert core.calls == [("delete_namespace", "spec-test")]


# 9: a forward that cannot be opened refuses the connection at once, looks the pod up per connection, and
# close() wakes the accepting thread
def test_a_forward_that_cannot_open_closes_the_client_and_says_why(monkeypatch):
    looked_up: list[int] = []

    def pod_name() -> str:
        looked_up.append(1)
        raise ApiException(status=404, reason="pod is gone")

    forward = PortForward(FakeCore, "spec-test", pod_name, 5000)
    try:
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
                conn.settimeout(5)
                assert conn.recv(1) == b""  # closed by the forward, not left hanging
        assert len(looked_up) == 2 and "pod is gone" in forward.errors[0]
    finally:
        forward.close()
    assert not forward._thread.is_alive()


# 3: the prepared-driver cache follows the pod's UID (a StatefulSet pod keeps its name across upgrades)
def test_a_recreated_driver_pod_is_prepared_again(tmp_path):
    commands: list[tuple[str, str]] = []
    uids = iter(["uid-1", "uid-1", "uid-2"])
    target = NS(prepared_drivers=set(), pod_of=lambda component: PodRef("spec-master-0", next(uids), "10.0.0.7"),
                cluster=NS(exec_in=lambda pod, command, timeout=600: commands.append((pod, command[0])) or ""))
    site = object.__new__(K8sSparkSite)
    site.target, site.mode, site.version, site._driver_component = target, "standalone-submit", "4.1.1", "spark-master"
    for _ in range(3):
        site._prepare_driver()
    assert len(commands) == 6  # unpack, pip install, python shim: for uid-1 once and for uid-2 once


# 4: the driver pods get the local runtime's packages (not pyspark: the image has it) and pyspark on the path
def test_driver_pods_get_the_runtimes_packages_and_the_images_pyspark():
    pins = driver_requirements("3.5.7")
    assert not [pin for pin in pins if pin.startswith("pyspark")]
    assert "mlflow==3.17.2" in pins and "numpy<2" in pins and any(pin.startswith("pyiceberg") for pin in pins)
    script = driver_script([], ["python3", "/tmp/spec-jobs/x.py"], "/tmp/p.pid")
    assert '$SPARK_HOME/python' in script and "py4j-*.zip" in script and "/tmp/spec-pylib/bin:$PATH" in script


# 2: the driver advertises the pod's IP, so executors in other pods reach it whatever cluster DNS knows
def test_an_in_pod_driver_advertises_the_pods_ip():
    script = driver_script(["A=1"], ["/opt/spark/bin/spark-submit", "--master", "k8s://x", "job.py"], "/tmp/p.pid")
    assert 'export POD_IP SPARK_LOCAL_IP="$POD_IP" SPARK_LOCAL_HOSTNAME="$POD_IP"' in script
    assert script.splitlines()[-1] == ('exec env A=1 /opt/spark/bin/spark-submit --conf "spark.driver.host=$POD_IP" '
                                       "--master k8s://x job.py")
    assert "echo $$ > /tmp/p.pid" in script


# 11: a job that outlives its timeout is killed in the pod too, and secrets never reach the report
def test_a_timed_out_job_is_killed_in_the_pod_and_secrets_are_masked(tmp_path, monkeypatch):
    execs: list[list[str]] = []
    target = NS(workdir=tmp_path, namespace="spec-test", fullname="spec-spark-standalone",
                prepared_drivers={"uid-1"}, pod_of=lambda component: PodRef("spec-master-0", "uid-1", "10.0.0.7"),
                cluster=NS(exec_in=lambda pod, command, timeout=600: execs.append(command) or ""))
    site = object.__new__(K8sSparkSite)
    site.target, site.mode, site.version = target, "standalone-submit", "4.1.1"
    site._driver_component, site.master_url = "spark-master", "spark://m:7077"
    monkeypatch.setattr(spark_site_module, "run_logged", lambda name, argv, log, env, timeout, secrets, **kwargs: NS(
        returncode=None, command=masked(argv, secrets)))
    job = site._run_in_driver("python x", ["python3", "x.py", "--catalog-uri", "postgresql://u:s3cret@db/m"], 1,
                              ("s3cret",))
    assert "s3cret" not in " ".join(job.command)
    assert execs and execs[-1][-1].startswith('kill -TERM -"$(cat /tmp/spec-job-')


# 1: a Spark model is staged where the driver and the executors' pods all reach it, and the keys stay masked
@pytest.mark.parametrize("mode, version, hadoop", [("standalone-submit", "3.5.7", "3.3.4"),
                                                   ("iceberg", "4.1.1", "3.4.2")])
def test_a_spark_model_is_staged_in_the_releases_bucket(tmp_path, monkeypatch, mode, version, hadoop):
    (tmp_path / "jars").mkdir()
    (tmp_path / "jars" / f"hadoop-client-api-{hadoop}.jar").touch()
    target = NS(workdir=tmp_path, namespace="spec-test", fullname="spec-spark-standalone", prepared_drivers={"uid-1"},
                pod_of=lambda component: PodRef("spec-master-0", "uid-1", "10.0.0.7"),
                secret=lambda name, key: {"access-key": "AKEY", "secret-key": "SKEY", "password": "pw"}[key],
                rendered=lambda: target_module.chart.render(mode, version, namespace="spec-test"))
    site = object.__new__(K8sSparkSite)
    site.target, site.mode, site.version = target, mode, version
    site._driver_component, site.master_url = "spark-master", "spark://m:7077"
    monkeypatch.setattr(spark_site_module, "ensure_runtime", lambda v: NS(spark_home=tmp_path))
    monkeypatch.setattr(spark_site_module, "run_logged", lambda name, argv, log, env, timeout, secrets, **kwargs: NS(
        returncode=0, command=masked(argv, secrets)))
    script = " ".join(site.submit("train_submit.py", [], {}).command)
    assert "MLFLOW_DFS_TMP=s3a://mlflow-artifacts/.spark-model-staging" in script
    assert "spark.hadoop.fs.s3a.endpoint=http://spec-spark-standalone-minio:9000" in script
    assert f"org.apache.hadoop:hadoop-aws:{hadoop}" in script and "fs.s3a.path.style.access=true" in script
    assert ("iceberg-spark-runtime" in script) == (mode == "iceberg")  # the chart's packages are kept
    assert "AKEY" not in script and "SKEY" not in script and "fs.s3a.secret.key=***" in script


def test_the_hadoop_version_comes_from_the_distribution(tmp_path):
    with pytest.raises(SuiteError, match="no hadoop-client-api jar"):
        spark_site_module.hadoop_version(tmp_path)
    (tmp_path / "jars").mkdir()
    (tmp_path / "jars" / "hadoop-client-api-3.4.2.jar").touch()
    assert spark_site_module.hadoop_version(tmp_path) == "3.4.2"


def test_a_job_is_stopped_as_soon_as_its_log_shows_the_awaited_line(tmp_path):
    script = "echo starting >&2; sleep 1; echo 'New auth protocol failed' >&2; sleep 60"
    started = time.monotonic()
    job = run_logged("refused", ["sh", "-c", script], tmp_path / "j.log", {"PATH": "/usr/bin:/bin"}, 120,
                     stop_when_logged="New auth protocol failed")
    assert job.returncode is None and time.monotonic() - started < 20
    finished = run_logged("done", ["sh", "-c", "echo fine >&2"], tmp_path / "k.log", {"PATH": "/usr/bin:/bin"}, 120,
                          stop_when_logged="never printed")
    assert finished.returncode == 0


def test_run_logged_keeps_only_the_masked_command(tmp_path):
    job = run_logged("echo", ["echo", "password=hunter22"], tmp_path / "j.log", {"PATH": "/usr/bin:/bin"}, 10,
                     secrets=("hunter22",))
    assert job.command == ["echo", "password=***"]


def test_gpu_rows_run_where_the_cluster_has_gpus_not_where_this_machine_has():
    def cluster_of(*nodes: NS) -> K8sTarget:
        target = object.__new__(K8sTarget)
        target.config, target.core = RunConfig(target="k8s"), NS(list_node=lambda **kwargs: NS(items=nodes))
        return target

    cpu_node = NS(metadata=NS(name="cpu-node"), status=NS(allocatable={"cpu": "8"}))
    assert "no node of the cluster offers nvidia.com/gpu" in cluster_of(cpu_node).unmet_need("gpu")
    gpu_node = NS(metadata=NS(name="gpu-node"), status=NS(allocatable={"nvidia.com/gpu": "2"}))
    assert cluster_of(cpu_node, gpu_node).unmet_need("gpu") is None


def test_the_cluster_is_asked_for_its_nodes_only_by_a_gpu_row_and_a_refusal_is_a_skip():
    listed: list[str] = []

    def refuse(**kwargs):
        listed.append("nodes")
        raise ApiException(status=403, reason="Forbidden")

    target = object.__new__(K8sTarget)
    target.config, target.core = RunConfig(target="k8s", namespace="team-ml"), NS(list_node=refuse)
    assert target.unmet_need("local-processes") and target.unmet_need("mlops-api") and listed == []
    reason = target.unmet_need("gpu")
    assert "cannot be listed (403 Forbidden)" in reason and "`list` on nodes" in reason
    assert target.unmet_need("gpu") == reason and listed == ["nodes"], "asked once per run"


# 8: what the target renders is the release in its own namespace
def test_the_target_renders_the_chart_in_its_own_namespace():
    target = object.__new__(K8sTarget)
    target.namespace, target._release, target._rendered = "spec-abc123", ("standalone-submit", "4.1.1"), None
    args = target_module.chart.mlflow_container(target.rendered())["args"]
    assert any("spec-spark-standalone-mlflow.spec-abc123" in arg for arg in args)


def test_the_mlflow_project_is_run_from_where_the_site_keeps_the_jobs(monkeypatch):
    from harness.spark import training
    ran: list[list[str]] = []
    site = NS(jobs_dir="/tmp/spec-jobs", run_python=lambda job, args, module: ran.append(args) or NS(returncode=0))
    training.run_mlflow_project(site, "1", {"alpha": "0.5"})  # type: ignore[arg-type]
    assert ran[0][1] == "/tmp/spec-jobs/mlflow_project"


# Issue 23, items 3-5, on real processes and the images' shell (/bin/sh is dash here too)
def test_a_python_driver_advertises_the_pods_ip_as_its_host_name(tmp_path):
    """The MLflow project's driver is started from Python, not spark-submit: Spark takes SPARK_LOCAL_HOSTNAME
    as its host name, which must be the pod's IP."""
    script = driver_script([], ["python3", "-c", "import os; print(os.environ['SPARK_LOCAL_HOSTNAME'])"],
                           str(tmp_path / "p.pid"))
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], "POD_IP": "10.1.2.3", "SPARK_HOME": str(tmp_path)})
    assert done.stdout.strip() == "10.1.2.3", done.stderr


def test_the_in_pod_job_keeps_its_exit_status_when_exec_starts_it_as_a_group_leader():
    """kubectl exec starts the command as a process group leader; there a bare setsid forks and returns 0."""
    done = subprocess.run(in_pod_job("sleep 0.2; exit 3"), start_new_session=True, timeout=30)
    assert done.returncode == 3


def test_a_timed_out_job_is_stopped_whole_by_the_images_shell(tmp_path):
    pid_file = tmp_path / "job.pid"
    job = subprocess.Popen(in_pod_job(f"echo $$ > {pid_file}; sleep 60 & exec sleep 60"), start_new_session=True)
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the job's pid file", 10, 0.05)
        group = int(pid_file.read_text())
        subprocess.run(["/bin/sh", "-c", kill_group(str(pid_file))], check=True, timeout=10)
        wait_for(lambda: not _group_alive(group), "the job's process group to stop", 10, 0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.pid, signal.SIGKILL)
        job.wait(10)



# Issue 23, item 6: every way an exec fails is an ExecFailed, and a timed-out one is stopped in the pod
@pytest.mark.parametrize("session_or_error, words", [
    (ApiException(status=0, reason="Handshake status 403 Forbidden"), "could not start: 0 Handshake status 403"),
    (NS(code="exec: \"pip\": executable file not found in $PATH"), "no readable exit status (ValueError"),
    (NS(code=None), "no readable exit status (TypeError"),
])
def test_every_exec_failure_is_an_exec_failed(monkeypatch, session_or_error, words):
    def fake_stream(*args: Any, **kwargs: Any) -> FakeSession:
        if isinstance(session_or_error, Exception):
            raise session_or_error
        return FakeSession("", session_or_error.code)

    monkeypatch.setattr(cluster_module, "stream", fake_stream)
    with pytest.raises(ExecFailed, match=re.escape(words)):
        _cluster(FakeCore()).exec_in("p", ["pip", "install", "x"])


def test_a_timed_out_exec_is_stopped_in_the_pod(monkeypatch):
    commands: list[list[str]] = []

    def fake_stream(*args: Any, command: list[str], **kwargs: Any) -> FakeSession:
        commands.append(command)
        return FakeSession("", 0) if len(commands) > 1 else FakeSession("", 0, runs_forever=True)

    monkeypatch.setattr(cluster_module, "stream", fake_stream)
    with pytest.raises(ExecFailed, match="stopped in the pod"):
        _cluster(FakeCore()).exec_in("p", ["sleep", "1000"], timeout=0.2)
    pid_file = commands[0][2].split("> ")[1].split(";")[0]
    assert commands[0][-2:] == ["sleep", "1000"] and commands[1][-1] == f'kill -TERM "$(cat {pid_file})"'


# Issue 23, item 7: a forward whose opening hangs gives up in time and refuses the connection
def test_a_forward_that_hangs_while_opening_refuses_the_connection_in_time(monkeypatch):
    monkeypatch.setattr(portforward_module, "PORT_FORWARD_OPEN_S", 0.3)
    released = threading.Event()
    forward = PortForward(FakeCore, "spec-test", lambda: "p", 5000)
    monkeypatch.setattr(forward, "_open_stream", lambda: released.wait(10) and (NS(close=lambda: None), None))
    try:
        with socket.create_connection(("127.0.0.1", forward.local_port), timeout=5) as conn:
            conn.settimeout(5)
            assert conn.recv(1) == b""
        assert "did not open within 0.3s" in forward.errors[0]
    finally:
        released.set()
        forward.close()


# Issue 23, item 8: a namespace that -D namespace names and that exists is used and kept; the release goes
def test_an_existing_named_namespace_is_used_kept_and_left_without_the_release(tmp_path):
    calls: list[tuple[str, ...]] = []

    def create_namespace(body: Any, **kwargs: Any) -> None:
        raise ApiException(status=409, reason="AlreadyExists")

    target = object.__new__(K8sTarget)
    target.config, target.namespace = RunConfig(target="k8s", namespace="team-ml"), "team-ml"
    target.core = NS(create_namespace=create_namespace, delete_collection_namespaced_persistent_volume_claim=(
        lambda namespace, label_selector, **kwargs: calls.append(("delete pvcs", namespace, label_selector))))
    target.cluster = NS(delete_namespace=lambda: calls.append(("delete namespace",)))
    target._namespace_created, target._namespace_given, target._release = False, False, None
    target._helm = lambda *args: calls.append(("helm", *args)) or NS(returncode=0, stderr="")  # type: ignore
    target._forwards, target.workdir, target._restore_temp_dir = {}, tmp_path / "run", lambda: None
    target.install("standalone-submit", "4.1.1")
    target.close()
    assert ("delete namespace",) not in calls
    assert calls[-2][:3] == ("helm", "uninstall", "spec") and calls[-1] == (
        "delete pvcs", "team-ml", "app.kubernetes.io/instance=spec")


def test_a_namespace_that_cannot_be_made_says_what_to_do():
    target = object.__new__(K8sTarget)
    target.config, target.namespace = RunConfig(target="k8s"), "spec-1234"
    target.core = NS(create_namespace=lambda body, **kwargs: (_ for _ in ()).throw(
        ApiException(status=403, reason="Forbidden")))
    with pytest.raises(SuiteError, match="could not be created: 403 Forbidden"):
        target._claim_namespace()


def test_spark_35_connect_rows_are_skipped_on_a_cluster_with_the_reason():
    target = object.__new__(K8sTarget)
    target.config = RunConfig(target="k8s")
    assert "pyspark.ml over Connect came with Spark 4.0" in target.skip_reason("connect-k8s", "3.5.8")
    assert target.skip_reason("connect-k8s", "4.1.1") is None and target.skip_reason("k8s", "3.5.7") is None


def test_inside_a_cluster_without_a_kubeconfig_the_pods_service_account_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    used: list[str] = []
    monkeypatch.setattr(target_module.config, "load_incluster_config", lambda: used.append("in-cluster"))
    assert target_module.load_cluster_config() == "in-cluster service account" and used == ["in-cluster"]
