"""Spark on the local target: one standalone cluster per version (started on first use, shared by every
mode of that version) and, for 4.1.x, a Spark Connect server attached to it."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import progress
from harness.jobs import JOBS_DIR
from harness.runtimes import SparkRuntime, ensure_runtime
from harness.services.spark import SparkConnectServer, SparkStandalone
from harness.spark_site import JOB_TIMEOUT_S, JobRun, SparkSite, run_logged

DRIVER_MEMORY = "512m"  # Spark's floor; the 2-core machines have no room for more per job


def gpu_worker_options(gpu_kind: str | None) -> str:
    if gpu_kind is None:
        return ""
    script = JOBS_DIR / f"gpu_discovery_{gpu_kind}.sh"
    return f"-Dspark.worker.resource.gpu.amount=2 -Dspark.worker.resource.gpu.discoveryScript={script}"


def local_gpu_kind(gpu_setting: str) -> str | None:
    if gpu_setting == "simulated":
        return "simulated"
    return "nvidia" if shutil.which("nvidia-smi") else None


class LocalSparkPool:
    """Clusters and Connect servers by Spark version, each started once and stopped by close()."""

    def __init__(self, workdir: Path, platform_env: dict[str, str], storage_env: dict[str, str],
                 catalog: tuple[str, str], gpu_kind: str | None):
        self.workdir = workdir
        self.platform_env = platform_env
        self.storage_env = storage_env
        self.catalog = catalog
        self.gpu_kind = gpu_kind
        self._clusters: dict[str, SparkStandalone] = {}
        self._connect: dict[str, SparkConnectServer] = {}

    def site(self, mode: str, version: str) -> "LocalSparkSite":
        cluster = self._cluster(version)
        connect = self._connect_server(cluster) if mode.startswith("connect-") else None
        return LocalSparkSite(mode, cluster, connect, self)

    def _cluster(self, version: str) -> SparkStandalone:
        if version not in self._clusters:
            runtime = ensure_runtime(version)
            cluster = SparkStandalone(runtime, self.workdir, gpu_worker_options(self.gpu_kind))
            self._clusters[version] = cluster
            with progress.step(f"starting a Spark {version} standalone master and worker"):
                cluster.start()
        return self._clusters[version]

    def _connect_server(self, cluster: SparkStandalone) -> SparkConnectServer:
        version = cluster.runtime.version
        if version not in self._connect:
            server = SparkConnectServer(cluster, self.workdir, self.platform_env)
            self._connect[version] = server
            with progress.step(f"starting the Spark {version} Connect server"):
                server.start()
        return self._connect[version]

    @property
    def versions(self) -> list[str]:
        return sorted(self._clusters)

    def close(self) -> None:
        for service in [*self._connect.values(), *self._clusters.values()]:
            service.stop()
        self._connect.clear()
        self._clusters.clear()


class LocalSparkSite(SparkSite):
    def __init__(self, mode: str, cluster: SparkStandalone, connect: SparkConnectServer | None,
                 pool: LocalSparkPool) -> None:
        self.mode = mode
        self.version = cluster.runtime.version
        self.cluster = cluster
        self.master_url = cluster.master_url
        self.connect_url = connect.url if connect else None
        self.gpu_kind = pool.gpu_kind
        self._pool = pool
        self._runtime: SparkRuntime = cluster.runtime

    def _env(self, storage_access: bool) -> dict[str, str]:
        dfs_tmp = self._pool.workdir / "mlflow-dfs-tmp"
        dfs_tmp.mkdir(exist_ok=True)
        storage = self._pool.storage_env if storage_access else {}
        return self._runtime.env(**self._pool.platform_env, **storage, MLFLOW_DFS_TMP=str(dfs_tmp),
                                 SPARK_MASTER=self.master_url, PYTHONPATH=str(JOBS_DIR))

    def _log(self, job: str) -> Path:
        logs = self._pool.workdir / "logs" / "jobs"
        logs.mkdir(parents=True, exist_ok=True)
        return logs / f"{self.mode}-{self.version}-{Path(job).stem}-{len(list(logs.iterdir()))}.log"

    def submit(self, job: str, job_args: list[str], conf: dict[str, str], timeout: float = JOB_TIMEOUT_S,
               storage_access: bool = False) -> JobRun:
        defaults = {"spark.executor.memory": DRIVER_MEMORY, "spark.cores.max": "2"}
        confs = [arg for key, value in {**defaults, **conf}.items()
                 for arg in ("--conf", f"{key}={value}")]
        argv = [str(self._runtime.spark_home / "bin" / "spark-submit"), "--master", self.master_url,
                "--driver-memory", DRIVER_MEMORY, *confs, str(JOBS_DIR / job), *job_args]
        return run_logged(f"spark-submit {job}", argv, self._log(job), self._env(storage_access), timeout)

    def run_python(self, job: str, job_args: list[str], timeout: float = JOB_TIMEOUT_S,
                   cwd: Path | None = None, module: bool = False, storage_access: bool = False) -> JobRun:
        target = ["-m", job] if module else [str(JOBS_DIR / job)]
        argv = [str(self._runtime.python), *target, *job_args]
        return run_logged(f"python {job}", argv, self._log(job), self._env(storage_access), timeout, cwd)

    def application_state(self, app_id: str) -> str | None:
        app = self.cluster.application(app_id)
        return str(app["state"]) if app else None

    def catalog(self) -> tuple[str, str]:
        return self._pool.catalog
