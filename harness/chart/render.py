"""The Helm chart under test: lint, render, validate, and read back what it renders.

Everything here shells out to the real `helm` binary; nothing re-implements the chart in Python.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import kubernetes_validate
import kubernetes_validate.utils
import yaml

from harness.matrix import DEFAULT_CELL, check_mode, check_version
from harness.system import tools
from harness.waits import HELM_RENDER_S

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "spark-standalone"


KUBE_VERSIONS = ("1.33.0", "1.27.0")  # the version we target, and the oldest Chart.yaml admits


EXTRA_API_VERSIONS = ("monitoring.coreos.com/v1",)


POD_OWNERS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def pod_user(pod: dict[str, Any]) -> tuple[int, int]:
    """The uid and gid a rendered pod runs as (its securityContext; the image's root without one)."""
    security = pod.get("securityContext", {})
    return int(security.get("runAsUser", 0)), int(security.get("runAsGroup", 0))


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod spec a workload runs (a CronJob's through its Job template), or a bare Pod's own."""
    if doc["kind"] == "Pod":
        return dict(doc["spec"])
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    return dict(spec["template"]["spec"])

# Workload components each mode renders besides the MLflow side (mlflow, postgresql, minio, bucket-init).


MODE_COMPONENTS: dict[str, frozenset[str]] = {
    "standalone-submit": frozenset({"spark-master", "spark-worker"}),
    "connect-standalone": frozenset({"spark-master", "spark-worker", "spark-connect"}),
    "k8s": frozenset({"spark-client"}),
    "connect-k8s": frozenset({"spark-connect"}),
    "gpu": frozenset({"spark-master", "spark-worker"}),
    "iceberg": frozenset({"spark-master", "spark-worker"}),
}


PLATFORM_COMPONENTS = frozenset({"mlflow", "postgresql", "minio", "bucket-init"})


RBAC_MODES = frozenset({"k8s", "connect-k8s"})
# The components whose pods drive Spark on Kubernetes (they alone may mount a service account token).
KUBERNETES_DRIVERS: dict[str, set[str]] = {"k8s": {"spark-client"}, "connect-k8s": {"spark-connect"}}
ICEBERG_CATALOG_CLASS = "org.apache.iceberg.spark.SparkCatalog"


# kubernetes-validate re-reads two large JSON schemas for every object; the files never change during a
# run, so reading each once makes validating the whole matrix several times faster.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)


class RenderFailed(Exception):
    """helm refused the values; the message is helm's own explanation."""


@dataclass(frozen=True)
class Rendered:
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def named(self, kind: str, suffix: str) -> dict[str, Any]:
        matches = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"].endswith(suffix)]
        if len(matches) != 1:
            raise LookupError(f"expected one {kind} named *{suffix}, found {[d['metadata']['name'] for d in matches]}")
        return matches[0]

    def workload_components(self) -> set[str]:
        return {doc["metadata"]["labels"]["app.kubernetes.io/component"]
                for doc in self.docs if doc["kind"] in POD_OWNERS}

    def pods(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(kind/name, pod spec) of every pod the chart would run, tests and hooks included."""
        for doc in self.docs:
            name = f"{doc['kind']}/{doc['metadata']['name']}"
            if doc["kind"] == "Pod" or doc["kind"] in POD_OWNERS:
                yield name, pod_spec(doc)

    def spark_defaults(self) -> str:
        return str(self.named("ConfigMap", "-spark-conf")["data"]["spark-defaults.conf"])

    def spark_conf(self) -> dict[str, str]:
        """spark-defaults.conf as Spark reads it: a key, white space, the value."""
        conf = {}
        for line in self.spark_defaults().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, *value = line.split(None, 1)
                conf[key] = value[0].strip() if value else ""
        return conf

    def workload(self, component: str) -> dict[str, Any]:
        """The Deployment or StatefulSet of `component` (e.g. "spark-worker")."""
        found = [doc for doc in self.docs if doc["kind"] in POD_OWNERS
                 and doc["metadata"]["labels"].get("app.kubernetes.io/component") == component]
        if len(found) != 1:
            raise LookupError(f"expected one workload of component {component}, found {len(found)}")
        return found[0]

    def pod_of(self, component: str) -> dict[str, Any]:
        return pod_spec(self.workload(component))

    def service_of(self, component: str) -> str:
        """The name of the Service that selects the pods of `component`."""
        return str(self._service(component)["metadata"]["name"])

    def service_port(self, component: str) -> int:
        """The (first) port of the Service that selects the pods of `component`."""
        return int(self._service(component)["spec"]["ports"][0]["port"])

    def _service(self, component: str) -> dict[str, Any]:
        found = [doc for doc in self.of_kind("Service")
                 if doc["spec"].get("selector", {}).get("app.kubernetes.io/component") == component]
        if len(found) != 1:
            raise LookupError(f"expected one Service of component {component}, found "
                              f"{[doc['metadata']['name'] for doc in found]}")
        return found[0]

    def run_as(self, component: str) -> tuple[int, int]:
        """The uid and gid the pods of `component` run as (their securityContext; the image's root without)."""
        return pod_user(self.pod_of(component))

    def pod_named(self, kind: str, suffix: str) -> dict[str, Any]:
        """The pod spec of the one `kind` named *`suffix` (where a component has more than one workload)."""
        return pod_spec(self.named(kind, suffix))

    def executor_pod_template(self) -> dict[str, Any]:
        """The pod template Spark on Kubernetes gives its executors (k8s modes)."""
        return dict(yaml.safe_load(self.named("ConfigMap", "-spark-conf")["data"]["executor-pod.yaml"]))

    def container(self, component: str, name: str) -> dict[str, Any]:
        pod = self.pod_of(component)
        return next(c for c in pod["containers"] + pod.get("initContainers", []) if c["name"] == name)

    def secret_values(self) -> list[str]:
        return [base64.b64decode(value).decode() for secret in self.of_kind("Secret")
                for value in (secret.get("data") or {}).values()]


def _helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tools.helm(), *args], capture_output=True, text=True, check=False, timeout=HELM_RENDER_S)


def values_file(mode: str) -> Path:
    return CHART_DIR / "ci" / f"{check_mode(mode)}-values.yaml"


def lint(mode: str) -> subprocess.CompletedProcess[str]:
    return _helm("lint", "--strict", str(CHART_DIR), "-f", str(values_file(mode)))


def template_args(mode: str, version: str, overrides: dict[str, str] | None = None,
                  release: str = "spec", namespace: str = "spec") -> list[str]:
    """The arguments `helm template` and `helm upgrade --install` share for a matrix cell."""
    args = [release, str(CHART_DIR), "--namespace", namespace, "-f", str(values_file(mode))]
    for key, value in ({"spark.version": check_version(version)} | (overrides or {})).items():
        args += ["--set", f"{key}={value}"]
    return args


def render(mode: str, version: str, overrides: dict[str, str] | None = None,
           release: str = "spec", namespace: str = "spec", kube_version: str = KUBE_VERSIONS[0],
           skip_schema_validation: bool = False) -> Rendered:
    """`helm template` of a matrix cell; `skip_schema_validation` shows what the templates refuse by
    themselves (helm's --skip-schema-validation, which some GitOps tools use)."""
    api_versions = [arg for api in EXTRA_API_VERSIONS for arg in ("--api-versions", api)]
    skip = ["--skip-schema-validation"] if skip_schema_validation else []
    done = _helm("template", *template_args(mode, version, overrides, release, namespace),
                 "--kube-version", kube_version, *api_versions, *skip)
    if done.returncode != 0:
        raise RenderFailed(_helm_error(done.stderr))
    return Rendered([doc for doc in yaml.safe_load_all(done.stdout) if doc])


def render_default(overrides: dict[str, str] | None = None) -> Rendered:
    """The chart as the platform itself is installed (DEFAULT_CELL), with `overrides`."""
    return render(*DEFAULT_CELL, overrides)


def notes(mode: str, version: str, overrides: dict[str, str] | None = None) -> str:
    """NOTES.txt as `helm install` prints it (`helm template` leaves it out); a client-side dry run, which
    reaches no cluster."""
    done = subprocess.run([tools.helm(), "install", "--dry-run=client", *template_args(mode, version, overrides)],
                          capture_output=True, text=True, check=False, timeout=HELM_RENDER_S,
                          env={**os.environ, "KUBECONFIG": os.devnull})
    if done.returncode != 0:
        raise RenderFailed(_helm_error(done.stderr))
    return done.stdout.split("\nNOTES:\n", 1)[1]


def _helm_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and "--debug" not in line]
    return " ".join(lines)


def validation_errors(rendered: Rendered, kube_version: str) -> list[str]:
    """Strict schema validation of every object; custom resources are skipped (no schema ships for them)."""
    errors = []
    for doc in rendered.docs:
        if doc["apiVersion"] in EXTRA_API_VERSIONS:
            continue
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
    return errors


def iceberg_catalogs(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Each Iceberg catalog of spark-defaults.conf with its settings: {"lakehouse": {"type": "jdbc", ...}}."""
    conf = rendered.spark_conf()
    names = [key.removeprefix("spark.sql.catalog.") for key, value in conf.items()
             if key.startswith("spark.sql.catalog.") and value == ICEBERG_CATALOG_CLASS]
    return {name: {key.removeprefix(f"spark.sql.catalog.{name}."): value for key, value in conf.items()
                   if key.startswith(f"spark.sql.catalog.{name}.")} for name in names}


def env_values(container: dict[str, Any]) -> dict[str, str]:
    """A container's literal environment values (values from Secrets or fields are left out)."""
    return {entry["name"]: str(entry["value"]) for entry in container.get("env", []) if "value" in entry}


def writable_mounts(pod: dict[str, Any], container_name: str) -> dict[str, str]:
    """mountPath -> volume kind of the container's writable mounts."""
    kinds = {volume["name"]: next(key for key in volume if key != "name") for volume in pod.get("volumes", [])}
    container = next(c for c in pod["containers"] if c["name"] == container_name)
    return {mount["mountPath"]: kinds.get(mount["name"], "?") for mount in container.get("volumeMounts", [])
            if not mount.get("readOnly")}


def token_mounting_components(rendered: Rendered) -> set[str]:
    """Components (or names, for unlabelled pods) of every pod that mounts a service account token."""
    found = set()
    for doc in rendered.docs:
        if doc["kind"] in POD_OWNERS or doc["kind"] == "Pod":
            pod = pod_spec(doc)
            if pod.get("automountServiceAccountToken") is not False:
                labels = doc["metadata"].get("labels", {})
                found.add(labels.get("app.kubernetes.io/component", doc["metadata"]["name"]))
    return found


def mlflow_container(rendered: Rendered) -> dict[str, Any]:
    deployment = rendered.named("Deployment", "-mlflow")
    return next(c for c in pod_spec(deployment)["containers"] if c["name"] == "mlflow")


def readiness_probe(rendered: Rendered) -> dict[str, Any]:
    """The httpGet of the MLflow container's readiness probe (path and headers the kubelet sends)."""
    return dict(mlflow_container(rendered)["readinessProbe"]["httpGet"])


def parse_overrides(text: str) -> dict[str, str]:
    """`a.b=1,c=x` as helm --set pairs."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    return {key.strip(): value.strip() for key, value in pairs}


def secret_files(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The files `container` sees from the pod's Secret volumes that name their items: container path ->
    (Secret, key), as the kubelet mounts them. (A volume without items mounts whatever keys the live Secret has.)"""
    volumes = {volume["name"]: volume["secret"] for volume in pod.get("volumes", []) if "secret" in volume}
    files = {}
    for mount in container.get("volumeMounts", []):
        secret = volumes.get(mount["name"])
        if secret is None:
            continue
        for item in secret.get("items", []):
            files[f"{mount['mountPath'].rstrip('/')}/{item['path']}"] = (secret["secretName"], item["key"])
    return files


def containers_of(rendered: Rendered, component_prefix: str) -> list[dict[str, Any]]:
    return [container for doc in rendered.docs if doc["kind"] in POD_OWNERS
            and doc["metadata"]["labels"]["app.kubernetes.io/component"].startswith(component_prefix)
            for container in pod_spec(doc)["containers"] + pod_spec(doc).get("initContainers", [])]


def gpu_requests(rendered: Rendered, resource: str = "nvidia.com/gpu") -> list[str]:
    return [f"{name} container {c['name']}" for name, pod in rendered.pods() for c in pod.get("containers", [])
            if resource in c.get("resources", {}).get("limits", {})]


_MEMORY_UNITS = {"Ki": 1 / 1024 ** 2, "Mi": 1 / 1024, "Gi": 1.0, "": 1 / 1024 ** 3}


def requested(rendered: Rendered) -> tuple[float, float]:
    """(GiB of memory, CPUs) the long-running pods of a render request together (replicas counted; Jobs, hooks
    and the executors Spark starts on Kubernetes are not in the render)."""
    memory = cpu = 0.0
    for doc in rendered.docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for container in pod_spec(doc)["containers"]:
            requests = container.get("resources", {}).get("requests", {})
            amount, unit = re.fullmatch(r"([\d.]+)([KMG]i)?", str(requests.get("memory", "0"))).groups()  # type: ignore[union-attr]
            cores = str(requests.get("cpu", "0"))
            replicas = int(doc["spec"].get("replicas", 1))
            memory += replicas * float(amount) * _MEMORY_UNITS[unit or ""]
            cpu += replicas * (float(cores[:-1]) / 1000 if cores.endswith("m") else float(cores))
    return memory, cpu
