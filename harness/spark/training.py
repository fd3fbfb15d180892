"""What each mode's scenario runs on Spark, and the MLflow evidence it must leave behind."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from harness.mlflow.api import MlflowApi, Run
from harness.spark.site import JobRun, SparkSite
from harness.waits import REFUSAL_WAIT_S

SPARK_TAGS = ("spark.version", "spark.master", "platform.mode", "spark.app_id")
GPU_PROBE_TASKS = 4
# The training rows are separable but regParam 0.1 blurs the two points nearest the line (measured: 58 of 60).
MODEL_ACCURACY_FLOOR = 0.9
GPU_SOURCES = {"nvidia-smi": "nvidia", "the simulated discovery script": "simulated"}


class JobFailed(AssertionError):
    """A Spark job exited badly or never reported its result; the message carries its log."""


def _checked(job: JobRun) -> JobRun:
    if not job.succeeded:
        raise JobFailed(job.failure())
    return job


def _common_args(site: SparkSite, experiment_id: str) -> list[str]:
    return ["--experiment-id", experiment_id, "--mode", site.mode]


def train(site: SparkSite, experiment_id: str, reg_param: float) -> JobRun:
    """A LogisticRegression job: spark-submit (autologged) in the submit modes, a Connect client otherwise."""
    args = [*_common_args(site, experiment_id), "--reg-param", str(reg_param)]
    if site.connect_url:
        return _checked(site.run_python("train_connect.py", [*args, "--remote", site.connect_url]))
    return _checked(site.submit("train_submit.py", args, {}))


@dataclass(frozen=True)
class ModelCheck:
    """A logged model loaded back through MLflow and asked for the training rows' labels."""

    model_uri: str
    flavors: list[str]
    predictions: list[float]
    labels: list[float]

    @property
    def accuracy(self) -> float:
        right = sum(1 for p, label in zip(self.predictions, self.labels) if float(p) == label)
        return right / len(self.labels) if self.labels else 0.0


def predict_training_labels(site: SparkSite, run_id: str, path: str) -> ModelCheck:
    """Load runs:/<run>/<path> with mlflow.pyfunc in the Spark runtime (a client with no storage keys) and
    predict the rows the job trained on."""
    job = _checked(site.run_python("predict_with_model.py", ["--model-uri", f"runs:/{run_id}/{path}"]))
    result = job.result
    return ModelCheck(result["model_uri"], list(result["flavors"]), list(result["predictions"]),
                      list(result["labels"]))


# What a driver logs when the master does not accept the secret it proves (it then retries 3 times, 20 s
# apart, and gives up with "All masters are unresponsive!": the scenario stops it at the first refusal).
AUTHENTICATION_REFUSED = "New auth protocol failed"


def submit_with_a_secret_of_its_own(site: SparkSite) -> JobRun:
    """The smallest application, from a driver that reaches the master but proves a secret other than the
    cluster's (everything else is the platform's settings), stopped once the master has refused it."""
    return site.submit("count_rows.py", [], {"spark.authenticate.secret": uuid.uuid4().hex}, REFUSAL_WAIT_S,
                       stop_when_logged=AUTHENTICATION_REFUSED)


def refusal_problems(job: JobRun) -> list[str]:
    """Why `job`'s log does not show the master refusing its driver (empty: it does)."""
    if AUTHENTICATION_REFUSED not in job.log_path.read_text(errors="replace"):
        return [f"the driver's log has no '{AUTHENTICATION_REFUSED}': {job.failure().split(';')[0]}"]
    return []


def probe_gpus(site: SparkSite, experiment_id: str) -> JobRun:
    """Tasks that each need a GPU, on executors that ask for them as the chart's gpu mode configures."""
    return _checked(site.submit("gpu_probe.py", [*_common_args(site, experiment_id),
                                                 "--tasks", str(GPU_PROBE_TASKS)], {}))


def gpu_assignment_problems(assignments: dict[str, list[str]]) -> list[str]:
    problems = []
    if len(assignments) != GPU_PROBE_TASKS:
        problems.append(f"{len(assignments)} tasks reported a GPU, expected {GPU_PROBE_TASKS}: {assignments}")
    problems += [f"task {task} was given {given}, expected exactly one GPU"
                 for task, given in assignments.items() if len(given) != 1]
    return problems


def gpu_record_problems(api: MlflowApi, run: Run, assignments: dict[str, list[str]]) -> list[str]:
    """Why the run does not record every GPU its tasks were given (empty when it does): one GPU per task, the
    addresses as the run's `gpu.addresses` param and their task-by-task file under `gpu/`."""
    problems = gpu_assignment_problems(assignments)
    addresses = ",".join(sorted({given[0] for given in assignments.values() if given}))
    if run.params.get("gpu.addresses") != addresses:
        problems.append(f"the run records gpu.addresses={run.params.get('gpu.addresses')!r}, the tasks got {addresses}")
    listed = api.list_artifacts(run.run_id, "gpu")
    if listed != ["gpu/task_addresses.json"]:
        problems.append(f"the run's gpu/ artifacts are {listed}")
    return problems


def snapshot_input_problems(api: MlflowApi, run: Run, table: str, snapshot: IcebergSnapshot) -> list[str]:
    """Why the run does not record `table` at `snapshot` as its training input (empty when it does): as tags,
    as its one dataset input (named table@snapshot, its source the table) and the rows it read."""
    problems = []
    expected_tags = {"iceberg.table": table, "iceberg.snapshot_id": str(snapshot.snapshot_id)}
    tags = {key: run.tags.get(key) for key in expected_tags}
    if tags != expected_tags:
        problems.append(f"the run is tagged {tags}, expected {expected_tags}")
    datasets = api.dataset_inputs(run.run_id)
    if [d["name"] for d in datasets] != [f"{table}@{snapshot.snapshot_id}"] or table not in datasets[0]["source"]:
        problems.append(f"the run's dataset inputs are {datasets}")
    if run.params.get("iceberg.rows") != str(snapshot.rows):
        problems.append(f"the run read {run.params.get('iceberg.rows')} rows, the snapshot holds {snapshot.rows}")
    return problems


def gpu_address_problems(recorded: list[str], discovery: dict[str, Any], source: str) -> list[str]:
    """Why the addresses a run recorded are not GPUs that `source` reported (empty when they are).
    `discovery` is the discovery script's own output; simulated addresses must say so."""
    kind = GPU_SOURCES.get(source)
    if kind is None:
        return [f"unknown GPU source {source!r}; known: {', '.join(GPU_SOURCES)}"]
    problems = []
    if discovery.get("name") != "gpu" or not isinstance(discovery.get("addresses"), list):
        problems.append(f"the discovery script's output is not Spark's resource JSON for 'gpu': {discovery}")
    offered = [str(address) for address in discovery.get("addresses", [])]
    problems += [f"address {a} was recorded but the discovery script reports {offered}" for a in recorded
                 if a not in offered]
    pattern = r"sim-\d+" if kind == "simulated" else r"\d+|GPU-[0-9a-f-]+"
    problems += [f"address {a} does not look like a GPU from {source} ({pattern})" for a in recorded
                 if not re.fullmatch(pattern, a)]
    if not recorded:
        problems.append("the run records no GPU address")
    return problems


@dataclass(frozen=True)
class IcebergSnapshot:
    table: str
    snapshot_id: int
    rows: int


def _table_command(site: SparkSite, action: str, table: str) -> IcebergSnapshot:
    job = _checked(site.run_python("iceberg_table.py", [action, *site.catalog().args(), "--table", table],
                                   storage_access=True))
    return IcebergSnapshot(job.result["table"], int(job.result["snapshot_id"]), int(job.result["rows"]))


def create_iceberg_table(site: SparkSite) -> IcebergSnapshot:
    return _table_command(site, "create", f"spec.training_{uuid.uuid4().hex[:8]}")


def append_to_iceberg_table(site: SparkSite, table: str) -> IcebergSnapshot:
    return _table_command(site, "append", table)


def drop_iceberg_table(site: SparkSite, table: str) -> None:
    """Drop the table and purge its files (the scenario's cleanup)."""
    _checked(site.run_python("iceberg_table.py", ["drop", *site.catalog().args(), "--table", table],
                             storage_access=True))


def train_on_snapshot(site: SparkSite, experiment_id: str, snapshot: IcebergSnapshot) -> JobRun:
    args = [*_common_args(site, experiment_id), *site.catalog().args(), "--table", snapshot.table,
            "--snapshot-id", str(snapshot.snapshot_id)]
    return _checked(site.submit("train_iceberg.py", args, {}, storage_access=True))


def run_mlflow_project(site: SparkSite, experiment_id: str, params: dict[str, str]) -> JobRun:
    """`mlflow run` of the project in harness/spark/jobs/mlflow_project, in the Spark runtime's environment."""
    args = ["run", f"{site.jobs_dir}/mlflow_project", "--env-manager", "local", "--experiment-id", experiment_id]
    for key, value in params.items():
        args += ["-P", f"{key}={value}"]
    job = site.run_python("mlflow", args, module=True)
    if job.returncode != 0:
        raise JobFailed(job.failure())
    return job


def run_of(api: MlflowApi, job: JobRun) -> Run:
    return api.get_run(job.result["run_id"])
