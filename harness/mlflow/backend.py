"""MLflow's own tables in the backend database: proof that a run really lives in PostgreSQL."""

from __future__ import annotations

from typing import Any, Callable

Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


def stored_param(query: Query, run_id: str, key: str) -> list[tuple[Any, ...]]:
    """(run id, value) rows of the param `key` of run `run_id`, joined from MLflow's runs and params tables."""
    return query("SELECT r.run_uuid, p.value FROM runs r JOIN params p ON p.run_uuid = r.run_uuid "
                 "WHERE r.run_uuid = %s AND p.key = %s", (run_id, key))
