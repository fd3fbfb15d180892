"""What a target can do beyond bringing the platform up, each a small protocol a target implements (the local
target all of them; the k8s target the MLOps API). A scenario that uses one carries the `@needs-*` tag that
NEED_ABILITIES maps to it, so a target without it skips the scenario before any step runs."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

from harness.endpoints import SCHEMA_REVISION_SQL
from harness.mlflow.backup import Backup, BackupJob, OwnPlatform, backups_in
from harness.mlflow.variant import VariantServer
from harness.production.sso import SsoDeployment
from harness.production.stack import ProductionStack
from harness.stores.postgres import Database


@runtime_checkable
class HandsOutDatabases(Protocol):
    def new_database(self, password: str | None = None) -> Database:
        """A new database (and its owner, with `password` or a random one) on the platform's PostgreSQL."""

    def database_query(self, database: Database, sql: str) -> list[tuple[Any, ...]]:
        """Rows of `sql` on a database new_database() made."""

    def schema_revision(self, database: Database) -> str:
        """The MLflow schema revision (alembic) of a database new_database() made."""
        return str(self.database_query(database, SCHEMA_REVISION_SQL)[0][0])


@runtime_checkable
class StartsMlflowServers(Protocol):
    def mlflow_variant(self, overrides: dict[str, str], database: Database | None = None,
                       without: tuple[str, ...] = ()) -> VariantServer:
        """A second MLflow server from the chart rendered with `overrides`, on the platform's database or
        `database`, its pod's init containers but those in `without` run first."""

    def legacy_mlflow(self, database: Database) -> VariantServer:
        """An MLflow 2.14 server (the seed's generation) on `database`."""

    def stop_variant(self, variant: VariantServer) -> None:
        """Stop a server at the end of the scenario that started it."""


@runtime_checkable
class RunsProductionDeployment(Protocol):
    def production_deployment(self) -> ProductionStack:
        """Seed 003's deployment (two replicas behind a balancer with TLS) on stores of its own, started on
        first use and shared by later scenarios."""


@runtime_checkable
class RunsSingleSignOn(Protocol):
    def sso_deployment(self) -> SsoDeployment:
        """The production deployment (two replicas behind the balancer, HTTPS end to end) in single sign-on mode
        behind an identity provider of the run's own, started on first use and shared by later scenarios (each
        makes users and experiments of its own)."""


@runtime_checkable
class RunsMlopsApi(Protocol):
    def mlops_api(self) -> Any:
        """The platform's MLOps API (url, spark_version, application_state), started on first use."""


@runtime_checkable
class StartsMlopsReplicas(Protocol):
    def mlops_with_login(self, *users: str) -> Any:
        """An MLOps API replica before an MLflow server with its login on, and these users."""

    def stop_mlops_with_login(self, login: Any) -> None:
        """Stop what mlops_with_login() started."""


@runtime_checkable
class RunsBackupJobs(Protocol):
    def run_backup_job(self, job: BackupJob, database: Database | None = None, reachable: bool = True,
                       platform: OwnPlatform | None = None) -> str:
        """One run of the chart's backup Job against the platform (its database, `database` on the platform's
        PostgreSQL, or the whole of `platform`; with `reachable` False, as if the database server were gone);
        what it printed."""

    def backup_store_client(self, job: BackupJob) -> Any:
        """An S3 client of the store `job` writes its backups to."""

    def backups(self, job: BackupJob) -> list[Backup]:
        """The backups `job` has written into its bucket, oldest first."""
        return backups_in(self.backup_store_client(job), job)

    def own_platform(self, values: dict[str, str]) -> OwnPlatform:
        """A PostgreSQL, an S3 store and the chart's MLflow pod (rendered with `values`) of the scenario's own."""

    def restored_platform(self, job: BackupJob, backup_from: str, database: Database | None = None) -> OwnPlatform:
        """New, empty stores filled by the chart's restore Job from `job`'s backup `backup_from` ("latest" or a
        backup's name) of the platform's database (or of `database`), and the chart's MLflow pod on them."""

    def stop_own_platform(self, platform: OwnPlatform) -> None:
        """Stop a platform own_platform() or restored_platform() started."""


# What a target that meets each need can be asked to do.
NEED_ABILITIES: dict[str, tuple[type, ...]] = {
    "local-processes": (HandsOutDatabases, StartsMlflowServers, RunsProductionDeployment, RunsSingleSignOn,
                        StartsMlopsReplicas, RunsBackupJobs),
    "mlops-api": (RunsMlopsApi,),
}

A = TypeVar("A")


def ability(target: object, wanted: type[A]) -> A:
    """`target` as one that can do what `wanted` offers; a clear REQUIRE failure when it cannot (a scenario that
    uses the ability without the tag that skips it elsewhere)."""
    if not isinstance(target, wanted):
        needs = [f"@needs-{need}" for need, abilities in NEED_ABILITIES.items() if wanted in abilities]
        raise AssertionError(f"REQUIRE: a target that {wanted.__name__}; the {getattr(target, 'name', target)} "
                             f"target does not: tag the scenario {' or '.join(needs) or 'with what it needs'}")
    return target
