"""Pods made by the kernel: the sandbox's command line, and (as root, with bubblewrap) real pods on a bridge."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import psycopg2
import pytest

from harness.stores.postgres import PostgresService
from harness.system import pods, sweeper
from harness.system.pods import Pod, PodNetwork
from harness.system.process import ManagedProcess, PodSandbox
from harness.system.waiting import wait_for

needs_isolation = pytest.mark.skipif(pods.isolation_unavailable() is not None,
                                     reason=f"pod isolation unavailable: {pods.isolation_unavailable()}")


def _answers(address: str, port: int) -> bool:
    with socket.socket() as outside:  # the run reaches a pod through the bridge
        outside.settimeout(2)
        return outside.connect_ex((address, port)) == 0


def _pod(tmp_path: Path, **settings) -> Pod:
    network = PodNetwork(7, tmp_path, shared_readable=(Path.home() / ".cache" / "runtimes", Path("/usr/lib/jvm")))
    network.namespaces.add("default")
    return Pod("spark-worker-0", "10.217.7.2", "sms7-spark-worker-0", network, 185, 185, "default", **settings)


def test_a_pod_runs_as_its_uid_without_capabilities_on_a_read_only_root_with_a_private_tmp(tmp_path):
    argv = _pod(tmp_path).command(["java", "-version"])
    assert argv[:4] == ["ip", "netns", "exec", "sms7-spark-worker-0"]
    assert argv[argv.index("--hostname") + 1] == "spark-worker-0"
    assert argv[argv.index("--ro-bind"):argv.index("--ro-bind") + 3] == ["--ro-bind", "/", "/"]
    assert ["--perms", "1777", "--tmpfs", "/tmp"] == argv[argv.index("/tmp") - 3:argv.index("/tmp") + 1]
    assert argv[argv.index("--") + 1:] == ["setpriv", "--reuid=185", "--regid=185", "--clear-groups",
                                           "--inh-caps=-all", "--bounding-set=-all", "java", "-version"]


def test_only_what_the_pod_cannot_see_is_bound_and_its_parents_are_made_traversable(tmp_path):
    runtimes = Path.home() / ".cache" / "runtimes"
    argv = " ".join(_pod(tmp_path).command(["true"]))
    assert f"--perms 0755 --dir {Path.home() / '.cache'} --ro-bind {runtimes} {runtimes}" in argv
    assert "/usr/lib/jvm" not in argv  # visible through the read-only root already


def test_a_pods_volumes_are_bound_read_write_after_their_parents(tmp_path):
    pod = _pod(tmp_path)
    volume = tmp_path / "work"
    pod.own(volume)
    argv = " ".join(pod.command(["true"], cwd=volume))
    assert f"--bind {volume} {volume}" in argv and f"--chdir {volume}" in argv
    assert argv.index(f"--dir {tmp_path}") < argv.index(f"--bind {volume}")


def test_without_a_private_tmp_or_read_only_root_the_pod_sees_the_machines(tmp_path):
    argv = _pod(tmp_path, private_tmp=False, read_only_root=False).command(["true"])
    assert "--tmpfs" in argv and "/tmp" not in argv[argv.index("--tmpfs") + 1]
    assert argv[argv.index("--dev") - 3:argv.index("--dev")] == ["--bind", "/", "/"]


@needs_isolation
def test_pods_reach_each_other_by_name_and_run_as_their_user_and_everything_goes_with_close(tmp_path):
    network = PodNetwork.create(tmp_path, shared_readable=(Path(sys.base_prefix),))
    python = str(Path(sys.base_prefix) / "bin" / "python3")  # the suite's venv is under /root, which pods cannot see
    try:
        server = network.pod("server-0", 185, 185, "ns", ["server-service"])
        client = network.pod("client-0", 1000, 1000, "ns")
        listening = subprocess.Popen(server.command([python, "-m", "http.server", "8080"]),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            asked = subprocess.run(client.command([
                python, "-c", "import os, socket, time, urllib.request as u\n"
                "for _ in range(50):\n"
                "    try: print(u.urlopen('http://server-service:8080/', timeout=1).status); break\n"
                "    except OSError: time.sleep(0.1)\n"
                "print(os.getuid(), socket.gethostname())"]), capture_output=True, text=True, timeout=30)
        finally:
            listening.terminate()
            listening.wait(10)
        assert asked.stdout.split() == ["200", "1000", "client-0"], asked.stderr
        # Only bubblewrap was stopped: the pod's processes go with it (the kernel ends its pid namespace).
        wait_for(lambda: not _answers(server.address, 8080), "the pod's server to stop", 10, interval=0.1)
    finally:
        network.close()
    assert not [name for name in pods.leftover_networks() if name.startswith((network.bridge, f"sms{network.index}-"))]


@needs_isolation
def test_a_killed_runs_pod_network_is_removed_by_the_sweeper(tmp_path):
    stale = tmp_path / f"{sweeper.RUN_PREFIX}killed"
    stale.mkdir()
    done = subprocess.run([sys.executable, "-c", "import psutil; p = psutil.Process(); print(p.pid, p.create_time())"],
                          capture_output=True, text=True, check=True)
    (stale / sweeper.OWNER_FILE).write_text(done.stdout)
    network = PodNetwork.create(stale)
    network.pod("left-0", 185, 185, "ns")
    assert set(sweeper.orphan_networks(tmp_path)) >= {network.bridge, f"sms{network.index}-left-0",
                                                      f"smsv{network.index}-2"}
    swept = sweeper.sweep(tmp_path)
    assert swept == [f"{stale}: 0 leftover processes stopped, its pods' network removed "
                     f"(smsv{network.index}-2, {network.bridge}, sms{network.index}-left-0), folder removed"]
    assert network.bridge not in pods.leftover_networks()


def test_a_pod_with_devices_gets_them_from_this_machine(tmp_path):
    argv = " ".join(_pod(tmp_path, devices=(Path("/dev/nvidia0"),)).command(["nvidia-smi"]))
    assert "--dev /dev --proc /proc --dev-bind /dev/nvidia0 /dev/nvidia0" in argv


def test_a_network_the_machine_refuses_turns_isolation_off_with_the_reason(monkeypatch):
    from harness.config import RunConfig
    from harness.errors import SuiteError
    from harness.targets import local

    def refused(*_args, **_kwargs):
        raise SuiteError("ip link add smsbr9 type bridge failed: Operation not permitted")
    monkeypatch.setattr(local, "isolation_unavailable", lambda: None)
    monkeypatch.setattr(PodNetwork, "create", refused)
    target = local.LocalTarget(RunConfig())
    try:
        assert target.pods is None
        assert target.isolation == "off: ip link add smsbr9 type bridge failed: Operation not permitted"
        assert target.declare_capabilities().unmet("pod-isolation") is not None
    finally:
        target.close()


@needs_isolation
def test_a_service_every_release_shares_resolves_where_no_release_has_its_own_of_that_name(tmp_path):
    network = PodNetwork.create(tmp_path)
    try:
        network.pod("mlflow-0", 1000, 1000, "spec", ["spec-mlflow"], known_everywhere=True)
        network.pod("master-0", 185, 185, "spark-4", ["spark-master"])
        client = network.pod("client-0", 185, 185, "spark-drivers")
        drivers = network.hosts_file("spark-drivers").read_text()
        assert "mlflow-0 spec-mlflow" in drivers and "spark-master" not in drivers
        assert "master-0 spark-master" in network.hosts_file("spark-4").read_text()
        assert client.address != network.gateway and f"{client.address} client-0" in drivers
        restored = network.pod("restored-mlflow-0", 1000, 1000, "restored", ["spec-mlflow"])
        names = network.hosts_file("restored").read_text()
        assert f"{restored.address} restored-mlflow-0 spec-mlflow" in names  # its own release's, not the shared
        assert names.count("spec-mlflow") == 1
        assert network.hosts_file("spark-drivers").read_text().count("spec-mlflow") == 1
    finally:
        network.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_pods_volume_is_its_users_with_all_it_holds(tmp_path):
    (tmp_path / "volume" / "auth").mkdir(parents=True)
    (tmp_path / "volume" / "auth" / "basic_auth.ini").write_text("[mlflow]")
    pod = _pod(tmp_path)
    pod.own(tmp_path / "volume")
    assert {path.stat().st_uid for path in (tmp_path / "volume").rglob("*")} == {185}
    pod.own(tmp_path / "volume")  # again, for files written since: still one bind
    assert pod.writable == (tmp_path / "volume",)


@needs_isolation
def test_postgresql_in_its_pod_runs_as_the_pods_user_and_answers_other_pods_with_a_password(tmp_path):
    network = PodNetwork.create(tmp_path)
    postgres = PostgresService(tmp_path, pod=network.pod("postgresql-0", 999, 999, "spec", ["postgresql"]))
    try:
        postgres.start()
        database = postgres.create_database("mlflow", "mlflow")
        assert (database.host, database.port) == (postgres.pod.address, 5432)
        with psycopg2.connect(host=database.host, port=database.port, user=database.user,
                              password=database.password, dbname=database.name, connect_timeout=5) as conn:
            with conn.cursor() as cursor:
                cursor.execute("SELECT inet_server_addr()::text")
                assert cursor.fetchone()[0].startswith(database.host)
        assert (tmp_path / "pgdata").stat().st_uid == 999
    finally:
        postgres.stop()
        network.close()


@needs_isolation
def test_a_process_that_joins_a_pod_shares_it_and_what_it_started_outlives_it_but_not_the_pod(tmp_path):
    network = PodNetwork.create(tmp_path)
    sandbox = PodSandbox(network.pod("mlops-0", 185, 185, "spec"), tmp_path / "pod.log")
    try:
        sandbox.start()
        # The service: it names its pod, starts a driver in a session of its own, then waits to be stopped.
        service = sandbox.process("service", ["sh", "-c", "hostname; id -u; setsid sleep 301 & sleep 300"],
                                  tmp_path / "service.log", env={"PATH": os.environ["PATH"]})
        service.start()
        wait_for(lambda: len((tmp_path / "service.log").read_text().split()) == 2, "the service's output", 10)
        assert (tmp_path / "service.log").read_text().split() == ["mlops-0", "185"]
        driver = wait_for(lambda: [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "301"]],
                          "the driver", 10)[0]
        assert driver.uids().real == 185
        service.stop()
        assert driver.is_running(), "the driver went with the service, not with its pod"
        sandbox.stop()
        psutil.wait_procs([driver], timeout=10)
        assert not driver.is_running(), "the driver outlived its pod"
    finally:
        sandbox.stop()
        network.close()


def test_a_pods_process_gets_what_it_is_given_and_the_images_variables_but_not_the_suites_shell(tmp_path,
                                                                                             monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-suites-shell")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://the-users-own-server")
    given = {**os.environ, "MLFLOW_TRACKING_URI": "http://spec-mlflow:5000", "SPARK_HOME": "/runtime/pyspark"}
    env = _pod(tmp_path).environment(given)
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["MLFLOW_TRACKING_URI"] == "http://spec-mlflow:5000" and env["SPARK_HOME"] == "/runtime/pyspark"
    assert env["PATH"] == os.environ["PATH"]


@needs_isolation
def test_a_process_in_a_real_pod_does_not_see_the_suites_shell(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_SHELL_SECRET", "leaked")
    network = PodNetwork.create(tmp_path)
    try:
        pod = network.pod("env-0", 185, 185, "spec")
        process = ManagedProcess("env", ["env"], tmp_path / "env.log", env={**os.environ, "GIVEN": "yes"}, pod=pod)
        process.start()
        assert process.wait(10) == 0
        seen = (tmp_path / "env.log").read_text().splitlines()
        assert "GIVEN=yes" in seen and "HOME=/tmp" in seen
        assert not [line for line in seen if line.startswith("SUITE_SHELL_SECRET")]
    finally:
        network.close()
