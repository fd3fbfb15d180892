"""What every target offers the steps."""

from __future__ import annotations

import abc
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from harness.config import RunConfig
from harness.endpoints import SCHEMA_REVISION_SQL, Platform
from harness.errors import SuiteError
from harness.mlflow.backup import Backup, BackupJob, OwnPlatform, backups_in
from harness.mlflow.legacy import LEGACY_VERSION
from harness.mlflow.variant import VariantServer
from harness.production.stack import ProductionStack
from harness.spark.site import SparkSite
from harness.stores.postgres import Database

class Target(abc.ABC):
    name: str
    config: RunConfig
    workdir: Path  # private scratch folder of this run, removed by close()
    _platform: Platform | None = None
    _start_error: Exception | None = None

    def platform(self) -> Platform:
        """Start the shared platform on first use and return it; a failed start fails every later ask
        with the same error instead of retrying for each scenario."""
        if self._start_error is not None:
            raise self._start_error
        if self._platform is None:
            try:
                self._platform = self._start_platform()
            except Exception as exc:
                self._start_error = exc
                raise
        return self._platform

    @abc.abstractmethod
    def _start_platform(self) -> Platform:
        """Bring up PostgreSQL, the artifact store and the MLflow server."""

    def new_database(self, password: str | None = None) -> Database:
        """A new database (and its owner, with `password` or a random one) on the platform's PostgreSQL."""
        raise SuiteError(f"the {self.name} target does not hand out databases")

    def database_query(self, database: Database, sql: str) -> list[tuple[Any, ...]]:
        """Rows of `sql` on a database new_database() made."""
        raise SuiteError(f"the {self.name} target does not hand out databases")

    def schema_revision(self, database: Database) -> str:
        """The MLflow schema revision (alembic) of a database new_database() made."""
        return str(self.database_query(database, SCHEMA_REVISION_SQL)[0][0])

    def mlflow_variant(self, overrides: dict[str, str], database: Database | None = None,
                       without: tuple[str, ...] = ()) -> VariantServer:
        """A second MLflow server from the chart rendered with `overrides` (@needs-local-processes), on the
        platform's database or `database`, its pod's init containers but those in `without` run first."""
        raise SuiteError(f"the {self.name} target does not start MLflow server variants")

    def legacy_mlflow(self, database: Database) -> VariantServer:
        """An MLflow 2.14 server (the seed's generation) on `database` (@needs-local-processes)."""
        raise SuiteError(f"the {self.name} target does not start MLflow {LEGACY_VERSION}")

    def production_deployment(self) -> ProductionStack:
        """Seed 003's deployment (two replicas behind a balancer with TLS) on stores of its own, started on
        first use and shared by later scenarios (@needs-local-processes)."""
        raise SuiteError(f"the {self.name} target does not run the production deployment as local processes")

    def mlops_api(self) -> Any:
        """The platform's MLOps API (url, spark_version, application_state), started on first use."""
        raise SuiteError(f"the {self.name} target does not run the MLOps API")

    def mlops_with_login(self, *users: str) -> Any:
        """An MLOps API replica before an MLflow server with its login on, and these users (@needs-local-processes)."""
        raise SuiteError(f"the {self.name} target does not start MLOps API replicas")

    def stop_mlops_with_login(self, login: Any) -> None:
        raise SuiteError(f"the {self.name} target does not start MLOps API replicas")

    def run_backup_job(self, job: BackupJob, database: Database | None = None, reachable: bool = True,
                       platform: OwnPlatform | None = None) -> str:
        """One run of the chart's backup Job against the platform (its database, `database` on the platform's
        PostgreSQL, or the whole of `platform`; with `reachable` False, as if the database server were gone);
        what it printed."""
        raise SuiteError(f"the {self.name} target does not run the backup Job's commands locally")

    def backup_store_client(self, job: BackupJob) -> Any:
        """An S3 client of the store `job` writes its backups to."""
        raise SuiteError(f"the {self.name} target does not reach the backup store")

    def backups(self, job: BackupJob) -> list[Backup]:
        """The backups `job` has written into its bucket, oldest first."""
        return backups_in(self.backup_store_client(job), job)

    def own_platform(self, values: dict[str, str]) -> OwnPlatform:
        """A PostgreSQL, an S3 store and the chart's MLflow pod (rendered with `values`) of the scenario's own."""
        raise SuiteError(f"the {self.name} target does not start platforms of a scenario's own")

    def restored_platform(self, job: BackupJob, backup_from: str, database: Database | None = None) -> OwnPlatform:
        """New, empty stores filled by the chart's restore Job from `job`'s backup `backup_from` ("latest" or a
        backup's name) of the platform's database (or of `database`), and the chart's MLflow pod on them."""
        raise SuiteError(f"the {self.name} target does not restore backups onto local processes")

    def stop_own_platform(self, platform: OwnPlatform) -> None:
        platform.stop()

    def stop_variant(self, variant: VariantServer) -> None:
        """Stop a variant server at the end of the scenario that started it."""
        variant.server.stop()

    def unmet_need(self, need: str) -> str | None:
        """Why this target cannot give a scenario what its @needs-<need> tag asks for, or None."""
        if need == "k8s" and self.name != "k8s":
            return "needs a Kubernetes cluster: run with -D target=k8s and KUBECONFIG pointing at one"
        if need == "gpu":
            if self.config.gpu == "simulated":
                return "-D gpu=simulated replaces GPUs with simulated ones: this row needs real GPUs"
            if shutil.which("nvidia-smi") is None:
                return ("needs a GPU: no nvidia-smi on this machine "
                        "(-D gpu=simulated exercises Spark's GPU scheduling without one, in its own scenarios)")
        if need == "local-processes" and self.name != "local":
            return ("runs the chart's MLflow pods as local processes (server variants, the two-replica production "
                    "deployment and the faults injected into it); on a cluster these are `helm test` of a release "
                    "with those values, pod deletion and scaling PostgreSQL to zero, which the k8s target does "
                    "not automate yet")
        if need == "mlops-api" and self.name != "local" and not self.config.mlops_image:
            return ("needs the MLOps API's image, which no public registry has: build services/mlops_api/Dockerfile, "
                    "push it where the cluster pulls from, and run with -D mlops_image=<repository>:<tag>")
        if need == "simulated-gpu" and self.config.gpu != "simulated":
            return "simulated GPU rows run only with -D gpu=simulated"
        return None

    @abc.abstractmethod
    def skip_reason(self, mode: str, version: str) -> str | None:
        """Why this target cannot run that matrix cell, or None."""

    @abc.abstractmethod
    def spark(self, mode: str, version: str) -> SparkSite:
        """Spark of `version` in `mode`, started on first use and shared by later scenarios."""

    @abc.abstractmethod
    def service_logs(self) -> dict[str, Path]:
        """Log files of what this target started, by service name."""

    @abc.abstractmethod
    def environment(self) -> dict[str, str]:
        """Versions and settings to show in the report."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop everything this target started. Safe to call more than once."""
