"""Job records in the platform's PostgreSQL, so that a restart or a second replica loses no job.

The service's database is created when missing and its schema migrated at start, one replica at a time under
an advisory lock (as the chart migrates MLflow's). Claims are what bound the jobs that run at once: a replica
claims the oldest queued job only while fewer than the limit are claimed, under a transaction lock, so two
replicas never both take the last slot. A replica that follows a job beats its heartbeat; a job whose
heartbeat stopped is an orphan, which the reconciler settles.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Iterator

import sqlalchemy
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine

from mlops_api.schemas import ENDED, Upload
from mlops_api.settings import Database

MIGRATIONS = (
    """CREATE TABLE training_jobs (
         job_id text PRIMARY KEY,
         seq bigserial NOT NULL,
         status text NOT NULL,
         reason text NOT NULL DEFAULT '',
         script_name text NOT NULL,
         script bytea NOT NULL,
         experiment_name text NOT NULL,
         model_name text NOT NULL DEFAULT '',
         requirements jsonb NOT NULL,
         timeout_s integer NOT NULL,
         tags jsonb NOT NULL,
         spark_version text NOT NULL,
         username text NOT NULL DEFAULT '',
         credentials bytea,
         run_id text,
         experiment_id text,
         app_id text,
         model_version text,
         logs text NOT NULL DEFAULT '',
         history jsonb NOT NULL,
         claimed_by text,
         heartbeat_at timestamptz,
         submitted_at timestamptz NOT NULL,
         started_at timestamptz,
         ended_at timestamptz)""",
    "CREATE INDEX training_jobs_waiting ON training_jobs (seq) WHERE status = 'queued' AND claimed_by IS NULL",
    "ALTER TABLE training_jobs ADD COLUMN cancelled_by text",
)
MIGRATION_LOCK = "mlops-schema-migration"
CLAIM_LOCK = "mlops-job-claims"
LIVE = ("queued", "running")


def now() -> datetime:
    return datetime.now(timezone.utc)


def _url(database: Database, name: str) -> URL:
    return URL.create("postgresql+psycopg2", username=database.user, password=database.password,
                      host=database.host, port=database.port, database=name)


def create_database(database: Database) -> None:
    """The service's database, created when missing (the user needs CREATEDB, as for MLflow's auth database)."""
    engine = sqlalchemy.create_engine(_url(database, database.existing), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(hashtext(:lock))"), {"lock": MIGRATION_LOCK})
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": database.name}).first()
            if exists is None:
                connection.execute(text(f'CREATE DATABASE "{database.name.replace(chr(34), "")}"'))
            connection.execute(text("SELECT pg_advisory_unlock(hashtext(:lock))"), {"lock": MIGRATION_LOCK})
    finally:
        engine.dispose()


def migrate(connection: Connection) -> int:
    """Apply the migrations this database lacks, under the advisory lock; the schema version after."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": MIGRATION_LOCK})
    connection.execute(text("CREATE TABLE IF NOT EXISTS mlops_schema (version integer NOT NULL)"))
    row = connection.execute(text("SELECT version FROM mlops_schema")).first()
    done = row[0] if row else 0
    for statement in MIGRATIONS[done:]:
        connection.execute(text(statement))
    if row is None:
        connection.execute(text("INSERT INTO mlops_schema VALUES (:v)"), {"v": len(MIGRATIONS)})
    else:
        connection.execute(text("UPDATE mlops_schema SET version = :v"), {"v": len(MIGRATIONS)})
    return len(MIGRATIONS)


def _change(status: str, reason: str) -> dict[str, str]:
    return {"status": status, "reason": reason, "at": now().isoformat()}


class JobStore:
    def __init__(self, database: Database) -> None:
        create_database(database)
        self.engine: Engine = sqlalchemy.create_engine(_url(database, database.name), pool_size=8, max_overflow=8,
                                                       pool_pre_ping=True)
        with self.engine.begin() as connection:
            self.schema_version = migrate(connection)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def add(self, upload: Upload, username: str, credentials: bytes | None) -> str:
        job_id = uuid.uuid4().hex[:8]
        reason = "waiting for a free job slot"
        with self.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO training_jobs (job_id, status, reason, script_name, script, experiment_name, "
                "model_name, requirements, timeout_s, tags, spark_version, username, credentials, history, "
                "submitted_at) VALUES (:job_id, 'queued', :reason, :script_name, :script, :experiment_name, "
                ":model_name, :requirements, :timeout_s, :tags, :spark_version, :username, :credentials, "
                ":history, :submitted_at)"),
                {"job_id": job_id, "reason": reason, "script_name": upload.script_name, "script": upload.script,
                 "experiment_name": upload.experiment_name, "model_name": upload.model_name,
                 "requirements": json.dumps(list(upload.requirements)), "timeout_s": upload.timeout_s,
                 "tags": json.dumps(upload.tags), "spark_version": upload.spark_version, "username": username,
                 "credentials": credentials, "history": json.dumps([_change("queued", reason)]),
                 "submitted_at": now()})
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM training_jobs WHERE job_id = :id"), {"id": job_id}).first()
        return dict(row._mapping) if row else None

    def recent(self, limit: int) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM training_jobs ORDER BY seq DESC LIMIT :n"), {"n": limit})
            return [dict(row._mapping) for row in rows]

    def claim_next(self, instance: str, limit: int) -> dict[str, Any] | None:
        """The oldest queued job, now claimed by `instance`, if fewer than `limit` jobs are claimed; else None."""
        with self.engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": CLAIM_LOCK})
            claimed = connection.execute(text(
                "SELECT count(*) FROM training_jobs WHERE status IN ('queued', 'running') "
                "AND claimed_by IS NOT NULL")).scalar_one()
            if claimed >= limit:
                return None
            # Stamped after the lock, on the clock the job's history uses: claims are ordered as granted, and a
            # slot freed by an ending job is never granted before that end (now() is the transaction's start).
            row = connection.execute(text(
                "UPDATE training_jobs SET claimed_by = :me, heartbeat_at = now(), started_at = :granted "
                "WHERE job_id = (SELECT job_id FROM training_jobs WHERE status = 'queued' AND claimed_by IS NULL "
                "ORDER BY seq LIMIT 1) RETURNING *"), {"me": instance, "granted": now()}).first()
        return dict(row._mapping) if row else None

    def adopt(self, job_id: str, instance: str, stale_s: float) -> bool:
        """Take over an orphan (no heartbeat for `stale_s`); False when another replica was quicker."""
        with self.engine.begin() as connection:
            row = connection.execute(text(
                "UPDATE training_jobs SET claimed_by = :me, heartbeat_at = now() WHERE job_id = :id "
                "AND status IN ('queued', 'running') AND (heartbeat_at IS NULL OR "
                "heartbeat_at < now() - make_interval(secs => :stale)) RETURNING job_id"),
                {"me": instance, "id": job_id, "stale": stale_s}).first()
        return row is not None

    def set_state(self, job_id: str, status: str, reason: str, **fields: Any) -> None:
        """Record a state (added to the history when status or reason changed) and any other fields."""
        record = self.get(job_id)
        if record is None:
            raise KeyError(job_id)
        values = dict(fields)
        history = list(record["history"])
        if (history[-1]["status"], history[-1]["reason"]) != (status, reason):
            history.append(_change(status, reason))
        values.update(status=status, reason=reason, history=json.dumps(history))
        if status in ENDED:
            values.update(ended_at=now(), credentials=None)
        self.update(job_id, **values)

    def update(self, job_id: str, **fields: Any) -> None:
        assignments = ", ".join(f"{name} = :{name}" for name in fields)
        with self.engine.begin() as connection:
            connection.execute(text(f"UPDATE training_jobs SET {assignments} WHERE job_id = :job_id"),
                               {**fields, "job_id": job_id})

    def beat(self, instance: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("UPDATE training_jobs SET heartbeat_at = now() WHERE claimed_by = :me "
                                    "AND status IN ('queued', 'running')"), {"me": instance})

    def release(self, instance: str) -> None:
        """This replica stops: its jobs become orphans at once, for the next replica to settle."""
        with self.engine.begin() as connection:
            connection.execute(text("UPDATE training_jobs SET heartbeat_at = NULL WHERE claimed_by = :me "
                                    "AND status IN ('queued', 'running')"), {"me": instance})

    def orphans(self, stale_s: float) -> Iterator[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT * FROM training_jobs WHERE status IN ('queued', 'running') AND claimed_by IS NOT NULL "
                "AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => :stale)) ORDER BY seq"),
                {"stale": stale_s}).all()
        for row in rows:
            yield dict(row._mapping)

    def cancel(self, job_id: str, caller: str) -> dict[str, Any] | None:
        """Ask for the job to stop: a queued job that holds no slot ends at once, a claimed one is stopped by
        the replica that follows it. None for an unknown job."""
        with self.engine.begin() as connection:
            connection.execute(text("UPDATE training_jobs SET cancelled_by = :caller WHERE job_id = :id "
                                    "AND status IN ('queued', 'running')"), {"caller": caller, "id": job_id})
        record = self.get(job_id)
        if record is not None and record["status"] == "queued" and record["claimed_by"] is None:
            self.set_state(job_id, "killed", f"cancelled by {caller} before it started")
        return self.get(job_id)

    def cancelled_by(self, job_id: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT cancelled_by FROM training_jobs WHERE job_id = :id"),
                                      {"id": job_id}).scalar()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT status, count(*) FROM training_jobs GROUP BY status")).all()
        return {status: int(count) for status, count in rows}
