"""What a client outside the platform sees of a running one: its endpoints and a few read-only views. Every layer
may name it; only the targets make one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

SCHEMA_REVISION_SQL = "SELECT version_num FROM alembic_version"  # MLflow's schema revision (alembic)


@dataclass(frozen=True)
class Platform:
    """Endpoints of a running platform, as a client outside it sees them."""

    mlflow_url: str
    s3_endpoint: str
    bucket: str
    s3_client: Callable[[], Any]
    backend_query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]  # SQL on the MLflow database
    server_args: Callable[[], list[str]]  # `server ...`: the arguments the running server was started with
    worker_processes: Callable[[], int]  # uvicorn worker processes the running server has

    def bucket_names(self) -> list[str]:
        """The buckets of the artifact store."""
        return [bucket["Name"] for bucket in self.s3_client().list_buckets()["Buckets"]]

    def holds_database(self, name: str) -> bool:
        """Whether the platform's PostgreSQL holds a database of that name."""
        return bool(self.backend_query("SELECT datname FROM pg_database WHERE datname = %s", (name,)))

    def schema_revision(self) -> str:
        """The MLflow schema revision of the platform's database."""
        return str(self.backend_query(SCHEMA_REVISION_SQL, ())[0][0])
