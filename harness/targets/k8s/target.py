"""The k8s target: `helm upgrade --install` of the chart into a fresh namespace of the cluster KUBECONFIG
names; the suite reaches the services through port-forwards and runs jobs inside the release's pods."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import boto3
import psycopg2
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from harness import chart, progress
from harness.config import RunConfig
from harness.endpoints import Platform
from harness.errors import ClusterUnreachable, SuiteError
from harness.matrix import DEFAULT_CELL
from harness.mlflow.promises import uvicorn_workers
from harness.spark.site import SparkSite
from harness.stores.postgres import fetch_all
from harness.system import tools
from harness.system.temp_dir import redirect_temp_dir
from harness.targets.abilities import RunsMlopsApi
from harness.targets.base import Target
from harness.targets.k8s.cluster import Cluster, PodRef
from harness.targets.k8s.portforward import PortForward
from harness.targets.k8s.spark_site import K8sMlops, K8sSparkSite
from harness.targets.needs import Capabilities
from harness.waits import API_CALL_S, FORWARD_POD_WAIT_S, HELM_INSTALL_S

RELEASE = "spec"
HELM_WAIT = "10m"
SPARK_COMPONENTS = frozenset({"spark-master", "spark-worker", "spark-connect", "spark-client"})
GPU_RESOURCE = "nvidia.com/gpu"
MLOPS_IMAGE_MISSING = ("needs the MLOps API's image, which no public registry has: build services/mlops_api/Dockerfile, "
                       "push it where the cluster pulls from, and run with -D mlops_image=<repository>:<tag>")
MASTER_MODES = ("standalone-submit", "connect-standalone", "gpu", "iceberg")


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


class K8sTarget(Target, RunsMlopsApi):
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

    def declare_capabilities(self) -> Capabilities:
        met = {"k8s", "pod-isolation", *(("mlops-api",) if self.config.mlops_image else ())}
        return Capabilities(frozenset(met), {"mlops-api": MLOPS_IMAGE_MISSING}, {"gpu": self._gpu_unmet})

    def _gpu_unmet(self) -> str | None:
        """Why the GPU rows cannot run on this cluster (listing its nodes, which a namespace-bound user may not),
        or None."""
        try:
            nodes = self.gpu_nodes()
        except ApiException as refused:
            return (f"needs a GPU node, and this cluster's nodes cannot be listed ({refused.status} {refused.reason}): "
                    "the GPU rows need `list` on nodes")
        return None if nodes else f"needs a GPU: no node of the cluster offers {GPU_RESOURCE}"

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
        release = self._release or DEFAULT_CELL
        if self._rendered is None or self._rendered[0] != release:
            self._rendered = (release, chart.render(*release, namespace=self.namespace))
        return self._rendered[1]

    def _start_platform(self) -> Platform:
        if self._release is None:
            self.install(*DEFAULT_CELL)
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

    def mlops_api(self) -> "K8sMlops":
        """The release's MLOps API through a port-forward (the release is moved to a mode with a master first)."""
        self.platform()
        mode, version = self._release or DEFAULT_CELL
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
