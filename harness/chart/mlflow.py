"""The MLflow server as the chart renders it: its container and its `mlflow server` arguments."""

from __future__ import annotations

import re

from harness.chart.render import Rendered, mlflow_container

MIGRATION_CONTAINER = "migrate-database"
MIGRATION_LOCK = "pg_advisory_lock"
MIGRATION_CALL = '"mlflow", "db", "upgrade"'  # as the init container's Python script spells the command


def mlflow_server_args(rendered: Rendered, env: dict[str, str], host: str | None = None,
                       port: int | None = None) -> list[str]:
    """The chart's `mlflow server` arguments with Kubernetes $(VAR) references filled from `env`, listening on
    `host:port` when given instead of the container's address (which a pod of its own keeps)."""
    args = []
    for arg in mlflow_container(rendered)["args"]:
        arg = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg)
        if arg.startswith("--host=") and host is not None:
            arg = f"--host={host}"
        elif arg.startswith("--port=") and port is not None:
            arg = f"--port={port}"
        args.append(arg)
    return args


def mlflow_container_port(rendered: Rendered) -> int:
    """The port the chart's MLflow container listens on (its --port)."""
    return int(next(arg.split("=", 1)[1] for arg in mlflow_container(rendered)["args"] if arg.startswith("--port=")))


def artifact_bucket(rendered: Rendered) -> str:
    """The bucket of the server's --artifacts-destination (s3://bucket[/prefix])."""
    for arg in mlflow_container(rendered)["args"]:
        if arg.startswith("--artifacts-destination=s3://"):
            return str(arg.split("://", 1)[1].split("/", 1)[0])
    raise LookupError("the chart renders no --artifacts-destination=s3://... for the MLflow server")


def migration_problems(rendered: Rendered) -> list[str]:
    """Why the MLflow pod could serve before its schema is current (empty: it cannot). An MLflow 3 server
    started on an older database migrates it itself, unlocked, in every pod that starts at once; the chart
    migrates in an init container (Kubernetes runs those to the end before any container), under a lock."""
    pod = rendered.pod_of("mlflow")
    init = next((c for c in pod.get("initContainers", []) if c["name"] == MIGRATION_CONTAINER), None)
    if init is None:
        return [f"the MLflow pod has no {MIGRATION_CONTAINER} init container: "
                f"{[c['name'] for c in pod.get('initContainers', [])]}"]
    script = " ".join([*init.get("command", []), *init.get("args", [])])
    lock_at, call_at = script.find(MIGRATION_LOCK), script.find(MIGRATION_CALL)
    problems = []
    if call_at < 0:
        problems.append(f"{MIGRATION_CONTAINER} does not run {MIGRATION_CALL}")
    elif not 0 <= lock_at < call_at:
        problems.append(f"{MIGRATION_CONTAINER} does not take {MIGRATION_LOCK} first")
    problems += [f"container {c['name']} migrates the schema" for c in pod["containers"]
                 if "upgrade" in " ".join([*c.get("command", []), *c.get("args", [])])]
    return problems
