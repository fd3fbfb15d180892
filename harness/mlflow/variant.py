"""An MLflow server started from the chart: the platform's own, or one rendered with other values (metrics,
basic auth), with the chart's own arguments, environment and auth-config init script, pointed at the local
database and bucket."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness import chart
from harness.chart.local_containers import (CONTAINER_PATHS, container_env, fill, mount_config_maps, mount_secrets,
                                           pod_env, run_container, service_values, volume_folder)
from harness.system.pods import Pod
from harness.system.ports import LOOPBACK, claim_port
from harness.mlflow.server import MlflowServer
from harness.stores.postgres import Database

# Init containers of the MLflow pod that prepare what the server needs. The others wait for services that the
# local target has already started, or (install-sso-requirements) pip-install what the suite's environment
# already has at the same pin (PyJWT, see pyproject.toml).
LOCAL_INIT_CONTAINERS = ("wait-for-restore", "create-auth-database", "render-auth-config", chart.MIGRATION_CONTAINER)


@dataclass(frozen=True)
class VariantServer:
    server: MlflowServer
    admin: tuple[str, str] | None

    @property
    def url(self) -> str:
        return self.server.url


@dataclass(frozen=True)
class ChartPod:
    """The chart's MLflow pod made local: its init containers already run, its arguments and environment with
    local values. Every server made from it shares its secrets, as the replicas of one Deployment do."""

    rendered: chart.Rendered
    env: dict[str, str]
    folder: Path
    workdir: Path
    admin: tuple[str, str] | None
    local_values: dict[str, str]  # what its Secrets hold here, by the variable that reads them
    pod: Pod | None = None  # where its init containers ran and its servers run; None: processes of this machine

    @property
    def replicas(self) -> int:
        return int(self.rendered.named("Deployment", "-mlflow")["spec"]["replicas"])

    def mount_secrets(self, secrets: dict[str, dict[str, bytes]]) -> None:
        """Write the Secrets the server container mounts (name -> key -> bytes) where it reads them: what
        the kubelet does when a Secret changes; a server reads them when it starts."""
        mount_secrets(self.rendered.pod_of("mlflow"), chart.mlflow_container(self.rendered), self.env, self.folder,
                      secrets)
        if self.pod is not None:  # the kubelet writes a Secret's files for the pod's user
            self.pod.own(self.folder)

    def server(self, port: int | None = None, name: str | None = None) -> MlflowServer:
        port = port or claim_port(None, "an MLflow server")
        args = [fill(arg, self.env, self.folder)
                for arg in chart.mlflow_server_args(self.rendered, self.env, LOOPBACK, port)]
        return MlflowServer(self.workdir, args, port, self.env, name=name or f"mlflow-server-{self.folder.name}")

    def server_in(self, pod: Pod, port: int | None = None, name: str | None = None) -> MlflowServer:
        """The server in a pod of its own: the rendered arguments and environment as they are, its Secrets
        from here, its volumes the pod's; reached on loopback `port` through a port-forward."""
        port = port or claim_port(None, "an MLflow server")
        env = pod_env(chart.mlflow_container(self.rendered), self.local_values)
        env = {key: fill(value, env, self.folder) for key, value in env.items()}
        args = [fill(arg, env, self.folder) for arg in chart.mlflow_server_args(self.rendered, env)]
        pod.own(self.folder)
        return MlflowServer(self.workdir, args, port, env,
                            name=name or f"mlflow-server-{self.folder.name}", pod=pod,
                            pod_port=chart.mlflow_container_port(self.rendered))


def database_values(database: Database) -> dict[str, str]:
    """The chart values that point its MLflow pod at `database` (its name and owner)."""
    return {"mlflow.postgresql.database": database.name, "mlflow.postgresql.username": database.user}


PodFor = Callable[[chart.Rendered], "Pod | None"]  # the pod a rendered MLflow pod runs in (None: no pods)


def no_pod(_rendered: chart.Rendered) -> None:
    return None


def pod_from_chart(overrides: dict[str, str], database: Database, storage_env: dict[str, str],
                   workdir: Path, without: tuple[str, ...] = (), pod_for: PodFor = no_pod) -> ChartPod:
    """Render the chart with `overrides` and prepare its MLflow pod here: databases, auth config, environment;
    its init containers run in the pod `pod_for` gives for the render, when it gives one, with their own pod's
    environment. The files of the Secrets it mounts are the caller's to write (pod.mount_secrets), once it has
    them."""
    admin_password = None
    if overrides.get("mlflow.auth.enabled") == "true":  # a restored pod keeps the backed-up admin's password
        admin_password = overrides.get("mlflow.auth.adminPassword") or secrets.token_urlsafe(16)
        overrides = {**overrides, "mlflow.auth.adminPassword": admin_password}
    rendered = chart.render_default(overrides)
    folder = workdir / f"mlflow-pod-{secrets.token_hex(4)}"
    for path in CONTAINER_PATHS:
        volume_folder(folder, path).mkdir(parents=True)
    local_values = {**service_values(database, storage_env), "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password or "",
                    "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16)}
    spec = rendered.pod_of("mlflow")
    in_pod = pod_for(rendered)  # run_container makes the folder the pod's volume
    for init in spec.get("initContainers", []):
        if init["name"] in LOCAL_INIT_CONTAINERS and init["name"] not in without:
            init_env = pod_env(init, local_values) if in_pod else container_env(init, local_values)
            run_container(init, init_env, folder, in_pod)
    server = chart.mlflow_container(rendered)
    env = container_env(server, local_values)
    env = {key: fill(value, env, folder) for key, value in env.items()}
    mount_config_maps(rendered, spec, server, env, folder)
    username = overrides.get("mlflow.auth.adminUsername", "admin")
    return ChartPod(rendered, env, folder, workdir, (username, admin_password) if admin_password else None,
                    local_values, in_pod)


def variant_from_chart(overrides: dict[str, str], database: Database, storage_env: dict[str, str],
                       workdir: Path, port: int | None = None, name: str | None = None,
                       without: tuple[str, ...] = (), pod_for: PodFor = no_pod) -> VariantServer:
    """One MLflow server from the chart rendered with `overrides`, on `port` (a free one when None; in the pod
    `pod_for` gives, when it gives one), its pod's init containers but those named in `without` run first. The
    caller owns it before it starts it, so that an interrupt during the start still stops it."""
    chart_pod = pod_from_chart(overrides, database, storage_env, workdir, without, pod_for)
    server = chart_pod.server_in(chart_pod.pod, port, name) if chart_pod.pod else chart_pod.server(port, name)
    return VariantServer(server, chart_pod.admin)
