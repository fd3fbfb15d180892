"""The chart's backup upload and restore fetch containers, run with their own scripts against a real S3 protocol
server (moto): the artifact mirror copies only what it has not seen, retention drops the mirrored objects no
kept backup lists, and the restore brings back exactly what a backup listed, refusing a bucket that holds data."""

from pathlib import Path

import pytest

from harness.chart.local_containers import container_env, run_container, service_values, volume_folder
from harness.errors import ServiceFailed
from harness.mlflow.backup import BackupJob, artifact_listing, backups_in, mirror_index
from harness.stores.postgres import Database
from harness.stores.s3 import S3Service

ARTIFACTS, BACKUPS = "mlflow-artifacts", "mlflow-backups"


@pytest.fixture
def s3(tmp_path):
    service = S3Service(tmp_path)
    service.start()
    service.create_buckets([ARTIFACTS, BACKUPS])
    yield service
    service.stop()


def run(container: dict, s3: S3Service, folder: Path, database: Database | None = None) -> str:
    values = service_values(database, s3.server_env()) if database else s3.server_env()
    return run_container(container, container_env(container, values), folder)


def backup(job: BackupJob, s3: S3Service, folder: Path) -> str:
    """The upload container after dumps were written (a stand-in dump and its pg_restore --list)."""
    tmp = volume_folder(folder, "/tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "mlflow.dump").write_bytes(b"PGDMP a stand-in dump")
    (tmp / "mlflow.dump.list").write_text(";\n; Archive created\n215; 1259 16386 TABLE public alembic_version\n")
    return run(job.pod["containers"][0], s3, folder)


def mirrored(s3: S3Service, job: BackupJob) -> set[str]:
    found = s3.client().list_objects_v2(Bucket=BACKUPS, Prefix=f"{job.artifacts_prefix}/objects/").get("Contents", [])
    return {item["Key"].split("/objects/", 1)[1] for item in found}


def test_the_mirror_copies_only_new_objects_and_retention_drops_what_no_kept_backup_lists(s3, tmp_path):
    client = s3.client()
    for key in ("1/run-a/artifacts/model.pkl", "1/run-b/artifacts/report.txt"):
        client.put_object(Bucket=ARTIFACTS, Key=key, Body=key.encode())
    job = BackupJob.rendered_with({"backup.retention": "1"})
    backup(job, s3, tmp_path / "first")
    first = backups_in(client, job)[-1]
    assert first.manifest["artifacts"]["copied"] == 2 and set(artifact_listing(client, first)) == mirrored(s3, job)

    client.delete_object(Bucket=ARTIFACTS, Key="1/run-a/artifacts/model.pkl")
    client.put_object(Bucket=ARTIFACTS, Key="1/run-c/artifacts/model.pkl", Body=b"new")
    backup(job, s3, tmp_path / "second")
    kept = backups_in(client, job)
    assert [b.folder for b in kept] != [first.folder] and len(kept) == 1
    assert kept[0].manifest["artifacts"]["copied"] == 1
    assert mirrored(s3, job) == set(mirror_index(client, job)) == {"1/run-b/artifacts/report.txt",
                                                                  "1/run-c/artifacts/model.pkl"}


def test_an_empty_mlflow_database_is_not_backed_up(s3, tmp_path):
    job = BackupJob.rendered_with()
    tmp = volume_folder(tmp_path, "/tmp")
    tmp.mkdir(parents=True)
    (tmp / "mlflow.dump").write_bytes(b"PGDMP")
    (tmp / "mlflow.dump.list").write_text(";\n; Archive created\n3; 2615 2200 SCHEMA - public\n")
    with pytest.raises(ServiceFailed, match="an empty database is not a backup"):
        run(job.pod["containers"][0], s3, tmp_path)
    assert backups_in(s3.client(), job) == []


def test_the_restore_brings_back_what_the_backup_listed_into_an_empty_bucket_only(s3, tmp_path, empty_mlflow_database):
    client = s3.client()
    client.put_object(Bucket=ARTIFACTS, Key="1/run-a/artifacts/model.pkl", Body=b"weights")
    job = BackupJob.rendered_with()
    backup(job, s3, tmp_path / "backup")
    fetch = job.restore_job("latest").pod["initContainers"][0]
    client.put_object(Bucket=ARTIFACTS, Key="someone-elses.txt", Body=b"")
    with pytest.raises(ServiceFailed, match=f"the artifact bucket {ARTIFACTS} already holds objects"):
        run(fetch, s3, tmp_path / "refused", empty_mlflow_database)

    for key in ("1/run-a/artifacts/model.pkl", "someone-elses.txt"):
        client.delete_object(Bucket=ARTIFACTS, Key=key)
    printed = run(fetch, s3, tmp_path / "restore", empty_mlflow_database)
    assert "RESTORING" in printed and "1 artifacts" in printed
    assert client.get_object(Bucket=ARTIFACTS, Key="1/run-a/artifacts/model.pkl")["Body"].read() == b"weights"
    assert (volume_folder(tmp_path / "restore", "/tmp") / "mlflow.dump").read_bytes() == b"PGDMP a stand-in dump"


def test_a_stopped_restore_carries_on_where_it_stopped(s3, tmp_path, empty_mlflow_database):
    client = s3.client()
    for key in ("1/a/artifacts/x", "1/b/artifacts/y"):
        client.put_object(Bucket=ARTIFACTS, Key=key, Body=key.encode())
    job = BackupJob.rendered_with()
    backup(job, s3, tmp_path / "backup")
    client.delete_object(Bucket=ARTIFACTS, Key="1/b/artifacts/y")  # as if the restore had copied only x
    printed = run(job.restore_job("latest").pod["initContainers"][0], s3, tmp_path / "restore", empty_mlflow_database)
    assert "2 artifacts" in printed and client.get_object(Bucket=ARTIFACTS, Key="1/b/artifacts/y")["Body"].read()


def test_a_restore_of_a_backup_that_is_not_there_names_the_finished_ones(s3, tmp_path, empty_mlflow_database):
    job = BackupJob.rendered_with()
    backup(job, s3, tmp_path / "backup")
    fetch = job.restore_job("20200101T000000.000000Z").pod["initContainers"][0]
    with pytest.raises(ServiceFailed, match="restore.from=20200101T000000.000000Z is not a finished backup"):
        run(fetch, s3, tmp_path / "restore", empty_mlflow_database)
