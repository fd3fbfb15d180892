"""The MLflow server as the chart renders it: its container and its `mlflow server` arguments."""

from __future__ import annotations

import re

from harness.chart.render import Rendered, mlflow_container

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


def artifact_bucket(rendered: Rendered) -> str:
    """The bucket of the server's --artifacts-destination (s3://bucket[/prefix])."""
    for arg in mlflow_container(rendered)["args"]:
        if arg.startswith("--artifacts-destination=s3://"):
            return str(arg.split("://", 1)[1].split("/", 1)[0])
    raise LookupError("the chart renders no --artifacts-destination=s3://... for the MLflow server")
