"""The service's settings, all from its environment (the chart's Deployment sets them); a missing or malformed
one stops the start with one line naming it."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what it takes."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: the chart's Deployment sets it (see charts/spark-standalone)")
    return value


def _number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, str(default)).strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise SettingsError(f"{name}={text!r} is not a whole number from {low} to {high}")
    return int(text)


@dataclass(frozen=True)
class Database:
    host: str
    port: int
    user: str
    password: str
    name: str  # the service's own database (job records)
    existing: str  # a database that exists already, to connect to while creating `name`


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    mlflow_url: str
    mlflow_ca: Path | None  # the CA of MLflow's certificate when it serves HTTPS with a private one
    spark_version: str
    spark_home: Path
    spark_master_url: str
    spark_master_webui: str
    spark_properties: Path | None
    database: Database
    env_root: Path  # cached Python environments, one per requirement set
    work_dir: Path  # each job's folder: its script and output
    max_running_jobs: int
    max_script_bytes: int
    auth: bool  # MLflow's basic auth is on: callers must log in, jobs run as them
    secret_key: str  # encrypts the credentials a queued job keeps until it ends (auth only)
    instance: str  # this replica's name in the job records

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        properties = env.get("MLOPS_SPARK_PROPERTIES", "").strip()
        auth = env.get("MLOPS_AUTH", "false").strip().lower()
        if auth not in ("true", "false"):
            raise SettingsError(f"MLOPS_AUTH={auth!r} is neither true nor false")
        if auth == "true" and not env.get("MLOPS_SECRET_KEY", "").strip():
            raise SettingsError("MLOPS_AUTH=true needs MLOPS_SECRET_KEY (the chart's MLOps Secret holds one)")
        # The variable MLflow's own client reads: the jobs' scripts trust the same CA.
        mlflow_ca = env.get("MLFLOW_TRACKING_SERVER_CERT_PATH", "").strip()
        if mlflow_ca and not Path(mlflow_ca).is_file():
            raise SettingsError(f"MLFLOW_TRACKING_SERVER_CERT_PATH={mlflow_ca} is not a file (the CA of MLflow's "
                                "certificate: the chart mounts it from mlflow.tls's Secret)")
        return cls(
            host=env.get("MLOPS_HOST", "0.0.0.0"),
            port=_number(env, "MLOPS_PORT", 8000, 1, 65535),
            mlflow_url=_required(env, "MLOPS_MLFLOW_URL").rstrip("/"),
            mlflow_ca=Path(mlflow_ca) if mlflow_ca else None,
            spark_version=_required(env, "MLOPS_SPARK_VERSION"),
            spark_home=Path(_required(env, "SPARK_HOME")),
            spark_master_url=_required(env, "MLOPS_SPARK_MASTER_URL"),
            spark_master_webui=_required(env, "MLOPS_SPARK_MASTER_WEBUI").rstrip("/"),
            spark_properties=Path(properties) if properties else None,
            database=Database(
                host=_required(env, "MLFLOW_DB_HOST"), port=_number(env, "MLFLOW_DB_PORT", 5432, 1, 65535),
                user=_required(env, "MLFLOW_DB_USER"), password=_required(env, "MLFLOW_DB_PASSWORD"),
                name=_required(env, "MLOPS_DB_NAME"), existing=_required(env, "MLFLOW_DB_NAME")),
            env_root=Path(_required(env, "MLOPS_ENV_ROOT")),
            work_dir=Path(_required(env, "MLOPS_WORK_DIR")),
            max_running_jobs=_number(env, "MLOPS_MAX_RUNNING_JOBS", 2, 1, 1000),
            max_script_bytes=_number(env, "MLOPS_MAX_SCRIPT_BYTES", 1048576, 1, 1073741824),
            auth=auth == "true",
            secret_key=env.get("MLOPS_SECRET_KEY", "") if auth == "true" else "",
            instance=f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}",
        )
