"""Seed 003's backups and disaster recovery: the chart's backup CronJob (and its pre-upgrade Job) and its restore
Job, each run here with its own commands, and a platform of a scenario's own that can be lost entirely.

RTO is the restore's wall time up to a healthy server; RPO is bounded by the longest gap between two runs of
the CronJob's schedule plus the time one backup takes (the newest backup is never older than that).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from croniter import croniter

from harness import chart, progress
from harness.chart.local_containers import chart_pod, container_env, run_container, service_values
from harness.chart.render import pod_spec, pod_user
from harness.chart.storage import bucket_job_script, buckets_created
from harness.errors import ServiceFailed
from harness.mlflow.server import MlflowServer
from harness.mlflow.variant import database_values, variant_from_chart
from harness.stores.postgres import Database, PostgresService
from harness.stores.s3 import S3Service
from harness.system import tools
from harness.system.pods import Pod, PodNetwork
from harness.waits import DUMP_READ_S

BACKUP_VALUES = {"backup.enabled": "true"}
DUMP_NAME = "mlflow.dump"
AUTH_DUMP_NAME = "auth.dump"  # with basic auth on: the users' database
ARTIFACT_LISTING_NAME = "artifacts.json"  # the artifact objects a backup holds (in the mirror)
MANIFEST_NAME = "manifest.json"  # each dump's size and sha256, written after the dumps
TAKEN_AT_FORMAT = "%Y%m%dT%H%M%S.%fZ"  # the dated prefix the CronJob writes under


def run_pod(pod: dict[str, Any], database: Database, storage_env: dict[str, str], folder: Path,
            in_pod: Pod | None = None) -> str:
    """A Job's pod run here (in `in_pod` when given, its volumes the pod's): its init containers, then its
    containers, each to its end; what they printed. The database and the stores are given by address."""
    values = service_values(database, storage_env)
    return "".join(run_container(container, container_env(container, values), folder, in_pod)
                    for container in [*pod.get("initContainers", []), *pod["containers"]])


@dataclass(frozen=True)
class RestoreJob:
    """The chart's restore Job as rendered with `values`; the MLflow pod that starts after it is rendered with
    the same values (its wait-for-restore init container among them)."""

    pod: dict[str, Any]
    values: dict[str, str]

    def run(self, database: Database, storage_env: dict[str, str], folder: Path, in_pod: Pod | None = None) -> str:
        return run_pod(self.pod, database, storage_env, folder, in_pod)


@dataclass(frozen=True)
class BackupJob:
    """The chart's backup CronJob (or its pre-upgrade Job) as rendered: its pod, its schedule and where it
    writes; `values` are what it was rendered with (a restore and a restored MLflow pod need the same)."""

    pod: dict[str, Any]
    schedule: str
    bucket: str
    prefix: str
    retention: int
    artifacts_prefix: str = "backups/artifacts"
    values: dict[str, str] = field(default_factory=dict)
    buckets: tuple[str, ...] = ()  # what the chart's bucket Job creates in its own store with these values

    @classmethod
    def rendered_with(cls, overrides: dict[str, str] | None = None, before_upgrade: bool = False) -> "BackupJob":
        values = {**BACKUP_VALUES, **(overrides or {})}
        rendered = chart.render_default(values)
        cronjob = rendered.named("CronJob", "-backup")
        pod = rendered.pod_named("Job", "-backup-before-upgrade") if before_upgrade else pod_spec(cronjob)
        upload = chart.env_values(next(c for c in pod["containers"] if c["name"] == "upload"))
        return cls(pod, cronjob["spec"]["schedule"], upload["BACKUP_BUCKET"], upload["BACKUP_PREFIX"],
                   int(upload["BACKUP_RETENTION"]), upload["BACKUP_ARTIFACTS_PREFIX"], values,
                   tuple(buckets_created(bucket_job_script(rendered))))

    @property
    def auth_values(self) -> dict[str, str]:
        return {key: value for key, value in self.values.items() if key.startswith("mlflow.auth.")}

    @property
    def auth_database(self) -> str | None:
        if self.values.get("mlflow.auth.enabled") != "true":
            return None
        return self.values.get("mlflow.auth.database", "mlflow_auth")

    @property
    def separate_store(self) -> bool:
        """Whether its backups go to a store apart from the artifact store (backup.store.endpointUrl)."""
        return bool(self.values.get("backup.store.endpointUrl"))

    def run(self, database: Database, storage_env: dict[str, str], folder: Path, in_pod: Pod | None = None) -> str:
        """One run of the Job: its init containers (pg_dump, pg_restore --list) then its upload, here (in
        `in_pod` when given)."""
        return run_pod(self.pod, database, storage_env, folder, in_pod)

    def restore_job(self, backup_from: str) -> RestoreJob:
        """The chart's restore Job of `backup_from` ("latest" or a backup's folder name)."""
        values = {**self.values, "restore.enabled": "true", "restore.from": backup_from}
        rendered = chart.render_default(values)
        return RestoreJob(rendered.pod_named("Job", "-restore"), values)

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

    @property
    def name(self) -> str:
        """The backup's folder name, its UTC time: what restore.from takes."""
        return self.folder.rsplit("/", 1)[-1]

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
    artifacts = (backup.manifest or {}).get("artifacts", {})
    listing_key = backup.key_of(artifacts.get("listing", ARTIFACT_LISTING_NAME))
    listing = s3.get_object(Bucket=backup.bucket, Key=listing_key)["Body"].read() if listing_key else b""
    if hashlib.sha256(listing).hexdigest() != artifacts.get("sha256"):
        problems.append(f"the artifacts listing does not match the manifest's {artifacts}")
    return problems


def artifact_listing(s3: Any, backup: Backup) -> dict[str, dict[str, Any]]:
    """The artifacts a backup holds: each object's key with its ETag and size at the time of the backup."""
    key = backup.key_of(ARTIFACT_LISTING_NAME)
    assert key is not None, f"the backup {backup.folder} lists no artifacts"
    return dict(json.loads(s3.get_object(Bucket=backup.bucket, Key=key)["Body"].read()))


def mirror_index(s3: Any, job: BackupJob) -> dict[str, dict[str, Any]]:
    """What the artifact mirror has copied so far (empty before the first backup)."""
    key = f"{job.artifacts_prefix}/index.json"
    listed = s3.list_objects_v2(Bucket=job.bucket, Prefix=key).get("Contents", [])
    return dict(json.loads(s3.get_object(Bucket=job.bucket, Key=key)["Body"].read())) if listed else {}


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


def schema_revision_of_dump(dump: Path) -> str:
    """The MLflow schema revision (alembic_version) a dump of the MLflow database holds, read with pg_restore."""
    done = subprocess.run([str(tools.postgres_bin_dir() / "pg_restore"), "--data-only", "--table=alembic_version",
                           "--file=-", str(dump)], capture_output=True, text=True, check=False, timeout=DUMP_READ_S)
    if done.returncode != 0:
        raise ServiceFailed(f"pg_restore could not read {dump.name}: {done.stderr.strip()[-300:]}")
    rows = done.stdout.split("FROM stdin;\n", 1)[-1].split("\n\\.", 1)[0].split()
    if len(rows) != 1:
        raise ServiceFailed(f"{dump.name} holds no single alembic_version row: {rows}")
    return rows[0]


class OwnPlatform:
    """A PostgreSQL, an S3 store and the chart's MLflow pod of their own, on new ports: a platform a scenario
    may lose entirely, or one the chart's restore Job fills. Owned (stoppable) from construction, so an
    interrupt during a start stops what had started."""

    def __init__(self, workdir: Path, name: str, pods: PodNetwork | None = None) -> None:
        self.folder = workdir / f"{name}-{secrets.token_hex(4)}"
        self.folder.mkdir()
        self.pods = pods  # with pods, it is a release of its own: its pods resolve its Services' names
        rendered = chart.render_default()
        self.postgres = PostgresService(self.folder, rendered.service_port("postgresql") if pods else None,
                                        self._pod_for(rendered, "postgresql"))
        self.s3 = S3Service(self.folder, rendered.service_port("minio") if pods else None,
                            self._pod_for(rendered, "minio"))
        self.database: Database | None = None
        self.server: MlflowServer | None = None
        self.admin: tuple[str, str] | None = None
        self.seconds = 0.0  # a restore's wall time up to a healthy server: its RTO

    def start_stores(self, database_name: str, database_user: str) -> Database:
        self.postgres.start()
        self.s3.start()
        self.database = self.postgres.create_database(database_name, database_user)
        return self.database

    def start_mlflow(self, values: dict[str, str]) -> None:
        """The chart's MLflow pod (its init containers, then the server) on this platform's stores."""
        assert self.database is not None, "the stores start before the MLflow pod"
        variant = variant_from_chart({**values, **database_values(self.database)}, self.database,
                                     self.s3.server_env(), self.folder, name=f"mlflow-server-{self.folder.name}",
                                     pod_for=lambda rendered: self._pod_for(rendered, "mlflow"))
        self.server, self.admin = variant.server, variant.admin
        self.server.start()

    def _pod_for(self, rendered: chart.Rendered, component: str) -> Pod | None:
        return chart_pod(self.pods, rendered, component, self.folder.name) if self.pods else None

    def restore(self, job: BackupJob, backup_from: str, backups_env: dict[str, str], database_name: str,
                database_user: str) -> str:
        """New, empty stores, the chart's restore Job of `backup_from` from the store `backups_env` names, then
        the chart's MLflow pod on them; what the restore Job printed."""
        started = time.monotonic()
        with progress.step("restoring: a new PostgreSQL and S3 store, the chart's restore Job"):
            database = self.start_stores(database_name, database_user)
            restore = job.restore_job(backup_from)
            job_pod = self.pods.pod(f"{self.folder.name}-restore-0", *pod_user(restore.pod), self.folder.name) \
                if self.pods else None
            printed = restore.run(database, {**self.s3.server_env(), **backups_env}, self.folder / "restore-pod",
                                  job_pod)
        with progress.step("restoring: the chart's MLflow pod on the restored stores"):
            self.start_mlflow(restore.values)
        self.seconds = time.monotonic() - started
        return printed

    @property
    def url(self) -> str:
        assert self.server is not None, "the platform's MLflow pod has not started"
        return self.server.url

    def stop(self) -> None:
        for service in (self.server, self.s3, self.postgres):
            if service is not None:
                service.stop()

    def destroy(self) -> None:
        """Lose it all: the processes stopped, the database's files and the store's objects gone."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
