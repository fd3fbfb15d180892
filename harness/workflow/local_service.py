"""The chart's MLOps API pod made local: its container's command and environment as the chart renders them,
in a pod of its own, with the run's values for its Secrets and the image's folders; without pods, a process on
loopback with local values for every Service too.

What cannot apply here is translated in TRANSLATED (the report shows the list): the image's Spark and package
folder become the runtime's, the pod's folders folders of the run; without pods, Service names also become the
local services' addresses. Environments are kept between runs (a cache outside the repository), as a pod would
keep them on a volume; everything else goes with the run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from harness import chart
from harness.mlflow.artifacts import OUTSIDE_CLIENT_ENV
from harness.chart.local_containers import container_env, fill, pod_env, service_values, volume_folder
from harness.mlflow.api import MlflowApi
from harness.mlflow.variant import VariantServer
from harness.spark.local import POD_DRIVER_ENV, PYTHON_BYTECODE, LocalSparkSite
from harness.stores.postgres import Database
from harness.system import sweeper
from harness.system.forward import AddressForward
from harness.system.pods import Pod, PodNetwork
from harness.system.ports import LOOPBACK, claim_port
from harness.system.process import ManagedProcess, PodSandbox
from harness.system.tools import CACHE_DIR
from harness.waits import MLOPS_START_S

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
ENVIRONMENTS = CACHE_DIR / "mlops-environments"
CONTAINER = "mlops-api"
TRANSLATED = {  # in its pod
    "SPARK_HOME": "the Spark runtime's pyspark folder (the image: /opt/spark)",
    "MLOPS_SPARK_PROPERTIES": "the mode's spark-defaults.conf translated for this target, spark.driver.host the "
                              "pod's address (the pod: the init container's copy, SPARK_LOCAL_HOSTNAME=$(POD_IP))",
    "MLOPS_ENV_ROOT": f"{ENVIRONMENTS}, kept between runs (the pod: an emptyDir)",
    "MLOPS_WORK_DIR, SPARK_CONF_DIR": "folders of the run, the pod's volumes (the pod: emptyDirs)",
    "python3 -m mlops_api": "the runtime's Python with services/ on PYTHONPATH (the image: /opt/mlops)",
}
ANOTHER_RELEASES_MASTER = ("the master pod's address: a replica in a release of its own (with its own MLflow) "
                           "shares the platform's Spark here, whose Service name its namespace does not resolve")
TRANSLATED_WITHOUT_PODS = {
    "MLOPS_MLFLOW_URL, MLFLOW_TRACKING_URI": "the local MLflow server (the chart: its Service name)",
    "MLOPS_SPARK_MASTER_URL, MLOPS_SPARK_MASTER_WEBUI": "the local master of the Spark version (its Service)",
    "MLFLOW_DB_*": "the local PostgreSQL (the chart: its Service and Secret)",
    "HOME, /tmp": "a folder of the run (the pod: an emptyDir)",
    "POD_IP": "127.0.0.1",
    "MLFLOW_ENABLE_PROXY_MULTIPART_*": "false, added: the service and its drivers run outside the pods here, and "
                                       "the store's presigned URLs name its in-cluster address",
}


@dataclass
class LocalMlopsService:
    """One replica of the MLOps API. restart() is a graceful stop and a start (the drivers run on, as the
    process of a restarted container's service would leave them); lose_pod() takes the drivers with it."""

    site: LocalSparkSite
    env: dict[str, str]
    folder: Path
    port: int  # on loopback: the service's own, or a port-forward to its pod's `pod_port`
    pod: Pod | None = None
    pod_port: int = 0
    translated: dict[str, str] = field(default_factory=lambda: {**TRANSLATED, **TRANSLATED_WITHOUT_PODS})
    _process: ManagedProcess | None = None
    _forward: AddressForward | None = None
    _sandbox: PodSandbox | None = None  # the pod, which outlives a restart of the service, not a lost pod

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def spark_version(self) -> str:
        return self.site.version

    def settings_report(self) -> str:
        """How this replica's container differs from the chart's, for the report."""
        return "\n".join(f"{names}: {how}" for names, how in self.translated.items())

    def application_state(self, app_id: str | None) -> str | None:
        """What the platform's Spark master says of an application."""
        return self.site.application_state(app_id) if app_id else None

    @property
    def log_path(self) -> Path:
        return self.folder.parent / "logs" / f"{self.folder.name}.log"

    def start(self) -> None:
        argv, env = [str(self.site.runtime.python), "-m", "mlops_api"], self.site.runtime.env(**self.env)
        if self.pod is None:
            self._process = ManagedProcess("MLOps API", argv, self.log_path, env=env, cwd=self.folder)
        else:
            if self._sandbox is None or not self._sandbox.running:
                self._sandbox = PodSandbox(self.pod, self.log_path.with_name(f"{self.folder.name}-pod.log"))
                self._sandbox.start()
            self._process = self._sandbox.process("MLOps API", argv, self.log_path, env, self.folder)
            self._forward = self._forward or AddressForward(self.pod.address, self.pod_port, self.port)
        self._process.start()
        self._process.wait_ready(self.healthy, f"the MLOps API at {self.url}/healthz", MLOPS_START_S)

    def healthy(self) -> bool:
        return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200

    def restart(self) -> None:
        self.stop_service()
        self.start()

    def lose_pod(self) -> None:
        """SIGKILL the service and every driver and scoring server it started, as a lost node would."""
        if self._process is not None:
            self._process.kill()
        self._kill_left_processes()
        self.stop_service()
        self._stop_sandbox()

    def _stop_sandbox(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    def stop_service(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def _kill_left_processes(self) -> None:
        """The drivers and scoring servers run in sessions of their own, in the pod's folder."""
        left = sweeper.holders(self.folder)
        for proc in left:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                continue
        psutil.wait_procs(left, timeout=10)

    def close(self) -> None:
        self.stop_service()
        self._kill_left_processes()
        self._stop_sandbox()
        if self._forward is not None:
            self._forward.close()
            self._forward = None


@dataclass(frozen=True)
class LoginPlatform:
    """An MLOps API in front of an MLflow server that asks for a login, with users made by its admin."""

    service: LocalMlopsService
    mlflow: VariantServer
    admin_api: MlflowApi
    users: dict[str, tuple[str, str]]  # name -> (login, password)


def mlops_from_chart(site: LocalSparkSite, database: Database, mlflow_url: str, workdir: Path,
                     overrides: dict[str, str] | None = None, port: int | None = None,
                     pods: PodNetwork | None = None, release: str | None = None) -> LocalMlopsService:
    """The chart's MLOps container for `site`'s Spark version, not yet started. With `pods` it runs in a pod of
    its own, its rendered environment as it is but for the image's folders: in the Spark version's namespace,
    or in the namespace of a `release` of its own, whose MLflow its Service name then leads to (the Spark
    master, another release's, by its pod's address). Without pods it is a process of this machine, with
    `mlflow_url` and a local value for every other Service (TRANSLATED_WITHOUT_PODS)."""
    rendered = chart.render("standalone-submit", site.version, {"mlops.enabled": "true", **(overrides or {})})
    container = rendered.container("mlops", CONTAINER)
    folder = workdir / f"mlops-api-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    port = claim_port(port, "the MLOps API")
    secret_values = {**service_values(database, {}), "MLOPS_SECRET_KEY": secrets.token_hex(16)}
    image_folders = {"SPARK_HOME": str(site.runtime.spark_home), "MLOPS_ENV_ROOT": str(ENVIRONMENTS),
                     "MLOPS_WORK_DIR": str(folder / "jobs"), "SPARK_CONF_DIR": str(folder / "spark-conf")}
    another_release = {"MLOPS_SPARK_MASTER_URL": site.master_url, "MLOPS_SPARK_MASTER_WEBUI": site.cluster.webui_url}
    if pods is None:
        local_values = {**secret_values, **image_folders, **another_release, "MLOPS_MLFLOW_URL": mlflow_url,
                        "MLFLOW_TRACKING_URI": mlflow_url, "POD_IP": site.host_address,
                        "MLOPS_SPARK_PROPERTIES": str(site.properties_for(site.host_address)),
                        "MLOPS_PORT": str(port)}
        env = {key: value if key in local_values else fill(value, {}, folder)  # the pod's folders: the run's
               for key, value in container_env(container, local_values).items()}
        volume_folder(folder, "/tmp").mkdir()
        env.update(MLOPS_HOST=LOOPBACK, PYTHONPATH=str(SERVICES_DIR), **OUTSIDE_CLIENT_ENV)
        return LocalMlopsService(site, env, folder, port)
    pod = pods.pod(f"{release or 'spec'}-mlops-{folder.name.rsplit('-', 1)[1]}", *rendered.run_as("mlops"),
                   release or site.cluster.namespace, [rendered.service_of("mlops")])
    properties = site.properties_for(pod.address)
    env = {**pod_env(container, secret_values, pod.address), **image_folders, **(another_release if release else {}),
           "MLOPS_SPARK_PROPERTIES": str(properties), "PYTHONPATH": str(SERVICES_DIR), **POD_DRIVER_ENV}
    pod.readable = (properties,)
    pod.own(folder, ENVIRONMENTS)
    pod.share(PYTHON_BYTECODE)
    translated = {**TRANSLATED, **({"MLOPS_SPARK_MASTER_URL, MLOPS_SPARK_MASTER_WEBUI": ANOTHER_RELEASES_MASTER}
                                   if release else {})}
    return LocalMlopsService(site, env, folder, port, pod, int(env["MLOPS_PORT"]), translated)
