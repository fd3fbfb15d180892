"""What one scenario knows, in one typed home: the platform's endpoints (started on first use), its own
experiment, the last run and the last call, and every value one step hands to a later one. A value read before
the step that sets it ran fails with what sets it ("REQUIRE: ..."), instead of an AttributeError."""

from __future__ import annotations

import datetime
import inspect
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import requests

from harness.chart import Rendered
from harness.endpoints import Platform
from harness.mlflow.api import MlflowApi, Run
from harness.mlflow.backup import Backup, BackupJob, OwnPlatform
from harness.mlflow.bad_requests import Answer
from harness.mlflow.promises import Promise
from harness.mlflow.samples import SampleModel, SampleRun
from harness.mlflow.variant import VariantServer
from harness.names import unique_name
from harness.production.clients import MetricClients
from harness.production.identity import SigningKey
from harness.production.sso import SsoDeployment
from harness.production.stack import ProductionStack
from harness.recovery import PlatformData
from harness.spark.pod_view import PodView, WorkerPod
from harness.spark.site import JobRun, SparkSite
from harness.spark.training import IcebergSnapshot
from harness.stores.postgres import Database
from harness.targets import Target
from harness.workflow import api as mlops
from harness.workflow.local_service import LoginPlatform

class Handoffs:
    """Values one step hands to later ones, each declared as an annotation of a subclass whose comment names the
    step that sets it. Reading one before any step set it fails with "REQUIRE: <that step>", as behave's own step
    modules say what they require, instead of an AttributeError."""

    def __getattr__(self, name: str) -> Any:  # only called when ordinary lookup found nothing
        declared = inspect.getattr_static(type(self), name, None)
        if isinstance(declared, property):  # an AttributeError raised inside it: let it show, not this lookup
            return declared.fget(self)  # type: ignore[misc]
        for cls in type(self).__mro__:
            if name in vars(cls).get("__annotations__", {}):
                raise AssertionError(f"REQUIRE: {_set_by(cls, name)} (no earlier step set {cls.__name__}.{name})")
        raise AttributeError(f"{type(self).__name__} has no {name}")


def _set_by(cls: type, name: str) -> str:
    """The step that sets `name`, as the comment of its declaration in `cls` says."""
    found = re.search(rf"^\s+{name}: [^#\n]+#\s*(.+)$", inspect.getsource(cls), re.MULTILINE)
    return found.group(1) if found else f"a step that sets {cls.__name__}.{name}"


@dataclass(frozen=True)
class LatencyReport:
    endpoint: str
    calls: int
    median_ms: float
    min_ms: float
    max_ms: float

    def as_text(self) -> str:
        return (f"{self.endpoint}: median {self.median_ms:.1f} ms over {self.calls} calls "
                f"(min {self.min_ms:.1f}, max {self.max_ms:.1f})")


class ChartState(Handoffs):
    lint: subprocess.CompletedProcess[str]  # 'When the chart is linted strictly ...'
    mode: str  # 'When the chart is rendered for Spark <version> in <mode> mode'
    rendered: Rendered  # a step that renders the chart
    render_error: str | None = None  # helm's message when it refused the values; None when it rendered them
    promises: list[Promise]  # 'When the running MLflow server is probed ...'


class TrackingState(Handoffs):
    """What a scenario made on the platform's MLflow besides its experiment and run."""

    created_experiment: tuple[str, str]  # 'When an experiment is created with a new name'
    registered_model: str  # 'Given a registered model with a name unique to this scenario'
    client_env: dict[str, str]  # 'Given a client that has no storage credentials'


class ServerState(Handoffs):
    """A second MLflow server of the scenario's own, and what was asked of it."""

    variant: VariantServer  # a Given that starts an MLflow server from the chart
    values: dict[str, str]  # 'Given an MLflow server started from the chart with <values>'
    database_password: str  # a Given that starts a server on a database with a known password
    origin_status: int  # 'When a browser page from <origin> creates an experiment ...'
    scrape: requests.Response  # 'When Prometheus scrapes <path> from that server ...'


class CarryOverState(Handoffs):
    """Data an older MLflow wrote, read back through a newer server."""

    legacy_database: Database  # a Given where an older MLflow server tracked a run on a database
    sample_run: SampleRun  # a Given where an older MLflow server tracked a run
    sample_model: SampleModel  # a Given where an older MLflow server registered a model
    new_run: SampleRun  # 'When a run is written into that run's experiment ...'
    read_back_url: str  # a step that starts the new server on that database
    revision_before: str  # 'When the chart is upgraded onto that database with backups on ...'


class ProductionState(Handoffs):
    """Seed 003's deployment and what was done to it."""

    deployment: ProductionStack  # 'Given the production deployment runs <n> MLflow replicas ...'
    clients: MetricClients  # a step that starts clients logging metrics

    # faults: when a replica was killed and taken out of the balancer; the servers before the database stopped
    killed_at: float  # a When that kills a replica
    marked_down_at: float  # 'When <replica> is killed with its whole process group while they log'
    pids_before: list[int]  # 'When PostgreSQL stops under the running replicas'
    metric_answer: Answer  # 'When the run logs one more metric through the balancer'

    # bad input, TLS and users
    run_before: Run  # 'Given a run holding the param ...'
    outcome: requests.Response | requests.RequestException  # a When where a client calls the Ingress or a replica
    sessions_before: int  # 'When <replica> is restarted with a certificate from a CA the deployment does not trust'
    store_connections_before: int  # 'When the admin logs an artifact through the Ingress'
    artifact_key: str  # the same step: where the artifact is in the bucket
    users: dict[str, tuple[str, str]]  # 'Given the users <a> and <b> created by the admin'
    user_experiment_id: str  # 'When <user> creates an experiment through the Ingress'
    run_user: str  # 'When <user> creates a run that names <name> as its user'


class SsoState(Handoffs):
    """The chart's MLflow behind the run's identity provider."""

    deployment: SsoDeployment  # 'Given the chart's MLflow runs in single sign-on mode ...'
    experiment_id: str  # '<email> creates an experiment with a token from the identity provider'
    old_key: SigningKey  # 'When the identity provider rotates its signing key'
    statuses: list[int]  # '<email> sends <n> tracking calls at once ...'
    taken_before: dict[str, int]  # the same step: requests each replica had taken before


class SparkState(Handoffs):
    site: SparkSite  # 'Given the platform runs Spark <version> in <mode> mode'
    job: JobRun  # a When that runs a job on Spark
    snapshot: IcebergSnapshot  # 'Given an Iceberg table of training data in the platform's catalog'
    appended: IcebergSnapshot  # 'When rows are appended to the table after the run'
    pod_view: PodView  # 'When a job asks one of its executors what it sees of its pod'
    worker_pod: WorkerPod  # the same step: what the chart renders for the worker's pod


class BackupState(Handoffs):
    """The chart's backup Job of the scenario, what it wrote, and the platforms lost and restored."""

    job: BackupJob  # a step that renders the chart's backup Job and runs it
    seconds: float  # a step that runs the backup Job

    # total loss: a platform of the scenario's own, what it held at the backup, when it was lost, its restore
    own_values: dict[str, str]  # 'Given a platform of its own ...'
    own: OwnPlatform  # 'Given a platform of its own ...'
    own_data: PlatformData  # 'Given it holds runs, artifacts, registered models ...'
    at_backup: dict[str, Any]  # 'When the chart's backup CronJob runs against it'
    late_run: Run  # 'When a run is logged after that backup'
    lost_at: datetime.datetime  # 'When its PostgreSQL and its object store are both destroyed'
    restored_from: Backup  # 'When the chart's restore Job brings the newest backup onto ...'
    restored: OwnPlatform  # 'When the chart's restore Job brings the newest backup onto ...'

    # the incremental artifact mirror
    folders_before: list[str]  # 'Given the chart's backup CronJob has written a backup'
    first_run: Run  # 'Given a run has logged an artifact'
    second_run: Run  # 'Given another run has logged an artifact'
    listing_before: dict[str, Any]  # 'When the CronJob runs again'
    mirror_before: dict[str, Any]  # 'When the CronJob runs again'

    # Jobs that must fail, the proxy, retention
    failure: str | None = None  # what a failed backup said; None when it did not fail
    damaged_folder: str  # 'When the chart's restore Job brings the newest backup onto ...'
    restore_failure: str | None = None  # what a refused restore said; None when it went through
    proxied: tuple[int, bytes]  # 'When a user asks MLflow's artifact proxy for ...'
    written: list[str]  # 'When it runs <n> times against the platform'


class TrainingState(Handoffs):
    """The training feature's MLOps API, the jobs a scenario uploaded and the service's last answer."""

    answer: mlops.Answer  # a step that calls the MLOps API
    job_id: str  # a step that uploads a job (the scenario's 'the job')
    holder_id: str  # 'Given a job that holds every core of the workers'
    login: LoginPlatform  # 'Given the MLOps API of a platform whose MLflow asks for a login ...'

    def __init__(self, api: mlops.MlopsApi, service: Any, model_name: str) -> None:
        self.api = api
        self.service = service  # the target's MLOps API: url, spark_version; restart(), lose_pod() locally
        self.model_name = model_name
        self.job_ids: list[str] = []  # every job the scenario uploaded, in order
        self.jobs_before = 0

    def job(self) -> mlops.Job:
        return self.api.job(self.job_id)

    def holder(self) -> mlops.Job:
        return self.api.job(self.holder_id)


class ScenarioWorld(Handoffs):
    """Created fresh for every scenario, so scenarios never see each other's experiments or runs."""

    training: TrainingState  # the Background step 'the platform's MLOps API is running'
    run: Run  # a step that creates or finds the scenario's run
    answer: Answer  # a When that makes a call and keeps its answer

    def __init__(self, target: Target, start_platform: Callable[[], Platform], scenario_name: str,
                 cells: list[tuple[str, str]]) -> None:
        self.target = target
        self.scenario_name = scenario_name
        self.cells = cells  # (mode, version) of the matrix rows its steps name, read once before it starts
        self._folder: Path | None = None
        self._start_platform = start_platform
        self._platform: Platform | None = None
        self._api: MlflowApi | None = None
        self._experiment_id: str | None = None
        self.experiment_name = ""
        self.calls: dict[str, Callable[[], Any]] = {}
        self.chart = ChartState()
        self.tracking = TrackingState()
        self.server = ServerState()
        self.carry_over = CarryOverState()
        self.production = ProductionState()
        self.sso = SsoState()
        self.spark = SparkState()
        self.backup = BackupState()

    @property
    def folder(self) -> Path:
        """The scenario's scratch folder inside the run's, made on first use and removed by close()."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="scenario-", dir=self.target.workdir))
        return self._folder

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def platform(self) -> Platform:
        """The run's shared platform, started (once per run) the first time any scenario asks."""
        if self._platform is None:
            self._platform = self._start_platform()
        return self._platform

    @property
    def api(self) -> MlflowApi:
        """The MLflow API the scenario's tracking calls go to: the platform's, or the one use_api() chose."""
        if self._api is None:
            self._api = MlflowApi(self.platform.mlflow_url)
        return self._api

    def use_api(self, api: MlflowApi) -> None:
        """Make the scenario's tracking calls (and its experiment) go to `api`, before it has an experiment."""
        assert self._experiment_id is None, "the scenario's experiment is already on another server"
        self._api = api

    @property
    def experiment_id(self) -> str:
        """The scenario's own experiment, created on first use."""
        if self._experiment_id is None:
            self.experiment_name = unique_name(self.scenario_name)
            self._experiment_id = self.api.create_experiment(self.experiment_name)
        return self._experiment_id

    @property
    def started(self) -> bool:
        """Whether the scenario has reached the platform (its last MLflow answer is then evidence)."""
        return self._api is not None

    def new_run(self) -> Run:
        self.run = self.api.create_run(self.experiment_id, unique_name("run"))
        return self.run

    def remember_call(self, endpoint: str, call: Callable[[], Any]) -> Any:
        """Make `call` to `endpoint` once and keep it, so a later step can repeat it to measure latency."""
        self.calls[endpoint] = call
        return call()

    def measure(self, endpoint: str, calls: int) -> LatencyReport:
        """Repeat the scenario's call to `endpoint` and report the latencies of that endpoint alone."""
        if endpoint not in self.calls:
            raise AssertionError(f"no call to {endpoint} in this scenario to measure; made: {sorted(self.calls)}")
        keys = [k for k in self.api.latencies_ms if k.endswith(endpoint)]
        if len(keys) != 1:
            raise AssertionError(f"expected the calls to reach {endpoint} once, timed endpoints: {keys}")
        key = keys[0]
        self.api.latencies_ms[key].clear()
        for _ in range(calls):
            self.calls[endpoint]()
        samples = self.api.latencies_ms[key]
        return LatencyReport(key, len(samples), statistics.median(samples), min(samples), max(samples))
