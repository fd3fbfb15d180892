"""The k8s target: `helm upgrade --install` of the chart into a fresh namespace of the cluster KUBECONFIG
names; the suite reaches the services through port-forwards and runs jobs inside the release's pods."""

from __future__ import annotations

import base64
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
from typing import Any

import boto3
import psycopg2
import requests
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException
from kubernetes.stream import stream

from harness import chart, progress
from harness.system import tools
from harness.config import RunConfig
from harness.errors import ClusterUnreachable, SuiteError
from harness.spark.jobs import JOBS_DIR
from harness.matrix import SPARK_VERSIONS
from harness.targets.k8s.portforward import PortForward
from harness.spark.runtimes import ensure_runtime
from harness.stores.postgres import fetch_all
from harness.mlflow.promises import uvicorn_workers
from harness.spark.site import JOB_TIMEOUT_S, IcebergCatalog, JobRun, SparkSite, run_logged
from harness.targets.base import Platform, Target

RELEASE = "spec"
HELM_WAIT = "10m"
REMOTE_JOBS = "/tmp/spec-jobs"
REMOTE_PYLIB = "/tmp/spec-pylib"
SPARK_COMPONENTS = frozenset({"spark-master", "spark-worker", "spark-connect", "spark-client"})  # the apache/spark images have no MLflow client: it is installed here once


def helm_install_args(release: str, namespace: str, mode: str, version: str) -> list[str]:
    """The exact `helm upgrade --install` command line the target runs (also rendered with --dry-run=client)."""
    return ["upgrade", "--install", *chart.template_args(mode, version, None, release, namespace),
            "--wait=watcher", "--wait-for-jobs", "--timeout", HELM_WAIT]


class K8sTarget(Target):
    name = "k8s"

    def __init__(self, config_: RunConfig) -> None:
        self.config = config_
        self.namespace = config_.namespace or f"spec-{uuid.uuid4().hex[:8]}"
        self.core = self._connect()  # before anything is created, so a refused cluster leaves nothing behind
        self.workdir = Path(tempfile.mkdtemp(prefix="spark-mlflow-spec-"))
        self._namespace_created = False
        self._release: tuple[str, str] | None = None
        self._forwards: dict[tuple[str, int], PortForward] = {}
        self._pylib_ready: set[str] = set()

    # -- cluster ------------------------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            # Read KUBECONFIG now: the client reads it once, at import.
            config.load_kube_config(config_file=os.environ.get("KUBECONFIG", "~/.kube/config"))
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
        return client.CoreV1Api(api_client)

    def _helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tools.helm(), *args], capture_output=True, text=True, check=False, timeout=900)

    def install(self, mode: str, version: str) -> None:
        """The release in `mode` with Spark `version`; an upgrade when the run already installed another."""
        if self._release == (mode, version):
            return
        if not self._namespace_created:
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.namespace)))
            self._namespace_created = True
        with progress.step(f"helm upgrade --install {RELEASE} (mode {mode}, Spark {version}) in {self.namespace}"):
            done = self._helm(*helm_install_args(RELEASE, self.namespace, mode, version))
            if done.returncode != 0:
                raise SuiteError(f"helm could not install the chart: {done.stderr.strip()[-600:]}",
                                 f"see the events attached to the report (namespace {self.namespace})")
        self._release = (mode, version)
        self._close_forwards(SPARK_COMPONENTS)

    def pod_of(self, component: str) -> str:
        pods = self.core.list_namespaced_pod(
            self.namespace, label_selector=f"app.kubernetes.io/component={component}",
            field_selector="status.phase=Running").items
        if not pods:
            raise SuiteError(f"no running {component} pod in namespace {self.namespace}",
                             "see the events attached to the report")
        return str(pods[0].metadata.name)

    def forward(self, component: str, port: int) -> PortForward:
        key = (component, port)
        if key not in self._forwards:
            self._forwards[key] = PortForward(self.core, self.namespace, self.pod_of(component), port)
        return self._forwards[key]

    def secret(self, name: str, key: str) -> str:
        data = self.core.read_namespaced_secret(name, self.namespace).data
        return base64.b64decode(data[key]).decode()

    def exec_in(self, pod: str, command: list[str], timeout: float = 600) -> str:
        session = stream(self.core.connect_get_namespaced_pod_exec, pod, self.namespace, command=command,
                         stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
        output = []
        session.run_forever(timeout=timeout)
        output.append(session.read_stdout() or "")
        output.append(session.read_stderr() or "")
        session.close()
        return "".join(output)

    # -- platform -----------------------------------------------------------------------------------
    @property
    def fullname(self) -> str:
        return f"{RELEASE}-spark-standalone"

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
                                              dbname="mlflow"), sql, params)

        def server_args() -> list[str]:
            pod = self.core.read_namespaced_pod(self.pod_of("mlflow"), self.namespace)
            container = next(c for c in pod.spec.containers if c.name == "mlflow")
            return list(container.args)

        def worker_processes() -> int:
            # The image may have no `ps`: read the command lines straight from /proc.
            listing = self.exec_in(self.pod_of("mlflow"), ["sh", "-c", "for f in /proc/[0-9]*/cmdline; do "
                                                           "tr '\\0' ' ' < $f; echo; done"])
            return uvicorn_workers(listing.splitlines())

        bucket = chart.artifact_bucket(chart.render(*self._release or ("standalone-submit", SPARK_VERSIONS[-1]),
                                                    namespace=self.namespace))
        return Platform(mlflow_url=f"http://{mlflow.address}", s3_endpoint=f"http://{self.forward('minio', 9000).address}",
                        bucket=bucket, s3_client=s3_client, backend_query=backend_query,
                        server_args=server_args, worker_processes=worker_processes)

    def skip_reason(self, mode: str, version: str) -> str | None:
        return self.config.selected(mode, version)

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
        for pod in self.core.list_namespaced_pod(self.namespace).items:
            name = pod.metadata.name
            try:
                text = self.core.read_namespaced_pod_log(name, self.namespace, all_containers=True, tail_lines=2000)
            except Exception as exc:  # noqa: BLE001 - a pod that never started has no log
                text = f"(no log: {exc})"
            (folder / f"{name}.log").write_text(text)
            logs[name] = folder / f"{name}.log"
        events = self.core.list_namespaced_event(self.namespace).items
        (folder / "events.log").write_text("\n".join(
            f"{e.last_timestamp} {e.type} {e.involved_object.kind}/{e.involved_object.name}: {e.reason} {e.message}"
            for e in events))
        logs["events"] = folder / "events.log"
        return logs

    def environment(self) -> dict[str, str]:
        version = client.VersionApi().get_code()
        return {"target": self.name, "namespace": self.namespace, "kubernetes": version.git_version,
                "release": RELEASE, "mode/spark": "/".join(self._release or ("", ""))}

    def _close_forwards(self, components: frozenset[str] | None = None) -> None:
        """Close the forwards to `components` (all when None): an upgrade replaces only the Spark pods."""
        for key in [key for key in self._forwards if components is None or key[0] in components]:
            self._forwards.pop(key).close()

    def close(self) -> None:
        self._close_forwards()
        if self._namespace_created:
            with progress.step(f"uninstalling {RELEASE} and deleting namespace {self.namespace}"):
                self._helm("uninstall", RELEASE, "--namespace", self.namespace, "--wait", "--timeout", "5m")
                self.core.delete_namespace(self.namespace)
            self._namespace_created = False
        shutil.rmtree(self.workdir, ignore_errors=True)


class K8sSparkSite(SparkSite):
    """Jobs run inside the release: spark-submit in the master pod (standalone modes) or the spark-client pod
    (k8s mode); Connect clients run here against the port-forwarded Connect service."""

    def __init__(self, target: K8sTarget, mode: str, version: str) -> None:
        self.target, self.mode, self.version = target, mode, version
        self.gpu_kind = "nvidia" if mode == "gpu" else None
        on_k8s = mode in ("k8s", "connect-k8s")
        self.master_url = "k8s://https://kubernetes.default.svc:443" if on_k8s else \
            f"spark://{target.fullname}-master:7077"
        self.connect_url = (f"sc://{target.forward('spark-connect', 15002).address}"
                            if mode.startswith("connect-") else None)
        self._driver_pod = target.pod_of("spark-client" if mode == "k8s" else "spark-master") \
            if mode != "connect-k8s" else None

    def _prepare_driver(self) -> str:
        """Copy harness/jobs into the driver pod and install the MLflow client there, once per pod."""
        pod = self._driver_pod
        if pod is None:
            raise SuiteError(f"mode {self.mode} runs jobs through Spark Connect only")
        if pod not in self.target._pylib_ready:
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode="w:gz") as tar:
                tar.add(str(JOBS_DIR), arcname="spec-jobs", filter=lambda i: None if "__pycache__" in i.name else i)
            # A few kB: passed inline, since the exec stream cannot signal the end of stdin to tar.
            packed = base64.b64encode(archive.getvalue()).decode()
            self.target.exec_in(pod, ["sh", "-c", f"echo {packed} | base64 -d | tar -xz -C /tmp"])
            self.target.exec_in(pod, ["python3", "-m", "pip", "install", "--quiet", "--target", REMOTE_PYLIB,
                                      "mlflow-skinny==3.17.2", "pyiceberg[sql-postgres,pyarrow]==0.12.0"])
            self.target._pylib_ready.add(pod)
        return pod

    def _remote_env(self, storage_access: bool) -> list[str]:
        env = [f"MLFLOW_TRACKING_URI=http://{self.target.fullname}-mlflow:5000", f"PYTHONPATH={REMOTE_JOBS}:{REMOTE_PYLIB}",
               f"SPARK_MASTER={self.master_url}", "MLFLOW_DFS_TMP=/tmp/mlflow-dfs"]
        if storage_access:
            env += [f"MLFLOW_S3_ENDPOINT_URL=http://{self.target.fullname}-minio:9000",
                    f"AWS_ACCESS_KEY_ID={self.target.secret(f'{self.target.fullname}-s3', 'access-key')}",
                    f"AWS_SECRET_ACCESS_KEY={self.target.secret(f'{self.target.fullname}-s3', 'secret-key')}"]
        return env

    def _run_in_driver(self, name: str, command: list[str], storage_access: bool, timeout: float) -> JobRun:
        pod = self._prepare_driver()
        log = self.target.workdir / "logs" / f"{self.mode}-{self.version}-{name.replace(' ', '-')}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        # In k8s mode the driver runs in this pod: executors reach it at the pod's IP.
        shell = ('[ -n "$POD_IP" ] && export SPARK_LOCAL_IP="$POD_IP"; exec env '
                 + " ".join(shlex.quote(part) for part in [*self._remote_env(storage_access), *command]))
        kubectl = [str(tools.CACHE_DIR / "tools" / "kubectl"), "exec", "-n", self.target.namespace, pod, "--",
                   "sh", "-c", shell]
        return run_logged(name, kubectl, log, env=dict(os.environ), timeout=timeout)

    def submit(self, job: str, job_args: list[str], conf: dict[str, str], timeout: float = JOB_TIMEOUT_S,
               storage_access: bool = False) -> JobRun:
        # Executor pods stay after the job so that application_state (and the evidence) can see them.
        confs = {"spark.driver.memory": "512m", "spark.kubernetes.executor.deleteOnTermination": "false", **conf}
        conf_args = [arg for key, value in confs.items() for arg in ("--conf", f"{key}={value}")]
        return self._run_in_driver(f"spark-submit {job}", ["/opt/spark/bin/spark-submit", "--master", self.master_url,
                                                             *conf_args, f"{REMOTE_JOBS}/{job}", *job_args],
                                   storage_access, timeout)

    def run_python(self, job: str, job_args: list[str], timeout: float = JOB_TIMEOUT_S,
                   cwd: Path | None = None, module: bool = False, storage_access: bool = False) -> JobRun:
        if self.connect_url and job.startswith("train_connect"):
            runtime = ensure_runtime(self.version)
            log = self.target.workdir / "logs" / f"{self.mode}-{self.version}-{job}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            env = runtime.env(MLFLOW_TRACKING_URI=self.target.platform().mlflow_url, PYTHONPATH=str(JOBS_DIR))
            return run_logged(f"python {job}", [str(runtime.python), str(JOBS_DIR / job), *job_args], log, env,
                              timeout, cwd)
        target = ["-m", job] if module else [f"{REMOTE_JOBS}/{job}"]
        return self._run_in_driver(f"python {job}", ["python3", *target, *job_args], storage_access, timeout)

    def application_state(self, app_id: str) -> str | None:
        if self.mode in ("k8s", "connect-k8s"):
            pods = self.target.core.list_namespaced_pod(
                self.target.namespace, label_selector=f"spark-app-selector={app_id},spark-role=executor").items
            return kubernetes_application_state([pod.status.phase for pod in pods])
        state = requests.get(f"http://{self.target.forward('spark-master', 8080).address}/json/", timeout=10).json()
        for app in state.get("activeapps", []) + state.get("completedapps", []):
            if app["id"] == app_id:
                return str(app["state"])
        return None

    def settings_report(self) -> str:
        return "the chart's Spark settings run unchanged on the cluster"

    def gpu_discovery(self) -> dict[str, Any]:
        script = self._rendered().spark_conf()["spark.executor.resource.gpu.discoveryScript"]
        return dict(json.loads(self.target.exec_in(self.target.pod_of("spark-worker"), [script])))

    def _rendered(self) -> chart.Rendered:
        return chart.render(self.mode, self.version, namespace=self.target.namespace)

    def catalog(self) -> IcebergCatalog:
        password = self.target.secret(f"{self.target.fullname}-postgresql", "password")
        return IcebergCatalog.from_chart(self._rendered(), f"postgresql+psycopg2://mlflow:{password}@"
                                                           f"{self.target.fullname}-postgresql:5432/mlflow")


def kubernetes_application_state(executor_phases: list[str]) -> str | None:
    """A Spark application as its executor pods show it (the k8s target keeps them after the job ends)."""
    if not executor_phases:
        return None
    return "RUNNING" if any(phase in ("Pending", "Running") for phase in executor_phases) else "FINISHED"
