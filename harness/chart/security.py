"""The chart's security promises read from rendered objects: Pod Security "restricted", read-only roots,
no secret outside a Secret, no password in the default values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from harness.chart.render import CHART_DIR, Rendered

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


def default_value_passwords(values_path: Path = CHART_DIR / "values.yaml") -> list[str]:
    """Keys of values.yaml that name a password or key and carry a non-empty value. A map whose name ends in
    "Keys" (existingSecretKeys) holds the key names of a Secret, not secrets."""
    found = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not (isinstance(value, dict) and str(key).endswith("Keys")):
                    walk(value, f"{path}.{key}" if path else str(key))
        elif re.search(r"password|secretkey|accesskey|token", path.rsplit(".", 1)[-1], re.IGNORECASE) and node:
            found.append(f"{path}={node}")

    walk(yaml.safe_load(values_path.read_text()), "")
    return found
