"""The backup schedule's worst case (the RPO bound) and the reading of the CronJob's dated prefixes."""

import datetime

import pytest

from harness.mlflow.backup import BackupJob, backups_in


def job(schedule: str = "7,37 * * * *", prefix: str = "backups/mlflow") -> BackupJob:
    return BackupJob(pod={}, schedule=schedule, bucket="b", prefix=prefix, retention=2)


@pytest.mark.parametrize("schedule, gap", [
    ("7,37 * * * *", datetime.timedelta(minutes=30)),
    ("17 * * * *", datetime.timedelta(hours=1)),
    ("0 2 * * 1-5", datetime.timedelta(days=3)),  # Friday night to Monday night
])
def test_the_longest_gap_between_two_backups(schedule, gap):
    assert job(schedule).longest_gap() == gap


class ListingOnly:
    """Stands in for boto3's paginator: the keys one listing returns."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def get_paginator(self, name: str) -> "ListingOnly":
        return self

    def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, list[dict[str, str]]]]:
        return [{"Contents": [{"Key": key} for key in self.keys if key.startswith(Prefix)]}]


def test_backups_are_read_from_their_dated_prefix_oldest_first():
    keys = ["backups/mlflow/20261123T101500.000001Z/mlflow.dump", "backups/mlflow/20261122T233000.5Z/mlflow.dump",
            "backups/mlflow/20261123T101500.000001Z/auth.dump", "artifacts/1/run/model.pkl"]
    found = backups_in(ListingOnly(keys), job())
    assert [backup.folder for backup in found] == ["backups/mlflow/20261122T233000.5Z",
                                                   "backups/mlflow/20261123T101500.000001Z"]
    assert found[-1].taken_at == datetime.datetime(2026, 11, 23, 10, 15, 0, 1, tzinfo=datetime.timezone.utc)
    assert found[-1].key_of("auth.dump") == keys[2] and found[0].key_of("auth.dump") is None


def test_the_auth_database_is_backed_up_only_with_basic_auth_on():
    assert BackupJob.rendered_with().auth_database is None
    with_auth = BackupJob.rendered_with({"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "x" * 16,
                                         "mlflow.auth.database": "users_db"})
    assert with_auth.auth_database == "users_db"
    assert [c["name"] for c in with_auth.pod["initContainers"]] == ["dump", "dump-auth", "verify-dump",
                                                                    "verify-dump-auth"]
