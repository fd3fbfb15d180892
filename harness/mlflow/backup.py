"""Seed 003's backups: the chart's backup CronJob run here with its own commands, and the restore procedure the
README documents ("Restore from a backup"), run step by step onto a fresh PostgreSQL and S3 store.

RTO is the restore's wall time up to a healthy server; RPO is bounded by the longest gap between two runs of
the CronJob's schedule plus the time one backup takes (the newest backup is never older than that).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from croniter import croniter

from harness import chart, progress
from harness.errors import ServiceFailed
from harness.chart.storage import bucket_job_script, buckets_created
from harness.chart.local_containers import container_env, run_container, service_values
from harness.matrix import SPARK_VERSIONS
from harness.mlflow.server import MlflowServer
from harness.mlflow.variant import database_values, pod_from_chart
from harness.stores.kept_data import pg_restore
from harness.stores.postgres import Database, PostgresService
from harness.stores.s3 import S3Service

BACKUP_VALUES = {"backup.enabled": "true"}
DUMP_NAME = "mlflow.dump"
AUTH_DUMP_NAME = "auth.dump"  # with basic auth on: the users' database
MANIFEST_NAME = "manifest.json"  # each dump's size and sha256, written after the dumps
TAKEN_AT_FORMAT = "%Y%m%dT%H%M%S.%fZ"  # the dated prefix the CronJob writes under


@dataclass(frozen=True)
class BackupJob:
    """The chart's backup CronJob as rendered: its pod, its schedule and where it writes; `auth_values` are the
    basic-auth values it was rendered with, which a restored MLflow pod needs too."""

    pod: dict[str, Any]
    schedule: str
    bucket: str
    prefix: str
    retention: int
    auth_values: dict[str, str] = field(default_factory=dict)
    buckets: tuple[str, ...] = ()  # what the chart's bucket Job creates with these values

    @classmethod
    def rendered_with(cls, overrides: dict[str, str] | None = None) -> "BackupJob":
        values = {**BACKUP_VALUES, **(overrides or {})}
        rendered = chart.render("standalone-submit", SPARK_VERSIONS[-1], values)
        cronjob = rendered.named("CronJob", "-backup")
        pod = rendered.pod_of("backup")
        upload = chart.env_values(next(c for c in pod["containers"] if c["name"] == "upload"))
        return cls(pod, cronjob["spec"]["schedule"], upload["BACKUP_BUCKET"], upload["BACKUP_PREFIX"],
                   int(upload["BACKUP_RETENTION"]),
                   {key: value for key, value in values.items() if key.startswith("mlflow.auth.")},
                   tuple(buckets_created(bucket_job_script(rendered))))

    @property
    def auth_database(self) -> str | None:
        if self.auth_values.get("mlflow.auth.enabled") != "true":
            return None
        return self.auth_values.get("mlflow.auth.database", "mlflow_auth")

    def run(self, database: Database, storage_env: dict[str, str], folder: Path) -> str:
        """One run of the Job: its init container (pg_dump) then its container (upload, prune), here."""
        values = service_values(database, storage_env)
        printed = [run_container(container, container_env(container, values), folder)
                   for container in [*self.pod.get("initContainers", []), *self.pod["containers"]]]
        return "".join(printed)

    def longest_gap(self, days: int = 7) -> datetime.timedelta:
        """The longest time between two runs of the schedule over `days` days."""
        start = datetime.datetime(2026, 1, 5, tzinfo=datetime.timezone.utc)  # a Monday: weekly schedules count
        runs = croniter(self.schedule, start)
        times = [runs.get_next(datetime.datetime)]
        while times[-1] < start + datetime.timedelta(days=days):
            times.append(runs.get_next(datetime.datetime))
        return max(later - earlier for earlier, later in zip(times, times[1:]))


@dataclass(frozen=True)
class Backup:
    """One run of the CronJob: its dated folder and the dumps in it."""

    bucket: str
    folder: str
    keys: tuple[str, ...]
    taken_at: datetime.datetime
    manifest: dict[str, Any] | None  # written last: None for a backup the CronJob did not finish

    def key_of(self, dump: str) -> str | None:
        return next((key for key in self.keys if key.endswith("/" + dump)), None)

    @property
    def good(self) -> bool:
        return self.manifest is not None


def newest_good(backups: list[Backup]) -> Backup:
    good = [backup for backup in backups if backup.good]
    if not good:
        raise ServiceFailed("no finished backup (one with its manifest.json) to restore from",
                            "check the backup CronJob's last runs: kubectl get jobs -l app.kubernetes.io/component=backup")
    return good[-1]


def backups_in(s3: Any, job: BackupJob) -> list[Backup]:
    """The backups under the job's prefix (a dated folder each), oldest first."""
    folders: dict[str, list[str]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=job.bucket, Prefix=job.prefix + "/"):
        for item in page.get("Contents", []):
            stamp = item["Key"][len(job.prefix) + 1:].split("/")[0]
            folders.setdefault(stamp, []).append(item["Key"])
    found = [Backup(job.bucket, f"{job.prefix}/{stamp}", tuple(sorted(keys)),
                    datetime.datetime.strptime(stamp, TAKEN_AT_FORMAT).replace(tzinfo=datetime.timezone.utc),
                    _manifest(s3, job.bucket, keys))
             for stamp, keys in folders.items()]
    return sorted(found, key=lambda backup: backup.taken_at)


def _manifest(s3: Any, bucket: str, keys: list[str]) -> dict[str, Any] | None:
    key = next((key for key in keys if key.endswith("/" + MANIFEST_NAME)), None)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) if key else None


def manifest_problems(s3: Any, backup: Backup) -> list[str]:
    """Where the backup's manifest disagrees with its stored dumps (size, sha256) or lacks pg_restore's listing."""
    files = (backup.manifest or {}).get("files", {})
    stored = {key.rsplit("/", 1)[-1]: key for key in backup.keys if key.endswith(".dump")}
    problems = [f"{name} is stored but not in the manifest" for name in stored if name not in files]
    for name, recorded in files.items():
        body = s3.get_object(Bucket=backup.bucket, Key=stored[name])["Body"].read() if name in stored else b""
        if len(body) != recorded["bytes"] or hashlib.sha256(body).hexdigest() != recorded["sha256"]:
            problems.append(f"{name}: stored {len(body)} bytes that do not match the manifest {recorded}")
        if not recorded.get("toc_entries"):
            problems.append(f"{name}: the manifest records no entries that pg_restore --list read")
    return problems


def stored_encryption(s3: Any, backup: Backup) -> dict[str, str]:
    """Each object of the backup with the server-side encryption the store reports for it ("none" if none)."""
    return {key: s3.head_object(Bucket=backup.bucket, Key=key).get("ServerSideEncryption", "none")
            for key in backup.keys}


def damage(s3: Any, backup: Backup, dump: str) -> None:
    """Overwrite the middle of a stored dump, as a failing disk or a bad copy would."""
    key = backup.key_of(dump)
    assert key is not None, f"the backup {backup.folder} has no {dump}"
    body = bytearray(s3.get_object(Bucket=backup.bucket, Key=key)["Body"].read())
    middle = len(body) // 2
    body[middle:middle + 64] = bytes(64)
    s3.put_object(Bucket=backup.bucket, Key=key, Body=bytes(body))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_bucket(source: Any, target: Any, bucket: str) -> int:
    """Every object of `bucket`, from one store to the other (`mc mirror` on a cluster)."""
    copied = 0
    for page in source.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = source.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            target.put_object(Bucket=bucket, Key=item["Key"], Body=body)
            copied += 1
    return copied


class RestoredPlatform:
    """A fresh PostgreSQL and S3 store filled from a backup, and the chart's MLflow pod started on them. Owned
    (stoppable) from construction, so an interrupt during the restore stops what it had started."""

    def __init__(self, workdir: Path) -> None:
        self.folder = workdir / f"restore-{secrets.token_hex(4)}"
        self.folder.mkdir()
        self.postgres = PostgresService(self.folder)
        self.s3 = S3Service(self.folder)
        self.server: MlflowServer | None = None
        self.seconds = 0.0  # the restore's wall time: its RTO
        self.objects_copied = 0

    def restore(self, backup: Backup, source_s3: Any, job: BackupJob, artifact_bucket: str,
                database_name: str, database_user: str) -> None:
        started = time.monotonic()
        with progress.step("restoring: a new PostgreSQL, the dumps loaded with pg_restore"):
            self.postgres.start()
            database = self.postgres.create_database(database_name, database_user)
            self._load(backup, DUMP_NAME, source_s3, database)
            if job.auth_database:
                self._load(backup, AUTH_DUMP_NAME, source_s3, self.postgres.database_of(database, job.auth_database))
        with progress.step("restoring: a new S3 store, the artifacts copied over"):
            self.s3.start()
            self.s3.create_buckets(sorted({artifact_bucket, job.bucket}))
            self.objects_copied = copy_bucket(source_s3, self.s3.client(), artifact_bucket)
        with progress.step("restoring: the chart's MLflow pod on the restored stores"):
            pod = pod_from_chart({**database_values(database), **job.auth_values}, database, self.s3.server_env(),
                                 self.folder)
            self.server = pod.server(name="mlflow-server-restored")
            self.server.start()
        self.seconds = time.monotonic() - started

    def _load(self, backup: Backup, dump: str, source_s3: Any, database: Database) -> None:
        key = backup.key_of(dump)
        if key is None:
            raise ServiceFailed(f"the backup {backup.folder} has no {dump}: it cannot be restored",
                                f"restore an older backup, or check the CronJob's logs for the run at {backup.folder}")
        path = self.folder / dump
        source_s3.download_file(backup.bucket, key, str(path))
        expected = (backup.manifest or {}).get("files", {}).get(dump, {}).get("sha256")
        if expected != sha256_of(path):
            raise ServiceFailed(f"{dump} of the backup {backup.folder} does not match its manifest's sha256: it is "
                                "damaged and is not restored", "restore an older backup")
        pg_restore(database, path)

    @property
    def url(self) -> str:
        assert self.server is not None, "the restore has not started its server"
        return self.server.url

    def stop(self) -> None:
        for service in (self.server, self.s3, self.postgres):
            if service is not None:
                service.stop()
