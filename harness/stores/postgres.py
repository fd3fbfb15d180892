"""A private PostgreSQL cluster: the MLflow backend store of the local target. In the chart's pod (its uid, its
port, on the pods' bridge) when the run has pods, else on a loopback port as the postgres user."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

from harness.errors import ServiceFailed
from harness.system import tools
from harness.system.pods import Pod
from harness.system.ports import LOOPBACK, claim_port
from harness.system.process import ManagedProcess, tail
from harness.waits import POSTGRES_INITDB_S, POSTGRES_START_S

SERVICE_USER = "postgres"  # initdb refuses to run as root
SERVICE_PORT = 5432  # the chart's Service port, where a pod of its own listens
# What the image's entrypoint adds to pg_hba.conf: clients of other pods sign in with a password.
POD_CLIENTS_RULE = "host all all all scram-sha-256\n"


@dataclass(frozen=True)
class Database:
    host: str
    port: int
    name: str
    user: str
    password: str

    def sqlalchemy_uri(self) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@{self.host}:{self.port}/{self.name}"

    def unreachable(self) -> "Database":
        """The same database as a client would meet it with its server gone: a port nothing listens on."""
        return dataclasses.replace(self, port=claim_port(None, "a database nobody serves"))


class PostgresService:
    def __init__(self, workdir: Path, port: int | None = None, pod: Pod | None = None) -> None:
        self.workdir = workdir
        self.pod = pod
        self.host = pod.address if pod else LOOPBACK
        # Where it listens: in its pod, `port` (the chart's Service port by default); else a free loopback one.
        self.port = (port or SERVICE_PORT) if pod else claim_port(port, "PostgreSQL")
        self.data_dir = workdir / "pgdata"
        self.socket_dir = workdir / "pgsocket"  # the suite's own way in, as the server's superuser
        self.log_path = workdir / "logs" / "postgresql.log"
        self._bin = tools.postgres_bin_dir()
        self._as_user = SERVICE_USER if os.geteuid() == 0 and pod is None else None
        self._process: ManagedProcess | None = None

    @property
    def version(self) -> str:
        return subprocess.run([str(self._bin / "postgres"), "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()

    def start(self) -> None:
        """Create the cluster on first start; a later start (after stop) serves the same data again."""
        if not (self.data_dir / "PG_VERSION").exists():
            self._init_cluster()
        self._process = ManagedProcess(
            name="PostgreSQL",
            argv=[str(self._bin / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
                  "-c", f"listen_addresses={'*' if self.pod else LOOPBACK}", "-k", str(self.socket_dir),
                  "-c", "fsync=off"],
            log_path=self.log_path,
            user=self._as_user,
            pod=self.pod,
            stop_signal=signal.SIGINT,  # "fast" shutdown: SIGTERM would wait for clients to leave
        )
        self._process.start()
        self._process.wait_ready(lambda: self.query("select 1"), f"PostgreSQL at {self.host}:{self.port}",
                                 POSTGRES_START_S)

    def _init_cluster(self) -> None:
        if self.pod:
            self.pod.own(self.data_dir, self.socket_dir)
        else:
            for folder in (self.data_dir, self.socket_dir):
                folder.mkdir(parents=True)
                if self._as_user:
                    shutil.chown(folder, self._as_user, self._as_user)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._run_as_owner([str(self._bin / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"])
        if self.pod:
            with open(self.data_dir / "pg_hba.conf", "a") as rules:
                rules.write(POD_CLIENTS_RULE)

    def create_database(self, name: str, user: str, password: str | None = None) -> Database:
        password = password or secrets.token_urlsafe(18)
        # CREATEDB: the chart's MLflow pod creates the auth database itself when it is missing.
        self.execute(f'CREATE ROLE "{user}" LOGIN CREATEDB PASSWORD %s', (password,))
        self.execute(f'CREATE DATABASE "{name}" OWNER "{user}"')
        return Database(self.host, self.port, name, user, password)

    def database_of(self, owner: Database, name: str) -> Database:
        """One more database owned by `owner`'s role (the auth database beside the MLflow one)."""
        self.execute(f'CREATE DATABASE "{name}" OWNER "{owner.user}"')
        return dataclasses.replace(owner, name=name)

    def connect(self, database: str = "postgres") -> Any:
        return psycopg2.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname=database)

    def execute(self, sql: str, params: tuple[Any, ...] = (), database: str = "postgres") -> None:
        conn = self.connect(database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
        finally:
            conn.close()

    def query(self, sql: str, params: tuple[Any, ...] = (), database: str = "postgres") -> list[tuple[Any, ...]]:
        return fetch_all(self.connect(database), sql, params)

    def running(self) -> bool:
        return self._process is not None and self._process.running()

    def stop(self) -> None:
        if self._process:
            self._process.stop()
            self._process = None

    def _run_as_owner(self, argv: list[str]) -> None:
        initdb = ManagedProcess(name="initdb", argv=argv, log_path=self.log_path, user=self._as_user, pod=self.pod)
        code = initdb.run_to_end(timeout=POSTGRES_INITDB_S)
        if code != 0:
            raise ServiceFailed(f"initdb failed with code {code}",
                                f"see {self.log_path}:\n{tail(self.log_path, 10)}", self.log_path)


def fetch_all(conn: Any, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Run one query on a fresh connection and close it."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    finally:
        conn.close()
