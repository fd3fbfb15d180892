"""A container the chart renders, run here as a local process: its own command and arguments, its environment
with local values for what points at a service or comes from a Secret, its volumes as folders of the run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.chart.render import Rendered, secret_files
from harness.errors import ServiceFailed
from harness.stores.postgres import Database
from harness.system import tools
from harness.system.pods import Pod, PodNetwork
from harness.waits import CONTAINER_RUN_S

# Volumes of the chart's pods that become folders of the run here.
CONTAINER_PATHS = ("/etc/mlflow-auth", "/etc/mlflow-tls", "/etc/s3-ca", "/opt/mlflow-sso", "/tmp")
# What the chart's PostgreSQL image has on its PATH, which its shell scripts call by name.
POSTGRES_PROGRAMS = ("pg_dump", "pg_restore", "psql", "pg_isready")


def local_program(name: str) -> str:
    """The local program for a container's command[0] (the images' python is the suite's own)."""
    if name == "python":
        return sys.executable
    if name == "sh":
        return "sh"
    if name in POSTGRES_PROGRAMS:
        return str(tools.postgres_bin_dir() / name)
    raise ServiceFailed(f"the chart runs '{name}' in a container, which the local target has no program for",
                        "teach harness/chart/local_containers.py where to find it")


def volume_folder(folder: Path, container_path: str) -> Path:
    return folder / container_path.strip("/").replace("/", "-")


def fill(text: str, env: dict[str, str], folder: Path) -> str:
    """Kubernetes' $(VAR) expansion, and the pod's volume paths as the run's folders."""
    text = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], text)
    # One pass, so a replacement (under the run's /tmp folder) is never replaced again.
    pattern = "|".join(re.escape(path) for path in CONTAINER_PATHS)
    return re.sub(pattern, lambda m: str(volume_folder(folder, m.group(0))), text)


def service_values(database: Database, storage_env: dict[str, str]) -> dict[str, str]:
    """What the chart's containers read from its Secrets and service names, as the local services have it."""
    return {"MLFLOW_DB_HOST": database.host, "MLFLOW_DB_PORT": str(database.port), "MLFLOW_DB_USER": database.user,
            "MLFLOW_DB_NAME": database.name, "MLFLOW_DB_PASSWORD": database.password,
            "PGPASSWORD": database.password, **storage_env}


def container_env(container: dict[str, Any], local_values: dict[str, str]) -> dict[str, str]:
    """The container's environment: the local value for what points at a service or comes from a Secret,
    the rendered value for everything else."""
    env: dict[str, str] = {}
    for entry in container.get("env", []):
        name = entry["name"]
        if name in local_values:
            env[name] = local_values[name]
        elif "value" in entry:
            env[name] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], str(entry["value"]))
    return env


def pod_env(container: dict[str, Any], secret_values: dict[str, str], pod_address: str = "") -> dict[str, str]:
    """The container's environment as its own pod gets it: the rendered values as they are (service names
    resolve inside the pods), each Secret reference from `secret_values`, the downward API's status.podIP as
    `pod_address`; a Secret reference with no value there fails as the kubelet's CreateContainerConfigError
    does."""
    sources = {entry["name"]: entry.get("valueFrom", {}) for entry in container.get("env", [])}
    referenced = [name for name, source in sources.items() if "secretKeyRef" in source]
    missing = [name for name in referenced if name not in secret_values]
    if missing:
        raise ServiceFailed(f"CreateContainerConfigError: the container {container['name']} reads "
                            f"{', '.join(missing)} from a Secret key the local target does not hold",
                            "give the value to the pod's Secret (harness/mlflow/variant.py)")
    pod_ip = [name for name, source in sources.items()
              if source.get("fieldRef", {}).get("fieldPath") == "status.podIP"]
    return container_env(container, {**{name: secret_values[name] for name in referenced},
                                     **{name: pod_address for name in pod_ip}})


def mount_config_maps(rendered: Rendered, pod: dict[str, Any], container: dict[str, Any], env: dict[str, str],
                      folder: Path) -> None:
    """The container's ConfigMap volumes as folders of the run holding each key of the rendered ConfigMap, as
    the kubelet mounts them."""
    sources = {volume["name"]: volume["configMap"]["name"] for volume in pod.get("volumes", []) if "configMap" in volume}
    for mount in container.get("volumeMounts", []):
        if mount["name"] in sources:
            config_map = next(doc for doc in rendered.of_kind("ConfigMap")
                              if doc["metadata"]["name"] == sources[mount["name"]])
            target = Path(fill(mount["mountPath"], env, folder))
            target.mkdir(parents=True, exist_ok=True)
            for key, text in config_map.get("data", {}).items():
                (target / key).write_text(text)


def mount_secrets(pod: dict[str, Any], container: dict[str, Any], env: dict[str, str], folder: Path,
                  secrets: dict[str, dict[str, bytes]]) -> None:
    """The container's Secret volumes as files of the run, from `secrets` (name -> key -> bytes: what the
    cluster would hold, e.g. what cert-manager issued); private to the run's user, as a Secret's files are."""
    for path, (name, key) in secret_files(pod, container).items():
        if name not in secrets or key not in secrets[name]:
            raise ServiceFailed(f"the chart mounts key {key} of the Secret {name} at {path}, which the local "
                                "target was not given", "give it to ChartPod.mount_secrets")
        target = Path(fill(path, env, folder))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(secrets[name][key])
        target.chmod(0o600)


def run_container(container: dict[str, Any], env: dict[str, str], folder: Path, pod: Pod | None = None) -> str:
    """Run a container's own command to its end here (in `pod` when given); returns what it printed. Fails with
    its stderr."""
    argv = [local_program(container["command"][0]),
            *(fill(part, env, folder) for part in [*container["command"][1:], *container.get("args", [])])]
    for path in CONTAINER_PATHS:
        volume_folder(folder, path).mkdir(parents=True, exist_ok=True)
    if pod is not None:
        pod.own(folder)  # the pod's volumes, its user's as fsGroup makes them
    path = os.pathsep.join([str(tools.postgres_bin_dir()), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, **env}
    if pod is not None:
        argv, env = pod.command(argv), pod.environment(env)
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=CONTAINER_RUN_S)
    if done.returncode != 0:
        raise ServiceFailed(f"the chart's container {container['name']} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def chart_pod(network: PodNetwork, rendered: Rendered, component: str, release: str,
              shared: bool = False, ordinal: int = 0) -> Pod:
    """The first pod of the chart's `component` in the release `release` (its namespace of names): the uid of
    its render, the name of its Service leading to it in that namespace. A `shared` release's Services (the
    platform's, which every Spark version uses here) resolve in every namespace that has none of that name, and
    its pods are named as the StatefulSet names them; another release's pods are named after the release.
    `ordinal` tells a Deployment's replicas apart."""
    service = rendered.service_of(component)
    name = f"{service}-{ordinal}" if shared else f"{release}-{component}-{ordinal}"
    return network.pod(name, *rendered.run_as(component), release, [service], known_everywhere=shared)
