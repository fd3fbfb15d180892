"""What each mode's scenario runs on Spark, and the MLflow evidence it must leave behind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from harness.jobs import JOBS_DIR
from harness.mlflow_api import MlflowApi, Run
from harness.spark_site import JobRun, SparkSite

SPARK_TAGS = ("spark.version", "spark.master", "platform.mode", "spark.app_id")


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


def probe_gpus(site: SparkSite, experiment_id: str) -> JobRun:
    """Executors that each ask for one GPU, tasks that each need one."""
    conf = {"spark.executor.resource.gpu.amount": "1", "spark.task.resource.gpu.amount": "1",
            "spark.executor.cores": "1"}
    return _checked(site.submit("gpu_probe.py", [*_common_args(site, experiment_id),
                                                 "--gpu-kind", str(site.gpu_kind)], conf))


@dataclass(frozen=True)
class IcebergSnapshot:
    table: str
    snapshot_id: int
    rows: int


def _table_command(site: SparkSite, action: str, table: str) -> IcebergSnapshot:
    uri, warehouse = site.catalog()
    job = _checked(site.run_python("iceberg_table.py", [action, "--catalog-uri", uri, "--warehouse", warehouse,
                                                        "--table", table], storage_access=True))
    return IcebergSnapshot(job.result["table"], int(job.result["snapshot_id"]), int(job.result["rows"]))


def create_iceberg_table(site: SparkSite) -> IcebergSnapshot:
    return _table_command(site, "create", f"spec.training_{uuid.uuid4().hex[:8]}")


def append_to_iceberg_table(site: SparkSite, table: str) -> IcebergSnapshot:
    return _table_command(site, "append", table)


def train_on_snapshot(site: SparkSite, experiment_id: str, snapshot: IcebergSnapshot) -> JobRun:
    uri, warehouse = site.catalog()
    args = [*_common_args(site, experiment_id), "--catalog-uri", uri, "--warehouse", warehouse,
            "--table", snapshot.table, "--snapshot-id", str(snapshot.snapshot_id)]
    return _checked(site.submit("train_iceberg.py", args, {}, storage_access=True))


def run_mlflow_project(site: SparkSite, experiment_id: str, params: dict[str, str]) -> JobRun:
    """`mlflow run` of the project in harness/jobs/mlflow_project, in the Spark runtime's environment."""
    args = ["run", str(JOBS_DIR / "mlflow_project"), "--env-manager", "local", "--experiment-id", experiment_id]
    for key, value in params.items():
        args += ["-P", f"{key}={value}"]
    job = site.run_python("mlflow", args, module=True)
    if job.returncode != 0:
        raise JobFailed(job.failure())
    return job


def run_of(api: MlflowApi, job: JobRun) -> Run:
    return api.get_run(job.result["run_id"])


def inputs_of(api: MlflowApi, run_id: str) -> list[dict[str, str]]:
    body = api.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id})
    return [entry["dataset"] for entry in body["run"].get("inputs", {}).get("dataset_inputs", [])]
