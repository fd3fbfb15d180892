"""The Helm chart under test: lint, render, validate, and read back what it renders.

Everything here shells out to the real `helm` binary; nothing re-implements the chart in Python.
"""

from __future__ import annotations

import base64
import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import kubernetes_validate
import kubernetes_validate.utils
import yaml

from harness import tools
from harness.matrix import check_mode, check_version

CHART_DIR = Path(__file__).resolve().parent.parent / "charts" / "spark-standalone"
KUBE_VERSIONS = ("1.33.0", "1.27.0")  # the version we target, and the oldest Chart.yaml admits
EXTRA_API_VERSIONS = ("monitoring.coreos.com/v1",)
POD_OWNERS = ("Deployment", "StatefulSet", "DaemonSet", "Job")

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
            if doc["kind"] == "Pod":
                yield name, doc["spec"]
            elif doc["kind"] in POD_OWNERS:
                yield name, doc["spec"]["template"]["spec"]

    def spark_defaults(self) -> str:
        return str(self.named("ConfigMap", "-spark-conf")["data"]["spark-defaults.conf"])

    def secret_values(self) -> list[str]:
        return [base64.b64decode(value).decode() for secret in self.of_kind("Secret")
                for value in (secret.get("data") or {}).values()]


def _helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tools.helm(), *args], capture_output=True, text=True, check=False, timeout=120)


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
           release: str = "spec", namespace: str = "spec", kube_version: str = KUBE_VERSIONS[0]) -> Rendered:
    api_versions = [arg for api in EXTRA_API_VERSIONS for arg in ("--api-versions", api)]
    done = _helm("template", *template_args(mode, version, overrides, release, namespace),
                 "--kube-version", kube_version, *api_versions)
    if done.returncode != 0:
        raise RenderFailed(_helm_error(done.stderr))
    return Rendered([doc for doc in yaml.safe_load_all(done.stdout) if doc])


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


def restricted_violations(rendered: Rendered) -> list[str]:
    """Checks of the Pod Security "restricted" profile (v1.33) for every pod the chart renders."""
    found = []
    for name, pod in rendered.pods():
        pod_ctx = pod.get("securityContext", {})
        if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
            found.append(f"{name}: uses host namespaces")
        for volume in pod.get("volumes", []):
            if "hostPath" in volume:
                found.append(f"{name}: hostPath volume {volume['name']}")
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            where = f"{name} container {container['name']}"
            ctx = container.get("securityContext", {})
            if not (ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True):
                found.append(f"{where}: runAsNonRoot is not true")
            if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
                found.append(f"{where}: runs as uid 0")
            if ctx.get("allowPrivilegeEscalation") is not False:
                found.append(f"{where}: allowPrivilegeEscalation is not false")
            if ctx.get("privileged"):
                found.append(f"{where}: privileged")
            if ctx.get("capabilities", {}).get("drop") != ["ALL"] or ctx.get("capabilities", {}).get("add"):
                found.append(f"{where}: does not drop ALL capabilities (or adds some)")
            seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {})).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                found.append(f"{where}: seccompProfile is {seccomp}")
    return found


def non_readonly_root_containers(rendered: Rendered) -> list[str]:
    return [f"{name} container {c['name']}" for name, pod in rendered.pods()
            for c in pod.get("initContainers", []) + pod.get("containers", [])
            if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True]


SECRET_WORDS = re.compile(r"(?<![a-z])(password|secret|token|access[-_]?key)\s*[=:]\s*(?!\$\()\S+", re.IGNORECASE)


def plaintext_secrets(rendered: Rendered) -> list[str]:
    """Places outside Secrets that carry a secret: a rendered Secret's value, or a literal `password=...`."""
    secrets = [value for value in rendered.secret_values() if len(value) >= 8]
    found = []

    def check(where: str, text: str) -> None:
        if any(secret in text for secret in secrets):
            found.append(f"{where}: holds the value of a Secret")
        match = SECRET_WORDS.search(text)
        if match:
            found.append(f"{where}: literal {match.group(0)[:40]!r}")

    for config_map in rendered.of_kind("ConfigMap"):
        for key, text in (config_map.get("data") or {}).items():
            check(f"ConfigMap/{config_map['metadata']['name']} key {key}", str(text))
    for name, pod in rendered.pods():
        for container in pod.get("initContainers", []) + pod.get("containers", []):
            where = f"{name} container {container['name']}"
            for env in container.get("env", []):
                if "value" in env:
                    check(f"{where} env {env['name']}", str(env["value"]))
            for arg in container.get("command", []) + container.get("args", []):
                check(f"{where} arg", str(arg))
    return found


def mlflow_container(rendered: Rendered) -> dict[str, Any]:
    deployment = rendered.named("Deployment", "-mlflow")
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "mlflow")


def mlflow_server_args(rendered: Rendered, env: dict[str, str], host: str, port: int) -> list[str]:
    """The chart's `mlflow server` arguments with Kubernetes $(VAR) references filled from `env`,
    listening on `host:port` instead of the container's address."""
    args = []
    for arg in mlflow_container(rendered)["args"]:
        arg = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg)
        if arg.startswith("--host="):
            arg = f"--host={host}"
        elif arg.startswith("--port="):
            arg = f"--port={port}"
        args.append(arg)
    return args


def parse_overrides(text: str) -> dict[str, str]:
    """`a.b=1,c=x` as helm --set pairs."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    return {key.strip(): value.strip() for key, value in pairs}


def containers_of(rendered: Rendered, component_prefix: str) -> list[dict[str, Any]]:
    return [container for doc in rendered.docs if doc["kind"] in POD_OWNERS
            and doc["metadata"]["labels"]["app.kubernetes.io/component"].startswith(component_prefix)
            for container in doc["spec"]["template"]["spec"]["containers"]
            + doc["spec"]["template"]["spec"].get("initContainers", [])]


def gpu_requests(rendered: Rendered, resource: str = "nvidia.com/gpu") -> list[str]:
    return [f"{name} container {c['name']}" for name, pod in rendered.pods() for c in pod.get("containers", [])
            if resource in c.get("resources", {}).get("limits", {})]


def token_mounting_pods(rendered: Rendered) -> list[str]:
    return [name for name, pod in rendered.pods() if pod.get("automountServiceAccountToken") is not False]


def default_value_passwords(values_path: Path = CHART_DIR / "values.yaml") -> list[str]:
    """Keys of values.yaml that name a password or key and carry a non-empty value."""
    found = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif re.search(r"password|secretkey|accesskey|token", path.rsplit(".", 1)[-1], re.IGNORECASE) and node:
            found.append(f"{path}={node}")

    walk(yaml.safe_load(values_path.read_text()), "")
    return found


def argument_mismatches(rendered: Rendered, running: list[str]) -> list[str]:
    """Differences between the chart's `mlflow server` arguments and a running server's: a $(VAR) reference
    and the --host/--port values may differ, nothing else."""
    template = mlflow_container(rendered)["args"]
    if len(template) != len(running):
        return [f"the chart renders {len(template)} arguments, the server runs {len(running)}: {running}"]
    mismatches = []
    for expected, actual in zip(template, running):
        if expected.startswith(("--host=", "--port=")):
            expected = expected.split("=", 1)[0] + "=$(ADDRESS)"
        pattern = ".+".join(re.escape(part) for part in re.split(r"\$\(\w+\)", expected))
        if not re.fullmatch(pattern, actual):
            mismatches.append(f"chart: {expected!r} / running: {actual!r}")
    return mismatches
