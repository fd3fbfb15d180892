"""Spark on the local target: one standalone cluster per version (started on first use, shared by every
mode of that version) and, for 4.1.x, a Spark Connect server attached to it. Daemons, Connect server and jobs
run with the settings the chart renders for their mode, translated for loopback by chart_settings.

At most MAX_LIVE_VERSIONS versions run at once: asking for another stops the least recently used one (four
versions up at once took the suite to 7.6 GiB). spark_matrix.feature orders its rows so that this costs few
restarts: each outline starts on the versions the previous one ended with."""

from __future__ import annotations

import dataclasses
import json
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

from harness import chart, progress
from harness.errors import SuiteError
from harness.spark.chart_settings import (LocalEndpoints, Translation, connect_port, connect_server_args,
                                          daemon_settings, job_settings)
from harness.mlflow.legacy import LEGACY_VERSION
from harness.spark.iceberg_runtime import iceberg_jars
from harness.spark.jobs import JOBS_DIR
from harness.spark.runtimes import SparkRuntime, ensure_runtime
from harness.spark.site import IcebergCatalog, JobRun, SparkSite, run_logged
from harness.spark.standalone import SparkConnectServer, SparkStandalone
from harness.stores.postgres import Database
from harness.system.pods import Pod, PodNetwork
from harness.system.tools import CACHE_DIR
from harness.system.ports import LOOPBACK, claim_port
from harness.waits import SPARK_JOB_S


def gpu_discovery_script(gpu_kind: str | None) -> Path | None:
    return JOBS_DIR / f"gpu_discovery_{gpu_kind}.sh" if gpu_kind else None


def local_gpu_kind(gpu_setting: str) -> str | None:
    if gpu_setting == "simulated":
        return "simulated"
    return "nvidia" if shutil.which("nvidia-smi") else None


MAX_LIVE_VERSIONS = 2
# Bytecode of the runtimes' modules as the pods' user compiles it (PYTHONPYCACHEPREFIX), kept between runs.
PYTHON_BYTECODE = CACHE_DIR / "pod-bytecode"
# A driver in a pod: the pod's own /tmp, and bytecode where its user may write (the runtimes are read-only).
POD_DRIVER_ENV = {"SPARK_SUBMIT_OPTS": "-Djava.io.tmpdir=/tmp", "PYTHONPYCACHEPREFIX": str(PYTHON_BYTECODE)}


class LiveVersions:
    """Which Spark versions run, least recently used first, at most `limit` of them."""

    def __init__(self, limit: int = MAX_LIVE_VERSIONS) -> None:
        self.limit = limit
        self.running: list[str] = []
        self.pinned: set[str] = set()  # never stopped to make room: a service of the platform runs on it

    def use(self, version: str) -> list[str]:
        """Mark `version` as used now; returns the versions to stop first to make room for it (none when it
        runs already)."""
        if version in self.running:
            self.running.remove(version)
            self.running.append(version)
            return []
        stoppable = [running for running in self.running if running not in self.pinned]
        evicted = stoppable[:max(0, len(self.running) + 1 - self.limit)]
        self.running = [*(running for running in self.running if running not in evicted), version]
        return evicted


class LocalSparkPool:
    """Clusters and Connect servers by Spark version, at most MAX_LIVE_VERSIONS of them up, all stopped by
    close()."""

    def __init__(self, workdir: Path, mlflow_url: str, storage_env: dict[str, str], database: Database,
                 gpu_kind: str | None, pods: PodNetwork | None = None):
        self.workdir = workdir
        self.dfs_tmp = workdir / "mlflow-dfs-tmp"
        self.pods = pods
        # Where drivers that are processes of this machine (a user's of `make platform`) listen: the executors,
        # in the workers' pods, reach this machine at the run's address on the pods' bridge.
        self.host_address = pods.gateway if pods else LOOPBACK
        self.platform_env = {"MLFLOW_TRACKING_URI": mlflow_url}
        self.storage_env = storage_env
        self.database = database
        self.gpu_kind = gpu_kind
        self.spark_secret = secrets.token_hex(16)  # the chart's generated spark-auth Secret, here
        # The chart's Spark user (its securityContext), rendered once per run for every driver pod.
        self._spark_user = daemon_settings(chart.render_default(), None, None, "", in_pods=True).run_as \
            if pods else (0, 0)
        self.client_pod = self._client_pod()
        self.driver_host = self.client_pod.address if self.client_pod else LOOPBACK  # where its drivers listen
        self._live = LiveVersions()
        self._clusters: dict[str, SparkStandalone] = {}
        self._connect: dict[str, SparkConnectServer] = {}
        self._sites: dict[tuple[str, str], LocalSparkSite] = {}
        self.started_versions: list[str] = []  # every start, restarts included
        self.evicted_versions: list[str] = []

    def site(self, mode: str, version: str) -> "LocalSparkSite":
        """The site of a mode and version, made once while its cluster lives (the chart is rendered and
        translated once)."""
        self._cluster(version)  # started again if it was stopped, and now the most recently used
        if (mode, version) not in self._sites:
            self._sites[(mode, version)] = self._new_site(mode, version)
        return self._sites[(mode, version)]

    def _new_site(self, mode: str, version: str) -> "LocalSparkSite":
        cluster = self._cluster(version)
        connect = self._connect_server(cluster) if mode.startswith("connect-") else None
        rendered = chart.render(mode, version)
        jars = iceberg_jars(cluster.runtime) if chart.iceberg_catalogs(rendered) else ()
        return LocalSparkSite(mode, cluster, connect, rendered, jars, self)

    def endpoints(self, cluster: SparkStandalone, iceberg: tuple[Path, ...] = (),
                  driver_host: str | None = None) -> LocalEndpoints:
        """Where a driver's settings find the services, its own address `driver_host` (the client pod's when
        None) among them."""
        return LocalEndpoints(
            master_url=cluster.master_url, scratch=self.workdir, jdbc_host=self.database.host,
            jdbc_port=self.database.port, jdbc_password=self.database.password,
            s3_endpoint=self.storage_env["MLFLOW_S3_ENDPOINT_URL"],
            gpu_discovery_script=gpu_discovery_script(self.gpu_kind), iceberg_jars=iceberg,
            spark_secret=self.spark_secret, driver_host=(driver_host or self.driver_host) if self.pods else None)

    def _client_pod(self) -> Pod | None:
        """The pod the drivers run in (spark-submit in the client and master pods, Connect clients)."""
        return self._driver_pod("spark-client-0", self.workdir / "logs" / "jobs")

    def _driver_pod(self, name: str, work_dir: Path) -> Pod | None:
        """A pod for drivers, with `work_dir` its own: the chart's Spark user, an address of its own."""
        if self.pods is None:
            return None
        pod = self.pods.pod(name, *self._spark_user, "spark-drivers")
        pod.readable = (self.workdir / "spark-conf",)
        pod.writable = ()
        pod.own(work_dir)
        pod.share(*self.shared_folders(), PYTHON_BYTECODE)
        return pod

    def pod_translations(self) -> list[Translation]:
        """Where the processes of the chart's Spark pods run here."""
        if self.pods is None:
            return [Translation("every Spark pod", "a pod of its own", "a process of this machine, as root, on "
                                "loopback", "pod isolation is off (see the run's environment)")]
        return [
            Translation("spark-master, spark-worker (executors inside)", "a pod of its own",
                        f"a pod of its own on {self.pods.subnet}", "network namespace, hostname, securityContext "
                        "uid/gid, read-only root, private /tmp: as the chart renders them"),
            Translation("mlflow, postgresql, minio (the platform's)", "a pod of its own", f"a pod of its own on "
                        f"{self.pods.subnet}, at the chart's port, reached by its Service name from every pod",
                        "the suite reaches MLflow through a port-forward on loopback (as on the k8s target), "
                        "PostgreSQL as its superuser through its socket folder, S3 at the pod's address"),
            Translation("MLflow servers a scenario starts from the chart (other values, upgrades), the MLflow "
                        f"{LEGACY_VERSION} server of the upgrade scenarios, its own and restored platforms",
                        "pods of their own", f"pods of their own on {self.pods.subnet}, each a "
                        "release of its own whose Service names lead to its own pods", "reached by the suite through "
                        "port-forwards"),
            Translation("the chart's backup, pre-upgrade and restore Jobs", "a pod each", "a pod each, as the "
                        "rendered uid", "their database and stores given by address (a backup may be of any "
                        "database the scenario names)"),
            Translation("the production and SSO deployments", "pods of their own", "a release of its own each: "
                        "replicas, PostgreSQL and the store in pods, HAProxy in the Ingress controller's pod (the "
                        "store's Service name leads to its gate)", "the identity provider listens at the run's "
                        f"address {self.host_address}; the suite reaches the balancer through a port-forward"),
            Translation("drivers (spark-client and master pods' spark-submit, Connect clients)", "a pod of its own",
                        f"the pod spark-client-0 at {self.driver_host}", "one pod for the drivers of every Spark "
                        "version and mode; each Connect server in a pod of its own"),
            Translation("the MLOps API and its drivers", "a pod of its own", "a pod of its own per replica, in the "
                        "Spark version's namespace", "the pod outlives a restart of the service (a sandbox process "
                        "holds it, as the pause container does); its drivers advertise the pod's address"),
            Translation("MLFLOW_DFS_TMP, the Iceberg warehouse", "s3a:// storage every pod reaches (k8s target)",
                        ", ".join(str(folder) for folder in self.shared_folders()) + ", mounted in the worker's pod",
                        "hadoop-aws and Iceberg's AWS bundle cannot be had here"),
        ]

    def shared_folders(self) -> tuple[Path, ...]:
        """What drivers and executors both write, as storage every pod shares would hold it on a cluster: the
        staging path of Spark models (MLFLOW_DFS_TMP; s3a on the k8s target, which needs hadoop-aws from Maven)
        and the Iceberg warehouse."""
        folders = (self.dfs_tmp, self.workdir / "iceberg-warehouse")
        for folder in folders:
            folder.mkdir(exist_ok=True)
        return folders

    def _cluster(self, version: str) -> SparkStandalone:
        for least_recent in self._live.use(version):
            self._stop_version(least_recent)
        if version not in self._clusters:
            runtime = ensure_runtime(version)
            gpu_rendered = chart.render("gpu", version) if self.gpu_kind else None
            settings = daemon_settings(chart.render("standalone-submit", version), gpu_rendered,
                                       gpu_discovery_script(self.gpu_kind), self.spark_secret, self.pods is not None)
            gpus = tuple(sorted(Path("/dev").glob("nvidia*"))) if self.gpu_kind == "nvidia" else ()
            cluster = SparkStandalone(runtime, self.workdir, settings, self.pods, self.shared_folders(), gpus)
            self._clusters[version] = cluster
            self.started_versions.append(version)
            with progress.step(f"starting a Spark {version} standalone master and worker"):
                cluster.start()
        return self._clusters[version]

    def _stop_version(self, version: str) -> None:
        with progress.step(f"stopping Spark {version}, the least recently used (at most {MAX_LIVE_VERSIONS} "
                           "versions run at once)"):
            connect = self._connect.pop(version, None)
            if connect is not None:
                connect.stop()
            cluster = self._clusters.pop(version, None)  # None when its start failed before it existed
            if cluster is not None:
                cluster.stop()
        self._sites = {key: site for key, site in self._sites.items() if key[1] != version}
        self.evicted_versions.append(version)

    def _connect_server(self, cluster: SparkStandalone) -> SparkConnectServer:
        version = cluster.runtime.version
        if version not in self._connect:
            rendered = chart.render("connect-standalone", version)
            work_dir = cluster.workdir / "connect"
            work_dir.mkdir(parents=True, exist_ok=True)
            pod = self._driver_pod(f"spark-{version.replace('.', '-')}-connect-0", work_dir)
            # In its pod, the server listens at its own address on the chart's port, as on a cluster.
            host = pod.address if pod else LOOPBACK
            port = connect_port(rendered) if pod else claim_port(None, f"the Spark {version} Connect server")
            args, _ = connect_server_args(rendered, cluster.master_url, host, port)
            properties = job_settings(rendered, self.endpoints(cluster, driver_host=host)).write_properties(
                self.workdir / "spark-conf" / f"connect-{version}.conf")
            server = SparkConnectServer(cluster, self.workdir, host, port,
                                        ["--properties-file", str(properties), *args],
                                        {**self.platform_env, "SPARK_LOCAL_IP": host,
                                         **(POD_DRIVER_ENV if pod else {})}, pod, work_dir)
            self._connect[version] = server
            with progress.step(f"starting the Spark {version} Connect server"):
                server.start()
        return self._connect[version]

    def pin(self, version: str) -> None:
        """Keep `version` running until the pool closes (the MLOps API submits to it)."""
        self._live.pinned.add(version)

    @property
    def versions(self) -> list[str]:
        return sorted(set(self.started_versions))

    def close(self) -> None:
        for service in [*self._connect.values(), *self._clusters.values()]:
            service.stop()
        self._connect.clear()
        self._clusters.clear()
        self._sites.clear()


class LocalSparkSite(SparkSite):
    def __init__(self, mode: str, cluster: SparkStandalone, connect: SparkConnectServer | None,
                 rendered: chart.Rendered, iceberg: tuple[Path, ...], pool: LocalSparkPool) -> None:
        self.mode = mode
        self.version = cluster.runtime.version
        self.jobs_dir = str(JOBS_DIR)
        self.cluster = cluster
        self.master_url = cluster.master_url
        self.connect_url = connect.url if connect else None
        self.gpu_kind = pool.gpu_kind
        self.driver_host = pool.driver_host  # where drivers started here listen
        self.host_address = pool.host_address  # where drivers that are processes of this machine listen
        self.settings = job_settings(rendered, pool.endpoints(cluster, iceberg))
        self._connect = connect
        self._iceberg = iceberg
        self._rendered = rendered
        self._pool = pool
        self.runtime: SparkRuntime = cluster.runtime
        # SPARK_CONF_DIR as in the pods: a driver that a Python program starts reads it too (an MLflow project's).
        self._conf_dir = pool.workdir / "spark-conf" / f"{mode}-{self.version}"
        self._properties = self.settings.write_properties(self._conf_dir / "spark-defaults.conf")

    def properties_for(self, driver_host: str) -> Path:
        """The mode's spark-defaults.conf for drivers that listen at `driver_host` (the MLOps API's, in its pod;
        a user's of `make platform`, at the run's own address), where the executors reach them."""
        settings = job_settings(self._rendered, self._pool.endpoints(self.cluster, self._iceberg, driver_host))
        return settings.write_properties(self._conf_dir.with_name(f"{self._conf_dir.name}-{driver_host}") /
                                         "spark-defaults.conf")

    def settings_report(self) -> str:
        sections = [f"Spark {self.version} daemons (chart -> local):\n{self.cluster.settings.report()}",
                    f"{self.mode} jobs' spark-defaults.conf (chart -> local):\n{self.settings.report()}"]
        if self._connect:
            _, connect = connect_server_args(self._rendered, self.master_url, self._connect.host, self._connect.port)
            sections.append("Connect server (chart -> local):\n" + "\n".join(t.line() for t in connect))
        sections.append("Pods (chart -> local):\n" + "\n".join(t.line() for t in self._pool.pod_translations()))
        return "\n\n".join(sections)

    def _env(self, storage_access: bool) -> dict[str, str]:
        storage = self._pool.storage_env if storage_access else {}
        in_pod = POD_DRIVER_ENV if self._pool.client_pod else {}
        return self.runtime.env(**self._pool.platform_env, **storage, MLFLOW_DFS_TMP=str(self._pool.dfs_tmp),
                                 SPARK_MASTER=self.master_url, SPARK_CONF_DIR=str(self._conf_dir),
                                 PYTHONPATH=str(JOBS_DIR), SPARK_LOCAL_IP=self._pool.driver_host, **in_pod)

    def _log(self, job: str) -> Path:
        logs = self._pool.workdir / "logs" / "jobs"
        logs.mkdir(parents=True, exist_ok=True)
        return logs / f"{self.mode}-{self.version}-{Path(job).stem}-{len(list(logs.iterdir()))}.log"

    def submit(self, job: str, job_args: list[str], conf: dict[str, str], timeout: float = SPARK_JOB_S,
               storage_access: bool = False, stop_when_logged: str | None = None) -> JobRun:
        confs = [arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")]
        argv = [str(self.runtime.spark_home / "bin" / "spark-submit"), "--master", self.master_url,
                "--properties-file", str(self._properties), *confs, str(JOBS_DIR / job), *job_args]
        log = self._log(job)
        return run_logged(f"spark-submit {job}", argv, log, self._env(storage_access), timeout, cwd=log.parent,
                          stop_when_logged=stop_when_logged, pod=self._pool.client_pod)

    def run_python(self, job: str, job_args: list[str], timeout: float = SPARK_JOB_S,
                   cwd: Path | None = None, module: bool = False, storage_access: bool = False) -> JobRun:
        target = ["-m", job] if module else [str(JOBS_DIR / job)]
        argv = [str(self.runtime.python), *target, *job_args]
        log = self._log(job)
        return run_logged(f"python {job}", argv, log, self._env(storage_access), timeout, cwd or log.parent,
                          pod=self._pool.client_pod)

    def application_state(self, app_id: str) -> str | None:
        app = self.cluster.application(app_id)
        return str(app["state"]) if app else None

    def gpu_discovery(self) -> dict[str, Any]:
        script = gpu_discovery_script(self.gpu_kind)
        if script is None:
            raise SuiteError("this Spark site has no GPU discovery script", "run with GPUs or -D gpu=simulated")
        done = subprocess.run([str(script)], capture_output=True, text=True, timeout=30, check=True)
        return dict(json.loads(done.stdout))

    def iceberg_reader(self) -> str:
        # The chart's catalog stays in this target's settings only where a runtime jar exists (Spark 3.5).
        configured = f"spark.sql.catalog.{IcebergCatalog.from_chart(self._rendered, '').name}" in self.settings.conf
        return "the Iceberg Spark runtime" if configured else "pyiceberg"

    def catalog(self) -> IcebergCatalog:
        catalog = IcebergCatalog.from_chart(self._rendered, self._pool.database.sqlalchemy_uri())
        # Where Spark has the Iceberg runtime, the table lives where Spark's catalog keeps it.
        local = self.settings.conf.get(f"spark.sql.catalog.{catalog.name}.warehouse")
        return dataclasses.replace(catalog, warehouse=local) if local else catalog
