"""A Spark standalone cluster (one master, one worker) and a Spark Connect server, from a pyspark runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from harness.errors import SuiteError
from harness.spark.chart_settings import DaemonSettings
from harness.spark.runtimes import SparkRuntime
from harness.system.pods import Pod, PodNetwork
from harness.system.ports import LOOPBACK, claim_port, is_listening
from harness.system.process import ManagedProcess
from harness.waits import SPARK_CLUSTER_START_S


class SparkStandalone:
    """A master and one worker with the chart's daemon settings (translated in chart_settings). With `pods`,
    each runs in a pod of its own on the chart's ports, as the chart's uid, its executors inside the worker's
    pod; `shared` are folders the worker's pod mounts read-write beside the drivers (storage every pod shares
    on a cluster)."""

    def __init__(self, runtime: SparkRuntime, workdir: Path, settings: DaemonSettings,
                 pods: PodNetwork | None = None, shared: tuple[Path, ...] = (),
                 devices: tuple[Path, ...] = ()) -> None:
        self.runtime = runtime
        self.devices = devices  # what the worker's pod gets of this machine's /dev (GPUs)
        self.workdir = workdir / f"spark-{runtime.version}"
        self.settings = settings
        self.pods = pods
        self.shared = shared
        self._master_pod: Pod | None = None
        self._worker_pod: Pod | None = None
        if pods is None:
            self.host = LOOPBACK
            self.port = claim_port(None, f"the Spark {runtime.version} master")
            self.webui_port = claim_port(None, f"the Spark {runtime.version} master UI")
            self.worker_webui_port = claim_port(None, f"the Spark {runtime.version} worker UI")
        else:
            self.port, self.webui_port = settings.master_port, settings.webui_port
            self.worker_webui_port = settings.worker_webui_port
            self.host = ""  # the master pod's address, once it exists
        self._master: ManagedProcess | None = None
        self._worker: ManagedProcess | None = None

    @property
    def namespace(self) -> str:
        """Whose names its pods resolve: a namespace per version, as a release per version would have (each
        resolves its own master Service)."""
        return f"spark-{self.runtime.version.replace('.', '-')}"

    @property
    def master_url(self) -> str:
        return f"spark://{self.host}:{self.port}"

    @property
    def webui_url(self) -> str:
        return f"http://{self.host}:{self.webui_port}"

    def _env(self, pod: Pod | None) -> dict[str, str]:
        local_ip = {"SPARK_LOCAL_IP": pod.address} if pod else {}
        return self.runtime.env(SPARK_DAEMON_MEMORY=self.settings.daemon_memory,
                                SPARK_WORKER_DIR=str(self.workdir / "work"), SPARK_LOG_DIR=str(self.workdir / "logs"),
                                SPARK_WORKER_OPTS=self.settings.worker_opts, **local_ip)

    def _properties_args(self) -> list[str]:
        properties = self.settings.write_properties(self.workdir / "spark-daemons.conf")
        return ["--properties-file", str(properties)]

    def _spark_class(self) -> str:
        return str(self.runtime.spark_home / "bin" / "spark-class")

    def _make_pods(self) -> None:
        """The master's and the worker's pods (made once: a restarted daemon comes back in its pod)."""
        if self.pods is None or self._master_pod is not None:
            return
        version = self.runtime.version.replace(".", "-")
        uid, gid = self.settings.run_as
        namespace = self.namespace
        self._master_pod = self.pods.pod(f"spark-{version}-master-0", uid, gid, namespace,
                                         [self.settings.master_service])
        self._worker_pod = self.pods.pod(f"spark-{version}-worker-0", uid, gid, namespace)
        self._master_pod.readable = self._worker_pod.readable = (self.workdir / "spark-daemons.conf",)
        self._worker_pod.writable = ()
        self._worker_pod.devices = self.devices
        self._worker_pod.own(self.workdir / "work", self.workdir / "logs")
        self._worker_pod.share(*self.shared)
        self.host = self._master_pod.address

    def start(self) -> None:
        logs = self.workdir.parent / "logs"
        self._make_pods()
        host = [] if self._master_pod else ["--host", self.host]
        self._master = ManagedProcess(
            f"Spark {self.runtime.version} master",
            [self._spark_class(), "org.apache.spark.deploy.master.Master", *host,
             "--port", str(self.port), "--webui-port", str(self.webui_port), *self._properties_args()],
            logs / f"spark-{self.runtime.version}-master.log", env=self._env(self._master_pod), pod=self._master_pod)
        self._master.start()
        self._master.wait_ready(self.state, f"the Spark master UI at {self.webui_url}", SPARK_CLUSTER_START_S)
        # In pods the worker finds the master by its Service name, as the chart's worker does.
        master = f"spark://{self.settings.master_service}:{self.port}" if self._worker_pod else self.master_url
        self._worker = ManagedProcess(
            f"Spark {self.runtime.version} worker",
            [self._spark_class(), "org.apache.spark.deploy.worker.Worker", *host,
             "--cores", str(self.settings.worker_cores), "--memory", f"{self.settings.worker_memory_mb}m",
             "--webui-port", str(self.worker_webui_port), *self._properties_args(), master],
            logs / f"spark-{self.runtime.version}-worker.log", env=self._env(self._worker_pod), pod=self._worker_pod)
        self._worker.start()
        self._worker.wait_ready(lambda: self.state()["aliveworkers"] >= 1,
                                f"a worker registered with {self.master_url}", SPARK_CLUSTER_START_S)

    def state(self) -> dict[str, Any]:
        """The master's JSON status: aliveworkers, activeapps, completedapps."""
        return dict(requests.get(f"{self.webui_url}/json/", timeout=5).json())

    def application(self, app_id: str) -> dict[str, Any] | None:
        state = self.state()
        for app in state.get("activeapps", []) + state.get("completedapps", []):
            if app["id"] == app_id:
                return dict(app)
        return None

    def stop(self) -> None:
        for process in (self._worker, self._master):
            if process:
                process.stop()
        self._worker = self._master = None


class SparkConnectServer:
    """spark-submit of the Connect server with `submit_args` (the chart's, translated by the caller for `port`),
    in `pod` when given."""

    def __init__(self, cluster: SparkStandalone, workdir: Path, host: str, port: int, submit_args: list[str],
                 extra_env: dict[str, str], pod: Pod | None = None, work_dir: Path | None = None) -> None:
        self.cluster = cluster
        self.pod = pod
        self.work_dir = work_dir  # its working directory (spark-warehouse/ and the like go there)
        self.host = host
        self.port = port
        self.submit_args = submit_args
        self.log_path = workdir / "logs" / f"spark-{cluster.runtime.version}-connect.log"
        self.extra_env = extra_env
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"sc://{self.host}:{self.port}"

    def start(self) -> None:
        runtime = self.cluster.runtime
        if not list((runtime.spark_home / "jars").glob("spark-connect_*.jar")):
            raise SuiteError(f"the pyspark {runtime.version} package has no Spark Connect server jar",
                             "use Spark 4.1.x locally; on a cluster the chart fetches the jar")
        self._process = ManagedProcess(
            f"Spark {runtime.version} Connect server",
            [str(runtime.spark_home / "bin" / "spark-submit"), *self.submit_args],
            self.log_path, env=runtime.env(**self.extra_env), cwd=self.work_dir, pod=self.pod)
        self._process.start()
        self._process.wait_ready(lambda: is_listening(self.port, self.host), f"Spark Connect on {self.url}",
                                 SPARK_CLUSTER_START_S)

    def stop(self) -> None:
        if self._process:
            self._process.stop()
            self._process = None
