"""The local target: every service is a real process on loopback, in a private temporary folder."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import sys
import tempfile
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from harness import chart, progress
from harness.chart.local_containers import chart_pod
from harness.chart.render import pod_user
from harness.chart.storage import bucket_job_script, buckets_created
from harness.config import RunConfig
from harness.endpoints import Platform
from harness.errors import SuiteError
from harness.matrix import DEFAULT_CELL
from harness.mlflow.api import MlflowApi
from harness.mlflow.backup import BackupJob, OwnPlatform
from harness.mlflow.legacy import LEGACY_VERSION, legacy_server
from harness.mlflow.promises import uvicorn_workers
from harness.mlflow.server import MlflowServer
from harness.mlflow.variant import VariantServer, database_values, variant_from_chart
from harness.production.identity import IdentityProvider
from harness.production.sso import SsoDeployment, sso_values
from harness.production.stack import ProductionStack
from harness.production.users import create_users
from harness.spark.local import LocalSparkPool, local_gpu_kind
from harness.spark.site import SparkSite
from harness.stores.kept_data import KeptData
from harness.stores.postgres import Database, PostgresService
from harness.stores.s3 import S3Service
from harness.system import pods, sweeper, tools
from harness.system.pods import Pod, PodNetwork, isolation_unavailable
from harness.system.ports import LOOPBACK, claim_port
from harness.system.temp_dir import redirect_temp_dir
from harness.targets.abilities import (HandsOutDatabases, RunsBackupJobs, RunsMlopsApi, RunsProductionDeployment,
                                       RunsSingleSignOn, StartsMlflowServers, StartsMlopsReplicas)
from harness.targets.base import Target
from harness.targets.needs import Capabilities, gpu_capability
from harness.workflow.local_service import LocalMlopsService, LoginPlatform, mlops_from_chart


RELEASE_NAMESPACE = "spec"  # the namespace of the platform's pods, as the chart's release would have it
LOCAL_NEEDS = frozenset({"local-processes", "mlops-api"})  # and the GPU needs this machine and -D gpu give


class LocalTarget(Target, HandsOutDatabases, StartsMlflowServers, RunsProductionDeployment, RunsSingleSignOn,
                  RunsMlopsApi, StartsMlopsReplicas, RunsBackupJobs):
    name = "local"

    def __init__(self, config: RunConfig, kept_data: KeptData | None = None) -> None:
        self.config = config
        self.kept_data = kept_data
        for line in sweeper.sweep():
            progress.console.print(f"[yellow]swept a killed run's leftovers[/] {line}")
        self.workdir = Path(tempfile.mkdtemp(prefix=sweeper.RUN_PREFIX))
        os.chmod(self.workdir, 0o755)  # the postgres user must reach its data folder inside
        sweeper.claim(self.workdir)
        self._restore_temp_dir = redirect_temp_dir(self.workdir / "tmp")
        self.pods, self.isolation = self._pod_network()
        self._postgres: PostgresService | None = None
        self._s3: S3Service | None = None
        self._mlflow: MlflowServer | None = None
        self._mlflow_in_cluster = ""  # the platform's MLflow as the pods reach it
        self._database: Database | None = None
        self._buckets: list[str] = []
        self._spark: LocalSparkPool | None = None
        self._variants: list[VariantServer] = []
        self._own_platforms: list[OwnPlatform] = []
        self._backup_store: S3Service | None = None
        self._backup_store_buckets: list[str] = []
        self._stacks: dict[str, ProductionStack] = {}  # production deployments, by name: one of each per run
        self._stack_errors: dict[str, Exception] = {}  # why one could not start: later scenarios get the same
        self._mlops: list[LocalMlopsService] = []
        self._identity_provider: IdentityProvider | None = None

    def _pod_network(self) -> tuple[PodNetwork | None, str]:
        """The run's pod network and what the report says of isolation."""
        reason = "chosen with -D isolation=off" if self.config.isolation == "off" else isolation_unavailable()
        if reason is not None:
            progress.console.print(f"[yellow]pod isolation is off:[/] {reason}")
            return None, f"off: {reason}"
        repository = Path(__file__).resolve().parents[2]
        try:
            network = PodNetwork.create(self.workdir, (tools.CACHE_DIR, Path(sys.base_prefix), repository))
        except SuiteError as refused:
            pods.remove_recorded(self.workdir)
            progress.console.print(f"[yellow]pod isolation is off:[/] {refused.problem}")
            return None, f"off: {refused.problem}"
        return network, (f"on: every pod in a pod of its own on {network.subnet} (the platform's MLflow, PostgreSQL "
                         "and S3, Spark's masters and workers with their executors, the drivers, the Connect "
                         "servers, the MLOps API, the MLflow servers, platforms and production deployments "
                         "scenarios start)")

    @functools.cached_property
    def _default_chart(self) -> chart.Rendered:
        """The chart as the platform is installed, rendered once per run."""
        return chart.render_default()

    def _start_platform(self) -> Platform:
        mlflow_port = claim_port(self.config.mlflow_port, "the MLflow server")
        rendered = self._default_chart
        with progress.step("starting PostgreSQL"):
            self._postgres = PostgresService(self.workdir, self._pod_port(rendered, "postgresql"),
                                             self._platform_pod(rendered, "postgresql"))
            self._postgres.start()
            database = self._database = self._postgres.create_database("mlflow", "mlflow")
        buckets = self._buckets = buckets_created(bucket_job_script(rendered))
        with progress.step(f"starting the S3 server with the chart's buckets {', '.join(buckets)}"):
            self._s3 = S3Service(self.workdir, self._pod_port(rendered, "minio"), self._platform_pod(rendered, "minio"))
            self._s3.start()
            self._s3.create_buckets(buckets)
        if self.kept_data is not None and self.kept_data.saved:
            with progress.step(f"loading what {self.kept_data.folder} kept"):
                self.kept_data.load(database, self._s3.client())
        where = f"in its pod, forwarded to port {mlflow_port}" if self.pods else f"on port {mlflow_port}"
        with progress.step(f"starting the MLflow server {where}"):
            self._mlflow = variant_from_chart({}, database, self._s3.server_env(), self.workdir, port=mlflow_port,
                                              name="mlflow-server",
                                              pod_for=lambda its: self._platform_pod(its, "mlflow")).server
            self._mlflow.start()
        # Spark's drivers reach it as the k8s target's do: by its Service name, inside their pods.
        self._mlflow_in_cluster = self._mlflow.url
        if self._mlflow.pod:
            scheme = "https" if self._mlflow.serves_tls else "http"
            self._mlflow_in_cluster = (f"{scheme}://{rendered.service_of('mlflow')}:"
                                       f"{chart.mlflow_container_port(rendered)}{self._mlflow.static_prefix}")
        postgres, mlflow = self._postgres, self._mlflow
        return Platform(
            mlflow_url=mlflow.url,
            s3_endpoint=self._s3.endpoint,
            bucket=chart.artifact_bucket(rendered),
            s3_client=self._s3.client,
            backend_query=lambda sql, params: postgres.query(sql, params, database="mlflow"),
            server_args=mlflow.running_args,
            worker_processes=lambda: uvicorn_workers(mlflow.process_tree_cmdlines()),
        )

    def _platform_pod(self, rendered: chart.Rendered, component: str) -> Pod | None:
        """The pod of one of the chart's platform services (MLflow, PostgreSQL, MinIO), which every Spark
        version's pods reach by its Service name; None when the run has no pods."""
        return chart_pod(self.pods, rendered, component, RELEASE_NAMESPACE, shared=True) if self.pods else None

    def _pod_port(self, rendered: chart.Rendered, component: str) -> int | None:
        """The port a platform service listens on in its pod (its Service's); None without pods (a free one)."""
        return rendered.service_port(component) if self.pods else None

    def _release_pod(self, rendered: chart.Rendered) -> Pod | None:
        """A pod of its own for an MLflow server a scenario starts, as a release of its own would run it: its
        Service name leads to it in the release's namespace only (the suite reaches it through its
        port-forward); None when the run has no pods."""
        return chart_pod(self.pods, rendered, "mlflow", f"release-{secrets.token_hex(3)}") if self.pods else None

    def declare_capabilities(self) -> Capabilities:
        no_gpus = None if shutil.which("nvidia-smi") else "no nvidia-smi on this machine"
        gpu_met, gpu_lacking = gpu_capability(self.config.gpu, no_gpus)
        isolated = {"pod-isolation"} if self.pods is not None else set()
        return Capabilities(frozenset(LOCAL_NEEDS | gpu_met | isolated), {
            "k8s": "needs a Kubernetes cluster: the local target has none (run with -D target=k8s and KUBECONFIG "
                   "pointing at one)",
            "pod-isolation": f"needs the chart's pods isolated, and isolation is {self.isolation}", **gpu_lacking})

    def new_database(self, password: str | None = None) -> Database:
        self.platform()
        assert self._postgres is not None
        name = f"mlflow_{secrets.token_hex(4)}"
        return self._postgres.create_database(name, name, password)

    def database_query(self, database: Database, sql: str) -> list[tuple[Any, ...]]:
        assert self._postgres is not None
        return self._postgres.query(sql, (), database=database.name)

    def mlflow_variant(self, overrides: dict[str, str], database: Database | None = None,
                       without: tuple[str, ...] = ()) -> VariantServer:
        self.platform()
        assert self._database is not None and self._s3 is not None
        database = database or self._database
        skipped = f", without its {', '.join(without)} init container" if without else ""
        with progress.step(f"starting an MLflow server from the chart with {overrides or 'its defaults'}{skipped}"):
            values = {**overrides, **database_values(database)}
            variant = variant_from_chart(values, database, self._s3.server_env(), self.workdir, without=without,
                                         pod_for=self._release_pod)
            self._variants.append(variant)
            variant.server.start()
        return variant

    def legacy_mlflow(self, database: Database) -> VariantServer:
        platform = self.platform()
        assert self._s3 is not None
        pod = self._release_pod(self._default_chart)  # the seed's deployment ran as the chart's MLflow does
        variant = VariantServer(legacy_server(self.workdir, database, self._s3.server_env(), platform.bucket, pod),
                                None)
        self._variants.append(variant)
        with progress.step(f"starting MLflow {LEGACY_VERSION} on the database {database.name}"):
            variant.server.start()
        return variant

    def run_backup_job(self, job: BackupJob, database: Database | None = None, reachable: bool = True,
                       platform: OwnPlatform | None = None) -> str:
        if platform is not None:
            assert platform.database is not None
            database, storage_env = platform.database, platform.s3.server_env()
        else:
            self.platform()
            assert self._database is not None and self._s3 is not None
            database, storage_env = database or self._database, self._s3.server_env()
            missing = [bucket for bucket in job.buckets if bucket not in self._buckets]
            if missing:  # the chart's bucket Job, on an install with the backup on, makes them
                self._s3.create_buckets(missing)
                self._buckets = [*self._buckets, *missing]
        if not reachable:
            database = database.unreachable()
        with progress.step("running the chart's backup Job (pg_dump, pg_restore --list, upload) here"):
            run = f"backup-{secrets.token_hex(4)}"
            namespace = platform.folder.name if platform is not None else RELEASE_NAMESPACE
            in_pod = self.pods.pod(f"{namespace}-{run}", *pod_user(job.pod), namespace) if self.pods else None
            return job.run(database, {**storage_env, **self._backup_store_env(job)}, self.workdir / run, in_pod)

    def _backup_store_env(self, job: BackupJob) -> dict[str, str]:
        """Where `job`'s backups are, as its pods' BACKUP_S3_ENDPOINT_URL: the backup store of the run (started
        on first use, with the job's bucket, as its README asks of a store apart) or the platform's S3."""
        if not job.separate_store:
            self.platform()
            assert self._s3 is not None
            return {"BACKUP_S3_ENDPOINT_URL": self._s3.endpoint}
        if self._backup_store is None:
            # A store apart from the platform's, in a pod of its own that the Job's pods reach.
            rendered = self._default_chart
            store_pod = self.pods.pod("backup-store-0", *rendered.run_as("minio"), "backup-store") if self.pods \
                else None
            self._backup_store = S3Service(self.workdir / "backup-store", self._pod_port(rendered, "minio"),
                                           store_pod)
            with progress.step("starting the backup store (an S3 server apart from the artifacts')"):
                self._backup_store.start()
        if job.bucket not in self._backup_store_buckets:
            self._backup_store.create_buckets([job.bucket])
            self._backup_store_buckets.append(job.bucket)
        return {"BACKUP_S3_ENDPOINT_URL": self._backup_store.endpoint}

    def backup_store_client(self, job: BackupJob) -> Any:
        self._backup_store_env(job)
        store = self._backup_store if job.separate_store else self._s3
        assert store is not None
        return store.client()

    def own_platform(self, values: dict[str, str]) -> OwnPlatform:
        own = OwnPlatform(self.workdir, "own-platform", self.pods)
        self._own_platforms.append(own)  # owned before it starts: close() stops any part
        with progress.step("starting a platform of the scenario's own (PostgreSQL, S3, the chart's MLflow pod)"):
            own.start_stores("mlflow", "mlflow")
            own.s3.create_buckets([chart.artifact_bucket(chart.render_default(values))])
            own.start_mlflow(values)
        return own

    def restored_platform(self, job: BackupJob, backup_from: str, database: Database | None = None) -> OwnPlatform:
        if database is None:
            self.platform()
        original = database or self._database
        assert original is not None
        restored = OwnPlatform(self.workdir, "restored-platform", self.pods)
        self._own_platforms.append(restored)
        restored.restore(job, backup_from, self._backup_store_env(job), original.name, original.user)
        return restored

    def stop_own_platform(self, platform: OwnPlatform) -> None:
        platform.stop()
        if platform in self._own_platforms:
            self._own_platforms.remove(platform)

    def stop_variant(self, variant: VariantServer) -> None:
        variant.server.stop()
        if variant in self._variants:
            self._variants.remove(variant)

    def production_deployment(self) -> ProductionStack:
        return self._stack("production")

    def sso_deployment(self) -> SsoDeployment:
        if self._identity_provider is None:
            # Where the replicas' pods and the suite both reach it: the run's address on the bridge, with pods.
            self._identity_provider = IdentityProvider(self.pods.gateway if self.pods else LOOPBACK)
            # owned before it starts: close() stops it
            self._identity_provider.start()
        return SsoDeployment(self._identity_provider,
                             self._stack("production-sso", sso_values(self._identity_provider)))

    def _stack(self, name: str, extra_values: dict[str, str] | None = None) -> ProductionStack:
        if name in self._stack_errors:
            raise self._stack_errors[name]
        if name not in self._stacks:
            # Owned before it starts: close() stops whatever part of it started.
            stack = self._stacks[name] = ProductionStack(self.workdir, name, extra_values=extra_values,
                                                         pods=self.pods)
            try:
                stack.start()
            except Exception as exc:
                self._stack_errors[name] = exc
                raise
        return self._stacks[name]

    def mlops_api(self, port: int | None = None) -> LocalMlopsService:
        if not self._mlops:
            self.new_mlops_replica(port=port)
        return self._mlops[0]

    def new_mlops_replica(self, overrides: dict[str, str] | None = None, mlflow: MlflowServer | None = None,
                          port: int | None = None) -> LocalMlopsService:
        """One more replica of the chart's MLOps API (on the platform's Spark and database, and its MLflow
        unless `mlflow` is a scenario's own server: in a release with it then), started."""
        self.platform()
        site = self.spark(*DEFAULT_CELL)
        assert self._spark is not None and self._database is not None and self._mlflow is not None
        self._spark.pin(site.version)
        server = mlflow or self._mlflow
        release = server.pod.namespace if mlflow is not None and mlflow.pod is not None else None
        service = mlops_from_chart(site, self._database, server.url, self.workdir, overrides, port, self.pods,
                                   release)
        self._mlops.append(service)  # owned before it starts: close() stops it whatever happens
        with progress.step(f"starting the MLOps API on Spark {site.version}"):
            service.start()
        return service

    def mlops_with_login(self, *users: str) -> LoginPlatform:
        # A backend and an auth database of its own: the auth database keeps the first admin password it met,
        # and other scenarios' servers with auth on share the platform's.
        variant = self.mlflow_variant({"mlflow.auth.enabled": "true",
                                       "mlflow.auth.database": f"mlflow_auth_{secrets.token_hex(4)}"},
                                      self.new_database())
        assert variant.admin is not None
        admin_api = MlflowApi(variant.url, variant.admin)
        # Jobs of its own: a replica of the platform's API must not take these jobs to another MLflow.
        overrides = {"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": secrets.token_hex(8),
                     "mlops.database": f"mlops_{secrets.token_hex(4)}"}
        service = self.new_mlops_replica(overrides, mlflow=variant.server)
        return LoginPlatform(service, variant, admin_api, create_users(variant.url, admin_api, list(users)))

    def stop_mlops_with_login(self, login: LoginPlatform) -> None:
        login.service.close()
        if login.service in self._mlops:
            self._mlops.remove(login.service)
        self.stop_variant(login.mlflow)

    def spark(self, mode: str, version: str) -> SparkSite:
        platform = self.platform()
        if self._spark is None:
            assert self._s3 is not None and self._database is not None
            self._spark = LocalSparkPool(self.workdir, self._mlflow_in_cluster, self._s3.server_env(), self._database,
                                         local_gpu_kind(self.config.gpu), self.pods)
        return self._spark.site(mode, version)

    def service_logs(self) -> dict[str, Path]:
        shared = {path.stem: path for path in sorted((self.workdir / "logs").glob("*.log"))}
        # The production deployment's and each restore's services log under their own folder.
        own_stores = {f"{path.parent.parent.name}-{path.stem}": path for path in sorted(self.workdir.glob("*/logs/*.log"))}
        return shared | own_stores

    def environment(self) -> dict[str, str]:
        env: dict[str, Any] = {"target": self.name, "mlflow": package_version("mlflow"),
                               "python": sys.version.split()[0], "pod_isolation": self.isolation}
        if self._postgres:
            env["postgresql"] = self._postgres.version
        if self._mlflow and self._database:
            env["mlflow_server_args"] = " ".join(self._mlflow.server_args).replace(self._database.password, "***")
        if self._spark:
            env["spark_versions"] = ", ".join(self._spark.versions)
            env["gpu"] = self._spark.gpu_kind or "none"
        return {key: str(value) for key, value in env.items()}

    def _save_kept_data(self) -> None:
        """After MLflow stopped (nothing is being written), before its stores stop."""
        if self.kept_data is None or self._database is None or self._s3 is None:
            return
        try:
            with progress.step(f"saving MLflow's database and artifacts to {self.kept_data.folder}"):
                self.kept_data.save(self._database, self._s3.client(), self._buckets)
        except SuiteError as problem:
            progress.console.print(f"[red]the data was not saved: {problem}[/] (the previous save is kept)")

    def close(self) -> None:
        for service in self._mlops:
            service.close()
        self._mlops.clear()
        if self._spark is not None:
            self._spark.close()
            self._spark = None
        for stack in self._stacks.values():
            stack.stop()
        self._stacks.clear()
        for variant in self._variants:
            variant.server.stop()
        self._variants.clear()
        if self._identity_provider is not None:
            self._identity_provider.stop()
            self._identity_provider = None
        for own in self._own_platforms:
            own.stop()
        self._own_platforms.clear()
        if self._backup_store is not None:
            self._backup_store.stop()
            self._backup_store = None
        if self._mlflow is not None:
            self._mlflow.stop()
        self._save_kept_data()
        for service in (self._s3, self._postgres):
            if service is not None:
                service.stop()
        self._mlflow = self._s3 = self._postgres = None
        self._platform = None
        if self.pods is not None:
            self.pods.close()
        self._restore_temp_dir()
        shutil.rmtree(self.workdir, ignore_errors=True)
