"""MLflow 2.14, the server generation seed 003 ran, in a cached environment of its own: it leaves data in its
own schema behind for the upgrade scenario."""

from __future__ import annotations

import hashlib
from pathlib import Path

from harness.mlflow.server import MlflowServer
from harness.stores.postgres import Database
from harness.system import tools
from harness.system.pods import Pod
from harness.system.ports import LOOPBACK, claim_port
from harness.system.venvs import ensure_venv

LEGACY_VERSION = "2.14.3"
POD_PORT = 5000  # the seed's deployment's container port
# What MLflow 3.17 logs when it starts on a database that lacks some of its tables, an older MLflow's included:
# it runs every migration itself ("Creating initial MLflow database tables..." then this), without a lock.
SELF_MIGRATION = "Updating database tables"
# MLflow 2.14 imports a pool class that SQLAlchemy 2.1 removed.
REQUIREMENTS = [f"mlflow=={LEGACY_VERSION}", "sqlalchemy==2.0.58", "psycopg2-binary==2.9.13", "boto3==1.44.5"]


def legacy_venv_path() -> Path:
    digest = hashlib.sha256("\n".join(REQUIREMENTS).encode()).hexdigest()[:10]
    return tools.CACHE_DIR / "mlflow-legacy" / f"mlflow-{LEGACY_VERSION}-{digest}"


def legacy_venv() -> Path:
    """The cached environment of MLflow 2.14, built first if needed."""
    return ensure_venv(legacy_venv_path(), REQUIREMENTS, f"MLflow {LEGACY_VERSION} (the seed's server generation)")


def legacy_server(workdir: Path, database: Database, storage_env: dict[str, str], bucket: str,
                  pod: Pod | None = None) -> MlflowServer:
    """An MLflow 2.14 server on `database`, proxying artifacts to `bucket` as the seed's deployment did; in
    `pod` when given, on its port 5000, reached through a port-forward."""
    venv = legacy_venv()
    port = claim_port(None, f"the MLflow {LEGACY_VERSION} server")
    host, listen = ("0.0.0.0", POD_PORT) if pod else (LOOPBACK, port)
    uri = f"postgresql+psycopg2://{database.user}@{database.host}:{database.port}/{database.name}"
    args = ["server", "--host", host, "--port", str(listen), "--workers", "1", "--backend-store-uri", uri,
            "--artifacts-destination", f"s3://{bucket}", "--serve-artifacts"]
    return MlflowServer(workdir, args, port, {**storage_env, "PGPASSWORD": database.password},
                        name=f"mlflow-{LEGACY_VERSION}", program=venv / "bin" / "mlflow", pod=pod,
                        pod_port=POD_PORT if pod else None)


def self_migration_lines(server_log: Path) -> list[str]:
    """The lines of an MLflow server's log that say it migrated its database itself."""
    return [line for line in server_log.read_text(errors="replace").splitlines() if SELF_MIGRATION in line]
