"""The chart's MLOps API pod made local: its container's command and environment as the chart renders them,
with local values for what names a Service, a Secret or a pod folder, run as a process on loopback.

What cannot apply here is translated in TRANSLATED (the report shows the list): Service names become the
local services' addresses, the image's Spark and package folder the runtime's, the pod's folders folders of
the run. Environments are kept between runs (a cache outside the repository), as a pod would keep them on a
volume; everything else goes with the run.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

from harness import chart
from harness.mlflow.artifacts import OUTSIDE_CLIENT_ENV
from harness.chart.local_containers import container_env, fill, service_values, volume_folder
from harness.mlflow.api import MlflowApi
from harness.mlflow.variant import VariantServer
from harness.spark.local import LocalSparkSite
from harness.stores.postgres import Database
from harness.system import sweeper
from harness.system.ports import LOOPBACK, claim_port
from harness.system.process import ManagedProcess
from harness.system.tools import CACHE_DIR
from harness.waits import MLOPS_START_S

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
ENVIRONMENTS = CACHE_DIR / "mlops-environments"
CONTAINER = "mlops-api"
TRANSLATED = {
    "MLOPS_MLFLOW_URL, MLFLOW_TRACKING_URI": "the local MLflow server (the chart: its Service name)",
    "MLOPS_SPARK_MASTER_URL, MLOPS_SPARK_MASTER_WEBUI": "the local master of the Spark version (its Service)",
    "MLFLOW_DB_*": "the local PostgreSQL (the chart: its Service and Secret)",
    "SPARK_HOME": "the Spark runtime's pyspark folder (the image: /opt/spark)",
    "MLOPS_SPARK_PROPERTIES": "the mode's spark-defaults.conf translated for loopback (the pod: the init "
                              "container's copy)",
    "MLOPS_ENV_ROOT": f"{ENVIRONMENTS}, kept between runs (the pod: an emptyDir)",
    "MLOPS_WORK_DIR, HOME, SPARK_CONF_DIR": "folders of the run (the pod: emptyDirs)",
    "POD_IP": "the run's address on the pods' bridge (127.0.0.1 without pods)",
    "MLFLOW_ENABLE_PROXY_MULTIPART_*": "false, added: the service and its drivers run outside the pods here, and "
                                       "the store's presigned URLs name its in-cluster address",
    "python3 -m mlops_api": "the runtime's Python with services/ on PYTHONPATH (the image: /opt/mlops)",
}


@dataclass
class LocalMlopsService:
    """One replica of the MLOps API. restart() is a graceful stop and a start (the drivers run on, as the
    process of a restarted container's service would leave them); lose_pod() takes the drivers with it."""

    site: LocalSparkSite
    env: dict[str, str]
    folder: Path
    port: int
    _process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def spark_version(self) -> str:
        return self.site.version

    def settings_report(self) -> str:
        """How this replica's container differs from the chart's, for the report."""
        return "\n".join(f"{names}: {how}" for names, how in TRANSLATED.items())

    def application_state(self, app_id: str | None) -> str | None:
        """What the platform's Spark master says of an application."""
        return self.site.application_state(app_id) if app_id else None

    @property
    def log_path(self) -> Path:
        return self.folder.parent / "logs" / f"{self.folder.name}.log"

    def start(self) -> None:
        self._process = ManagedProcess("MLOps API", [str(self.site.runtime.python), "-m", "mlops_api"],
                                       self.log_path, env=self.site.runtime.env(**self.env), cwd=self.folder)
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


@dataclass(frozen=True)
class LoginPlatform:
    """An MLOps API in front of an MLflow server that asks for a login, with users made by its admin."""

    service: LocalMlopsService
    mlflow: VariantServer
    admin_api: MlflowApi
    users: dict[str, tuple[str, str]]  # name -> (login, password)


def mlops_from_chart(site: LocalSparkSite, database: Database, mlflow_url: str, workdir: Path,
                     overrides: dict[str, str] | None = None, port: int | None = None) -> LocalMlopsService:
    """The chart's MLOps container for `site`'s Spark version, with the local values, not yet started."""
    rendered = chart.render("standalone-submit", site.version, {"mlops.enabled": "true", **(overrides or {})})
    container = rendered.container("mlops", CONTAINER)
    folder = workdir / f"mlops-api-{secrets.token_hex(3)}"
    folder.mkdir(parents=True)
    port = claim_port(port, "the MLOps API")
    local_values = {
        **service_values(database, {}), "MLOPS_MLFLOW_URL": mlflow_url, "MLFLOW_TRACKING_URI": mlflow_url,
        "MLOPS_SPARK_MASTER_URL": site.master_url, "MLOPS_SPARK_MASTER_WEBUI": site.cluster.webui_url,
        "SPARK_HOME": str(site.runtime.spark_home),
        "MLOPS_SPARK_PROPERTIES": str(site.properties_for_this_machine()),
        "MLOPS_ENV_ROOT": str(ENVIRONMENTS), "MLOPS_WORK_DIR": str(folder / "jobs"),
        "SPARK_CONF_DIR": str(folder / "spark-conf"), "POD_IP": site.host_address, "MLOPS_PORT": str(port),
        "MLOPS_SECRET_KEY": secrets.token_hex(16)}
    env = {key: value if key in local_values else fill(value, {}, folder)  # the pod's folders: the run's
           for key, value in container_env(container, local_values).items()}
    volume_folder(folder, "/tmp").mkdir()
    env.update(MLOPS_HOST=LOOPBACK, PYTHONPATH=str(SERVICES_DIR), **OUTSIDE_CLIENT_ENV)
    return LocalMlopsService(site, env, folder, port)
