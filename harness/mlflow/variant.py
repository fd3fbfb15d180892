"""An MLflow server started from the chart: the platform's own, or one rendered with other values (metrics,
basic auth), with the chart's own arguments, environment and auth-config init script, pointed at the local
database and bucket."""

from __future__ import annotations

import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from harness import chart
from harness.errors import ServiceFailed
from harness.matrix import SPARK_VERSIONS
from harness.system.ports import LOOPBACK, claim_port
from harness.mlflow.server import MlflowServer
from harness.stores.postgres import Database

CONTAINER_PATHS = ("/etc/mlflow-auth", "/tmp")  # volumes of the pod that become folders of the run here


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


def variant_from_chart(overrides: dict[str, str], database: Database, storage_env: dict[str, str],
                       run_sql: Callable[[str], None], workdir: Path, port: int | None = None,
                       name: str | None = None) -> VariantServer:
    """Render the chart with `overrides` and prepare its MLflow server on `port` (a free one when None): its
    databases, auth config, arguments and environment. The caller owns it before it starts it, so that an
    interrupt during the start still stops it."""
    admin_password = secrets.token_urlsafe(16) if overrides.get("mlflow.auth.enabled") == "true" else None
    if admin_password:
        overrides = {**overrides, "mlflow.auth.adminPassword": admin_password}
    rendered = chart.render("standalone-submit", SPARK_VERSIONS[-1], overrides)
    folder = workdir / f"mlflow-variant-{secrets.token_hex(4)}"
    for path in CONTAINER_PATHS:
        (folder / path.strip("/").replace("/", "-")).mkdir(parents=True)
    local_values = {"MLFLOW_DB_HOST": database.host, "MLFLOW_DB_PORT": str(database.port),
                    "MLFLOW_DB_USER": database.user, "MLFLOW_DB_NAME": database.name,
                    "MLFLOW_DB_PASSWORD": database.password, "PGPASSWORD": database.password,
                    "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password or "",
                    "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16), **storage_env}
    # What the PostgreSQL pod's init scripts create (the auth database), created here the same way.
    for config_map in rendered.of_kind("ConfigMap"):
        if config_map["metadata"]["name"].endswith("-postgresql-init"):
            for sql in config_map["data"].values():
                run_sql(sql)
    pod = rendered.named("Deployment", "-mlflow")["spec"]["template"]["spec"]
    for init in pod.get("initContainers", []):
        if init["name"] == "render-auth-config":
            script = _fill(init["args"][0], _container_env(init, local_values), folder)
            done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ServiceFailed(f"the chart's auth-config script failed: {done.stderr.strip()}")
    env = _container_env(chart.mlflow_container(rendered), local_values)
    env = {key: _fill(value, env, folder) for key, value in env.items()}
    port = port or claim_port(None, "an MLflow server variant")
    args = [_fill(arg, env, folder) for arg in chart.mlflow_server_args(rendered, env, LOOPBACK, port)]
    server = MlflowServer(workdir, args, port, env, name=name or f"mlflow-server-{folder.name}")
    username = overrides.get("mlflow.auth.adminUsername", "admin")
    return VariantServer(server, (username, admin_password) if admin_password else None)
