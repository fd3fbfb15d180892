"""Spark of the k8s target's release: jobs run inside its pods (spark-submit in the master pod or the spark-client
pod), Connect clients here against the port-forwarded Connect service; and the MLOps API as a Service."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shlex
import tarfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from harness import chart
from harness.errors import SuiteError
from harness.spark.jobs import JOBS_DIR
from harness.spark.runtimes import ensure_runtime, requirements
from harness.spark.site import IcebergCatalog, JobRun, SparkSite, run_logged
from harness.system import tools
from harness.targets.k8s.cluster import ExecFailed, PodRef
from harness.waits import API_CALL_S, DRIVER_REQUIREMENTS_S, SPARK_JOB_S

if TYPE_CHECKING:
    from harness.targets.k8s.target import K8sTarget

REMOTE_JOBS = "/tmp/spec-jobs"
REMOTE_PYLIB = "/tmp/spec-pylib"
# Programs that are clients of the platform (of Spark Connect, of MLflow) run here, on the local Spark runtime,
# against the port-forwarded services; everything else runs in the driver pod.
CLIENT_JOBS = frozenset({"train_connect.py", "predict_with_model.py"})


def driver_requirements(version: str) -> list[str]:
    """What a driver pod's Python needs besides the image's pyspark: the local runtime's pins minus pyspark
    (the apache/spark images have no numpy, pandas, MLflow or pyiceberg)."""
    return [pin for pin in requirements(version) if not pin.startswith("pyspark")]


def driver_script(env: list[str], command: list[str], pid_file: str) -> str:
    """The in-pod shell script of a job. Every driver advertises the pod's IP (executors in other pods must
    reach it by address: cluster DNS may not know the pod's name): spark-submit by its conf, any other program
    that starts a Spark session (the MLflow project's driver) by SPARK_LOCAL_HOSTNAME, which Spark takes as its
    host name. `python` exists for MLflow projects, pyspark and py4j come from the image, and the job's pid (it
    leads its own process group) goes to `pid_file` so that a timeout can stop all of it."""
    driver_host = ['"spark.driver.host=$POD_IP"'] if command and command[0].endswith("spark-submit") else []
    quoted = [shlex.quote(part) for part in [*env, *command]]
    split = len(env) + 1
    line = " ".join([*quoted[:split], *(["--conf", *driver_host] if driver_host else []), *quoted[split:]])
    return "\n".join([
        'POD_IP="${POD_IP:-$(hostname -i | cut -d" " -f1)}"',
        'export POD_IP SPARK_LOCAL_IP="$POD_IP" SPARK_LOCAL_HOSTNAME="$POD_IP"',
        f'export PATH="{REMOTE_PYLIB}/bin:$PATH"',
        f'PYTHONPATH="{REMOTE_JOBS}:{REMOTE_PYLIB}:$SPARK_HOME/python:$(ls "$SPARK_HOME"/python/lib/py4j-*.zip)"',
        "export PYTHONPATH",
        f"echo $$ > {pid_file}",
        f"exec env {line}",
    ])


MODEL_STAGING_PREFIX = ".spark-model-staging"


def hadoop_version(spark_home: Path) -> str:
    """The Hadoop client a Spark distribution ships (hadoop-aws must be the same version)."""
    jars = sorted((spark_home / "jars").glob("hadoop-client-api-*.jar"))
    if not jars:
        raise SuiteError(f"no hadoop-client-api jar under {spark_home / 'jars'}", "rebuild the Spark runtime")
    return jars[-1].name.removeprefix("hadoop-client-api-").removesuffix(".jar")


def model_staging(rendered: chart.Rendered, hadoop: str, access_key: str, secret_key: str) -> \
        tuple[str, dict[str, str]]:
    """Where `mlflow.spark.log_model` stages a model (MLFLOW_DFS_TMP) and the Spark settings to reach it.
    Spark ML writes a model from the executors and MLflow copies it to the driver from that path, so it must be
    storage every pod shares: the release's bucket through s3a (hadoop-aws of the distribution's Hadoop, fetched
    like the chart's Iceberg packages). A /tmp path would leave the parts in the executors' pods and the driver
    would upload only `_SUCCESS` files. MLflow removes the staged copy once it has it."""
    conf = rendered.spark_conf()
    packages = [p for p in conf.get("spark.jars.packages", "").split(",") if p]
    endpoint = chart.env_values(chart.mlflow_container(rendered))["MLFLOW_S3_ENDPOINT_URL"]
    return f"s3a://{chart.artifact_bucket(rendered)}/{MODEL_STAGING_PREFIX}", {
        "spark.jars.packages": ",".join([*packages, f"org.apache.hadoop:hadoop-aws:{hadoop}"]),
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.access.key": access_key,
        "spark.hadoop.fs.s3a.secret.key": secret_key,
    }


def in_pod_job(script: str) -> list[str]:
    """The command `kubectl exec` runs for a job: its own session and process group (so that a timeout can stop
    it whole), and its exit status kept. The exec'd shell already leads its process group, so a bare `setsid`
    would fork, return 0 at once and lose the job's status: `-w` waits and passes the status on."""
    return ["setsid", "-w", "sh", "-c", script]


def kill_group(pid_file: str) -> str:
    """Stop the process group whose leader's pid is in `pid_file`, in the images' /bin/sh (dash, which reads
    the `--` of `kill -TERM -- -PGID` as a pid and kills nothing)."""
    return f'kill -TERM -"$(cat {pid_file})"'


class K8sSparkSite(SparkSite):
    """Jobs run inside the release: spark-submit in the master pod (standalone modes) or the spark-client pod
    (k8s mode); Connect clients run here against the port-forwarded Connect service."""

    def __init__(self, target: K8sTarget, mode: str, version: str) -> None:
        self.target, self.mode, self.version = target, mode, version
        self.jobs_dir = REMOTE_JOBS
        self.gpu_kind = "nvidia" if mode == "gpu" else None
        on_k8s = mode in ("k8s", "connect-k8s")
        self.master_url = "k8s://https://kubernetes.default.svc:443" if on_k8s else \
            f"spark://{target.fullname}-master:7077"
        self.connect_url = (f"sc://{target.forward('spark-connect', 15002).address}"
                            if mode.startswith("connect-") else None)
        self._driver_component = None if mode == "connect-k8s" else ("spark-client" if mode == "k8s" else "spark-master")

    def _prepare_driver(self) -> PodRef:
        """The driver pod, with harness/spark/jobs copied in and the runtime's Python packages installed, once
        per pod (by UID: an upgrade recreates the master under the same name with an empty /tmp)."""
        if self._driver_component is None:
            raise SuiteError(f"mode {self.mode} runs jobs through Spark Connect only")
        pod = self.target.pod_of(self._driver_component)
        if pod.uid not in self.target.prepared_drivers:
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode="w:gz") as tar:
                tar.add(str(JOBS_DIR), arcname="spec-jobs", filter=lambda i: None if "__pycache__" in i.name else i)
            # A few kB: passed inline, since the exec stream cannot signal the end of stdin to tar.
            packed = base64.b64encode(archive.getvalue()).decode()
            self.target.cluster.exec_in(pod.name, ["sh", "-c", f"echo {packed} | base64 -d | tar -xz -C /tmp"])
            self.target.cluster.exec_in(pod.name, ["python3", "-m", "pip", "install", "--quiet", "--target",
                                                   REMOTE_PYLIB, *driver_requirements(self.version)], timeout=DRIVER_REQUIREMENTS_S)
            self.target.cluster.exec_in(pod.name, ["sh", "-c", f"mkdir -p {REMOTE_PYLIB}/bin && "
                                                   f"ln -sf \"$(command -v python3)\" {REMOTE_PYLIB}/bin/python"])
            self.target.prepared_drivers.add(pod.uid)
        return pod

    def _remote_env(self, dfs_tmp: str | None = None) -> list[str]:
        # Storage keys are not passed: the chart gives the pods that need them (iceberg mode) their own.
        return [f"MLFLOW_TRACKING_URI=http://{self.target.fullname}-mlflow:5000", f"SPARK_MASTER={self.master_url}",
                *([f"MLFLOW_DFS_TMP={dfs_tmp}"] if dfs_tmp else [])]

    def _storage_keys(self) -> tuple[str, str]:
        return (self.target.secret(f"{self.target.fullname}-s3", "access-key"),
                self.target.secret(f"{self.target.fullname}-s3", "secret-key"))

    def _run_in_driver(self, name: str, command: list[str], timeout: float, secrets: tuple[str, ...] = (),
                       dfs_tmp: str | None = None, stop_when_logged: str | None = None) -> JobRun:
        pod = self._prepare_driver()
        log = self.target.workdir / "logs" / f"{self.mode}-{self.version}-{name.replace(' ', '-')}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        pid_file = f"/tmp/spec-job-{uuid.uuid4().hex[:8]}.pid"
        kubectl = [str(tools.CACHE_DIR / "tools" / "kubectl"), "exec", "-n", self.target.namespace, pod.name, "--",
                   *in_pod_job(driver_script(self._remote_env(dfs_tmp), command, pid_file))]
        job = run_logged(name, kubectl, log, env=dict(os.environ), timeout=timeout, secrets=secrets,
                         stop_when_logged=stop_when_logged)
        if job.returncode is None:  # stopped: kubectl is gone, the job in the pod is not
            with contextlib.suppress(ExecFailed):
                self.target.cluster.exec_in(pod.name, ["sh", "-c", kill_group(pid_file)], timeout=30)
        return job

    def submit(self, job: str, job_args: list[str], conf: dict[str, str], timeout: float = SPARK_JOB_S,
               storage_access: bool = False, stop_when_logged: str | None = None) -> JobRun:
        keys = self._storage_keys()
        dfs_tmp, staging = model_staging(self.target.rendered(), hadoop_version(ensure_runtime(self.version).spark_home),
                                         *keys)
        # Executor pods stay after the job so that application_state (and the evidence) can see them.
        confs = {"spark.driver.memory": "512m", "spark.kubernetes.executor.deleteOnTermination": "false",
                 **staging, **conf}
        conf_args = [arg for key, value in confs.items() for arg in ("--conf", f"{key}={value}")]
        return self._run_in_driver(f"spark-submit {job}", ["/opt/spark/bin/spark-submit", "--master", self.master_url,
                                                             *conf_args, f"{REMOTE_JOBS}/{job}", *job_args],
                                   timeout, (*self._secrets(), *keys), dfs_tmp, stop_when_logged)

    def run_python(self, job: str, job_args: list[str], timeout: float = SPARK_JOB_S,
                   cwd: Path | None = None, module: bool = False, storage_access: bool = False) -> JobRun:
        if job in CLIENT_JOBS:
            runtime = ensure_runtime(self.version)
            log = self.target.workdir / "logs" / f"{self.mode}-{self.version}-{job}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            env = runtime.env(MLFLOW_TRACKING_URI=self.target.platform().mlflow_url, PYTHONPATH=str(JOBS_DIR))
            return run_logged(f"python {job}", [str(runtime.python), str(JOBS_DIR / job), *job_args], log, env,
                              timeout, cwd)
        target = ["-m", job] if module else [f"{REMOTE_JOBS}/{job}"]
        return self._run_in_driver(f"python {job}", ["python3", *target, *job_args], timeout, self._secrets())

    def _secrets(self) -> tuple[str, ...]:
        """Values that may appear in a job's command line (the catalog URI's password) and must not in a report."""
        return (self.target.secret(f"{self.target.fullname}-postgresql", "password"),)

    def application_state(self, app_id: str) -> str | None:
        if self.mode in ("k8s", "connect-k8s"):
            pods = self.target.core.list_namespaced_pod(
                self.target.namespace, label_selector=f"spark-app-selector={app_id},spark-role=executor",
                _request_timeout=API_CALL_S).items
            return kubernetes_application_state([pod.status.phase for pod in pods])
        state = requests.get(f"http://{self.target.forward('spark-master', 8080).address}/json/", timeout=10).json()
        for app in state.get("activeapps", []) + state.get("completedapps", []):
            if app["id"] == app_id:
                return str(app["state"])
        return None

    def settings_report(self) -> str:
        return "the chart's Spark settings run unchanged on the cluster"

    def gpu_discovery(self) -> dict[str, Any]:
        script = self.target.rendered().spark_conf()["spark.executor.resource.gpu.discoveryScript"]
        return dict(json.loads(self.target.cluster.exec_in(self.target.pod_of("spark-worker").name, [script])))

    def iceberg_reader(self) -> str:
        return "the Iceberg Spark runtime"  # the chart's catalog and its Maven packages, on every Spark line

    def catalog(self) -> IcebergCatalog:
        password = self.target.secret(f"{self.target.fullname}-postgresql", "password")
        return IcebergCatalog.from_chart(self.target.rendered(), f"postgresql+psycopg2://mlflow:{password}@"
                                                                 f"{self.target.fullname}-postgresql:5432/mlflow")


def kubernetes_application_state(executor_phases: list[str]) -> str | None:
    """A Spark application as its executor pods show it (the k8s target keeps them after the job ends)."""
    if not executor_phases:
        return None
    return "RUNNING" if any(phase in ("Pending", "Running") for phase in executor_phases) else "FINISHED"


class K8sMlops:
    """The release's MLOps API as the training feature reaches it: by its Service, port-forwarded."""

    def __init__(self, url: str, site: "K8sSparkSite") -> None:
        self.url = url
        self.spark_version = site.version
        self._site = site

    def settings_report(self) -> str:
        return "the chart's MLOps API container runs unchanged on the cluster"

    def application_state(self, app_id: str | None) -> str | None:
        return self._site.application_state(app_id) if app_id else None
