"""The k8s target: `helm upgrade --install` of the chart into a fresh namespace of the cluster KUBECONFIG
names; the suite reaches the services through port-forwards and runs jobs inside the release's pods."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import boto3
import psycopg2
import requests
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from harness import chart, progress
from harness.config import RunConfig
from harness.endpoints import Platform
from harness.errors import ClusterUnreachable, SuiteError
from harness.matrix import SPARK_VERSIONS
from harness.mlflow.promises import uvicorn_workers
from harness.spark.jobs import JOBS_DIR
from harness.spark.runtimes import ensure_runtime, requirements
from harness.spark.site import IcebergCatalog, JobRun, SparkSite, run_logged
from harness.stores.postgres import fetch_all
from harness.system import tools
from harness.system.temp_dir import redirect_temp_dir
from harness.targets.base import Target
from harness.targets.k8s.cluster import Cluster, ExecFailed, PodRef
from harness.targets.k8s.portforward import PortForward
from harness.waits import API_CALL_S, DRIVER_REQUIREMENTS_S, FORWARD_POD_WAIT_S, HELM_INSTALL_S, SPARK_JOB_S

RELEASE = "spec"
HELM_WAIT = "10m"
REMOTE_JOBS = "/tmp/spec-jobs"
REMOTE_PYLIB = "/tmp/spec-pylib"
SPARK_COMPONENTS = frozenset({"spark-master", "spark-worker", "spark-connect", "spark-client"})
GPU_RESOURCE = "nvidia.com/gpu"
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


MASTER_MODES = ("standalone-submit", "connect-standalone", "gpu", "iceberg")
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


def mlops_values(mode: str, image: str | None) -> dict[str, str]:
    """The MLOps API's values: on, with the run's image, wherever the mode has a standalone master."""
    if image is None or mode not in MASTER_MODES:
        return {}
    repository, tag = image.rsplit(":", 1)
    return {"mlops.enabled": "true", "mlops.image.repository": repository, "mlops.image.tag": tag}


def helm_install_args(release: str, namespace: str, mode: str, version: str,
                      mlops_image: str | None = None) -> list[str]:
    """The exact `helm upgrade --install` command line the target runs (also rendered with --dry-run=client)."""
    return ["upgrade", "--install",
            *chart.template_args(mode, version, mlops_values(mode, mlops_image), release, namespace),
            "--wait=watcher", "--wait-for-jobs", "--timeout", HELM_WAIT]


def in_pod_job(script: str) -> list[str]:
    """The command `kubectl exec` runs for a job: its own session and process group (so that a timeout can stop
    it whole), and its exit status kept. The exec'd shell already leads its process group, so a bare `setsid`
    would fork, return 0 at once and lose the job's status: `-w` waits and passes the status on."""
    return ["setsid", "-w", "sh", "-c", script]


def kill_group(pid_file: str) -> str:
    """Stop the process group whose leader's pid is in `pid_file`, in the images' /bin/sh (dash, which reads
    the `--` of `kill -TERM -- -PGID` as a pid and kills nothing)."""
    return f'kill -TERM -"$(cat {pid_file})"'


def load_cluster_config() -> str:
    """KUBECONFIG (read now: the client reads it once, at import), else ~/.kube/config, else the pod's own
    service account when the suite runs inside the cluster (a CI job in a pod); which one it took."""
    kubeconfig = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    if not os.environ.get("KUBECONFIG") and not os.path.exists(kubeconfig) \
            and os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()
        return "in-cluster service account"
    config.load_kube_config(config_file=kubeconfig)
    return kubeconfig


class K8sTarget(Target):
    name = "k8s"

    def __init__(self, config_: RunConfig) -> None:
        self.config = config_
        self.namespace = config_.namespace or f"spec-{uuid.uuid4().hex[:8]}"
        new_core = self._connect()  # before anything is created, so a refused cluster leaves nothing behind
        self.cluster = Cluster(new_core, self.namespace)
        self.core = self.cluster.core
        self.workdir = Path(tempfile.mkdtemp(prefix="spark-mlflow-spec-"))
        self._restore_temp_dir = redirect_temp_dir(self.workdir / "tmp")
        self._namespace_created = False
        self._namespace_given = False  # -D namespace named one that exists: kept, only the release goes
        self._release: tuple[str, str] | None = None
        self._rendered: tuple[tuple[str, str], chart.Rendered] | None = None
        self._forwards: dict[tuple[str, int], PortForward] = {}
        self.prepared_drivers: set[str] = set()  # pod UIDs: a StatefulSet pod recreated by an upgrade has a new one

    # -- cluster ------------------------------------------------------------------------------------
    @staticmethod
    def _connect() -> Callable[[], Any]:
        try:
            load_cluster_config()
        except (ConfigException, FileNotFoundError, TypeError) as exc:
            raise ClusterUnreachable(f"no Kubernetes cluster is configured ({exc})",
                                     "point KUBECONFIG at a cluster, or use the local target (-D target=local)")
        api_client = client.ApiClient()
        try:
            client.VersionApi(api_client).get_code(_request_timeout=10)
        except Exception as exc:  # noqa: BLE001 - any failure here means "not reachable"
            host = api_client.configuration.host
            raise ClusterUnreachable(f"the cluster at {host} does not answer ({type(exc).__name__}: {exc})"[:300],
                                     "check that it is up and that KUBECONFIG's credentials are valid")
        return lambda: client.CoreV1Api(client.ApiClient())

    def _helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tools.helm(), *args], capture_output=True, text=True, check=False, timeout=HELM_INSTALL_S)

    def install(self, mode: str, version: str) -> None:
        """The release in `mode` with Spark `version`; an upgrade when the run already installed another."""
        if self._release == (mode, version):
            return
        if not (self._namespace_created or self._namespace_given):
            self._claim_namespace()
        with progress.step(f"helm upgrade --install {RELEASE} (mode {mode}, Spark {version}) in {self.namespace}"):
            done = self._helm(*helm_install_args(RELEASE, self.namespace, mode, version, self.config.mlops_image))
            if done.returncode != 0:
                raise SuiteError(f"helm could not install the chart: {done.stderr.strip()[-600:]}",
                                 f"see the events attached to the report (namespace {self.namespace})")
        self._release = (mode, version)
        self._close_forwards(SPARK_COMPONENTS)

    def _claim_namespace(self) -> None:
        """A fresh namespace, deleted at the end; or the one -D namespace names when it exists already, which is
        kept (the run uninstalls its release and the volumes the release claimed)."""
        try:
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.namespace)),
                                       _request_timeout=API_CALL_S)
            self._namespace_created = True
        except ApiException as exc:
            if exc.status != 409 or not self.config.namespace:
                raise SuiteError(f"namespace {self.namespace} could not be created: {exc.status} {exc.reason}",
                                 "this user needs to create namespaces, or name an existing one with -D namespace")
            self._namespace_given = True

    def pod_of(self, component: str) -> PodRef:
        return self.cluster.ready_pod(component)

    def forward(self, component: str, port: int) -> PortForward:
        key = (component, port)
        if key not in self._forwards:
            # A connection waits for a Ready pod as long as the forward waits to open, not the 5 minutes a
            # release's start may take.
            self._forwards[key] = PortForward(self.cluster.new_core, self.namespace,
                                              lambda: self.cluster.ready_pod(component, FORWARD_POD_WAIT_S).name, port)
        return self._forwards[key]

    def secret(self, name: str, key: str) -> str:
        data = self.core.read_namespaced_secret(name, self.namespace, _request_timeout=API_CALL_S).data
        return base64.b64decode(data[key]).decode()

    def unmet_need(self, need: str) -> str | None:
        if need == "gpu":
            return None if self.gpu_nodes() else f"needs a GPU: no node of the cluster offers {GPU_RESOURCE}"
        return super().unmet_need(need)

    def gpu_nodes(self) -> list[str]:
        nodes = self.core.list_node(_request_timeout=API_CALL_S).items
        return [n.metadata.name for n in nodes if int((n.status.allocatable or {}).get(GPU_RESOURCE, "0")) > 0]

    # -- platform -----------------------------------------------------------------------------------
    @property
    def fullname(self) -> str:
        return f"{RELEASE}-spark-standalone"

    def rendered(self) -> chart.Rendered:
        """The chart as this run installed it (the release's namespace, mode and version), rendered once per
        release: every job reads its Spark settings from it."""
        release = self._release or ("standalone-submit", SPARK_VERSIONS[-1])
        if self._rendered is None or self._rendered[0] != release:
            self._rendered = (release, chart.render(*release, namespace=self.namespace))
        return self._rendered[1]

    def _start_platform(self) -> Platform:
        if self._release is None:
            self.install("standalone-submit", SPARK_VERSIONS[-1])
        mlflow = self.forward("mlflow", 5000)
        password = self.secret(f"{self.fullname}-postgresql", "password")
        access, secret = (self.secret(f"{self.fullname}-s3", key) for key in ("access-key", "secret-key"))

        def s3_client() -> Any:
            return boto3.client("s3", endpoint_url=f"http://{self.forward('minio', 9000).address}",
                                aws_access_key_id=access, aws_secret_access_key=secret, region_name="us-east-1")

        def backend_query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            host, port = self.forward("postgresql", 5432).address.split(":")
            return fetch_all(psycopg2.connect(host=host, port=int(port), user="mlflow", password=password,
                                              dbname="mlflow", connect_timeout=30), sql, params)

        def server_args() -> list[str]:
            pod = self.core.read_namespaced_pod(self.pod_of("mlflow").name, self.namespace, _request_timeout=API_CALL_S)
            container = next(c for c in pod.spec.containers if c.name == "mlflow")
            return list(container.args)

        def worker_processes() -> int:
            # The image may have no `ps`: read the command lines straight from /proc.
            listing = self.cluster.exec_in(self.pod_of("mlflow").name, [
                "sh", "-c", "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done"])
            return uvicorn_workers(listing.splitlines())

        return Platform(mlflow_url=f"http://{mlflow.address}", s3_endpoint=f"http://{self.forward('minio', 9000).address}",
                        bucket=chart.artifact_bucket(self.rendered()), s3_client=s3_client,
                        backend_query=backend_query, server_args=server_args, worker_processes=worker_processes)

    def skip_reason(self, mode: str, version: str) -> str | None:
        if mode.startswith("connect-") and version.startswith("3.5."):
            return (f"Spark {version}'s Connect has no ML (pyspark.ml over Connect came with Spark 4.0), and the "
                    "row trains with pyspark.ml: run the Connect rows on Spark 4.1")
        return self.config.selected(mode, version)

    def mlops_api(self) -> "K8sMlops":
        """The release's MLOps API through a port-forward (the release is moved to a mode with a master first)."""
        self.platform()
        mode, version = self._release or ("standalone-submit", SPARK_VERSIONS[-1])
        if mode not in MASTER_MODES:
            mode = "standalone-submit"
        self.install(mode, version)
        return K8sMlops(f"http://{self.forward('mlops', 8000).address}", K8sSparkSite(self, mode, version))

    def spark(self, mode: str, version: str) -> SparkSite:
        self.install(mode, version)
        return K8sSparkSite(self, mode, version)

    # -- evidence and cleanup -----------------------------------------------------------------------
    def service_logs(self) -> dict[str, Path]:
        logs: dict[str, Path] = {}
        if not self._namespace_created:
            return logs
        folder = self.workdir / "logs"
        folder.mkdir(exist_ok=True)
        for name, text in self.cluster.pod_logs().items():
            (folder / f"{name}.log").write_text(text)
            logs[name] = folder / f"{name}.log"
        events = self.core.list_namespaced_event(self.namespace, _request_timeout=API_CALL_S).items
        (folder / "events.log").write_text("\n".join(
            f"{e.last_timestamp} {e.type} {e.involved_object.kind}/{e.involved_object.name}: {e.reason} {e.message}"
            for e in events))
        logs["events"] = folder / "events.log"
        for (component, port), forward in self._forwards.items():
            if forward.errors:
                (folder / f"forward-{component}-{port}.log").write_text("\n".join(forward.errors))
                logs[f"forward-{component}-{port}"] = folder / f"forward-{component}-{port}.log"
        return logs

    def environment(self) -> dict[str, str]:
        version = client.VersionApi(client.ApiClient()).get_code()
        return {"target": self.name, "namespace": self.namespace, "kubernetes": version.git_version,
                "release": RELEASE, "mode/spark": "/".join(self._release or ("", ""))}

    def _close_forwards(self, components: frozenset[str] | None = None) -> None:
        """Close the forwards to `components` (all when None): an upgrade replaces only the Spark pods."""
        for key in [key for key in self._forwards if components is None or key[0] in components]:
            self._forwards.pop(key).close()

    def close(self) -> None:
        """Delete the namespace first (it takes the release's pods, PVCs and kept Secrets with it; a
        `helm uninstall --wait` first could take minutes and be interrupted), then wait until it is gone."""
        self._close_forwards()
        if self._namespace_created:
            with progress.step(f"deleting namespace {self.namespace} with release {RELEASE}"):
                gone = self.cluster.delete_namespace()
            if not gone:
                progress.console.print(f"[bold red]namespace {self.namespace} is still being deleted[/]: "
                                       f"check it with kubectl get namespace {self.namespace}", markup=True)
            self._namespace_created = False
        if self._namespace_given and self._release is not None:
            with progress.step(f"uninstalling release {RELEASE} and its volume claims from {self.namespace}"):
                self._helm("uninstall", RELEASE, "--namespace", self.namespace, "--wait=false")
                self.core.delete_collection_namespaced_persistent_volume_claim(
                    self.namespace, label_selector=f"app.kubernetes.io/instance={RELEASE}",
                    _request_timeout=API_CALL_S)
            self._release = None
        self._restore_temp_dir()
        shutil.rmtree(self.workdir, ignore_errors=True)


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

