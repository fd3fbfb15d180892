"""The local platform's data kept between two `make platform` sessions, in a folder the user names.

The services themselves start fresh every time (the S3 server keeps objects in memory only, and PostgreSQL as
root runs as the postgres user, which cannot reach a folder under root's home): on stop the MLflow database is
dumped (`pg_dump`, as the chart's backup job does) and every object of the buckets is written out as a file;
on the next start both are loaded before the MLflow server serves. A platform killed with SIGKILL keeps what
its last clean stop saved.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ServiceFailed
from harness.stores.postgres import Database
from harness.system import tools
from harness.waits import PG_CLIENT_S

DUMP_NAME = "mlflow.dump"
OBJECTS_DIR = "objects"


def pg_dump(database: Database, dump: Path) -> None:
    _postgres_client("pg_dump", ["--format=custom", f"--file={dump}"], database)


def pg_restore(database: Database, dump: Path) -> None:
    _postgres_client("pg_restore", ["--no-owner", "--exit-on-error", str(dump)], database)


def _postgres_client(program: str, args: list[str], database: Database) -> None:
    argv = [str(tools.postgres_bin_dir() / program), f"--host={database.host}", f"--port={database.port}",
            f"--username={database.user}", f"--dbname={database.name}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=PG_CLIENT_S,
                          env={"PGPASSWORD": database.password, "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise ServiceFailed(f"{program} failed: {done.stderr.strip()[-500:]}")


@dataclass(frozen=True)
class KeptData:
    folder: Path

    @property
    def saved(self) -> bool:
        return (self.folder / DUMP_NAME).exists()

    def load(self, database: Database, s3: Any) -> str:
        """Fill the new, empty stores from the folder; says what it loaded."""
        pg_restore(database, self.folder / DUMP_NAME)
        objects = sorted(path for path in (self.folder / OBJECTS_DIR).rglob("*") if path.is_file())
        for path in objects:
            bucket, key = path.relative_to(self.folder / OBJECTS_DIR).as_posix().split("/", 1)
            s3.upload_file(str(path), bucket, key)
        return f"the MLflow database and {len(objects)} objects from {self.folder}"

    def save(self, database: Database, s3: Any, buckets: list[str]) -> str:
        """Replace the folder's content with the stores' (written beside it first: an interrupted save leaves
        the previous one whole)."""
        staging = self.folder.with_name(self.folder.name + ".saving")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        pg_dump(database, staging / DUMP_NAME)
        count = 0
        for bucket in buckets:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    target = staging / OBJECTS_DIR / bucket / item["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, item["Key"], str(target))
                    count += 1
        shutil.rmtree(self.folder, ignore_errors=True)
        staging.rename(self.folder)
        return f"the MLflow database and {count} objects to {self.folder}"
