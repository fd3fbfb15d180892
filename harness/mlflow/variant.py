"""An MLflow server started from the chart: the platform's own, or one rendered with other values (metrics,
basic auth), with the chart's own arguments, environment and auth-config init script, pointed at the local
database and bucket."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import chart
from harness.errors import ServiceFailed
from harness.matrix import SPARK_VERSIONS
from harness.system.ports import LOOPBACK, claim_port
from harness.mlflow.server import MlflowServer
from harness.stores.postgres import Database

CONTAINER_PATHS = ("/etc/mlflow-auth", "/tmp")  # volumes of the pod that become folders of the run here
# Init containers of the MLflow pod that prepare what the server needs (the others wait for services that the
# local target has already started).
LOCAL_INIT_CONTAINERS = ("create-auth-database", "render-auth-config", "migrate-database")
INTERPRETERS = {"python": sys.executable, "sh": "sh"}


@dataclass(frozen=True)
class VariantServer:
    server: MlflowServer
    admin: tuple[str, str] | None

    @property
    def url(self) -> str:
        return self.server.url


def _fill(text: str, env: dict[str, str], folder: Path) -> str:
    text = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], text)
    # One pass, so a replacement (under the run's /tmp folder) is never replaced again.
    pattern = "|".join(re.escape(path) for path in CONTAINER_PATHS)
    return re.sub(pattern, lambda m: str(folder / m.group(0).strip("/").replace("/", "-")), text)


def run_init_container(container: dict[str, Any], env: dict[str, str], folder: Path) -> None:
    """Run an init container's own script here, with its environment (local values filled in)."""
    interpreter = INTERPRETERS[container["command"][0]]
    script = _fill(container["args"][0], env, folder)
    done = subprocess.run([interpreter, *container["command"][1:], script], capture_output=True, text=True,
                          env={**os.environ, **env}, check=False, timeout=120)
    if done.returncode != 0:
        raise ServiceFailed(f"the chart's init container {container['name']} failed: {done.stderr.strip()[-500:]}")


def _container_env(container: dict[str, Any], local_values: dict[str, str]) -> dict[str, str]:
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


@dataclass(frozen=True)
class ChartPod:
    """The chart's MLflow pod made local: its init containers already run, its arguments and environment with
    local values. Every server made from it shares its secrets, as the replicas of one Deployment do."""

    rendered: chart.Rendered
    env: dict[str, str]
    folder: Path
    workdir: Path
    admin: tuple[str, str] | None

    @property
    def replicas(self) -> int:
        return int(self.rendered.named("Deployment", "-mlflow")["spec"]["replicas"])

    def server(self, port: int | None = None, name: str | None = None) -> MlflowServer:
        port = port or claim_port(None, "an MLflow server")
        args = [_fill(arg, self.env, self.folder)
                for arg in chart.mlflow_server_args(self.rendered, self.env, LOOPBACK, port)]
        return MlflowServer(self.workdir, args, port, self.env, name=name or f"mlflow-server-{self.folder.name}")


def pod_from_chart(overrides: dict[str, str], database: Database, storage_env: dict[str, str],
                   workdir: Path) -> ChartPod:
    """Render the chart with `overrides` and prepare its MLflow pod here: databases, auth config, environment."""
    admin_password = secrets.token_urlsafe(16) if overrides.get("mlflow.auth.enabled") == "true" else None
    if admin_password:
        overrides = {**overrides, "mlflow.auth.adminPassword": admin_password}
    rendered = chart.render("standalone-submit", SPARK_VERSIONS[-1], overrides)
    folder = workdir / f"mlflow-pod-{secrets.token_hex(4)}"
    for path in CONTAINER_PATHS:
        (folder / path.strip("/").replace("/", "-")).mkdir(parents=True)
    local_values = {"MLFLOW_DB_HOST": database.host, "MLFLOW_DB_PORT": str(database.port),
                    "MLFLOW_DB_USER": database.user, "MLFLOW_DB_NAME": database.name,
                    "MLFLOW_DB_PASSWORD": database.password, "PGPASSWORD": database.password,
                    "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password or "",
                    "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16), **storage_env}
    pod = rendered.named("Deployment", "-mlflow")["spec"]["template"]["spec"]
    for init in pod.get("initContainers", []):
        if init["name"] in LOCAL_INIT_CONTAINERS:
            run_init_container(init, _container_env(init, local_values), folder)
    env = _container_env(chart.mlflow_container(rendered), local_values)
    env = {key: _fill(value, env, folder) for key, value in env.items()}
    username = overrides.get("mlflow.auth.adminUsername", "admin")
    return ChartPod(rendered, env, folder, workdir, (username, admin_password) if admin_password else None)


def variant_from_chart(overrides: dict[str, str], database: Database, storage_env: dict[str, str],
                       workdir: Path, port: int | None = None,
                       name: str | None = None) -> VariantServer:
    """One MLflow server from the chart rendered with `overrides`, on `port` (a free one when None). The caller
    owns it before it starts it, so that an interrupt during the start still stops it."""
    pod = pod_from_chart(overrides, database, storage_env, workdir)
    return VariantServer(pod.server(port, name), pod.admin)
