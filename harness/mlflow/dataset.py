"""A tracking data set of a realistic size for the backup and restore timings of `make bench` (seed 003's RTO
and RPO at scale): experiments, runs with params, tags and long metric histories written through MLflow's
REST API (log-batch), registered model versions, and artifact bytes written into the artifact bucket."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from harness.mlflow.api import API, MlflowApi
from harness.names import unique_name
from harness.stores.postgres import PostgresService

METRICS_PER_BATCH = 1000  # MLflow's log-batch limit
WRITERS = 4  # clients writing at once


@dataclass(frozen=True)
class DatasetSize:
    """How much to write; `scaled(1.0)` is the realistic size the issue names."""

    experiments: int
    runs: int
    metric_points: int
    model_versions: int
    artifact_bytes: int
    artifact_file_bytes: int = 10 * 1024 * 1024

    @classmethod
    def scaled(cls, scale: float) -> "DatasetSize":
        return cls(max(1, round(20 * scale)), max(1, round(2_000 * scale)), max(1, round(1_000_000 * scale)),
                   max(1, round(300 * scale)), max(1, round(1024 ** 3 * scale)))

    def as_text(self) -> str:
        return (f"{self.experiments} experiments, {self.runs:,} runs, {self.metric_points:,} metric points, "
                f"{self.model_versions} model versions, {self.artifact_bytes / 1024 ** 2:,.0f} MiB of artifacts")


def write_dataset(api: MlflowApi, s3: Any, bucket: str, size: DatasetSize) -> list[str]:
    """Write `size` through `api` (and the artifacts' bytes into `bucket` under each run's artifact path, as
    the artifact proxy would store them); the run ids."""
    experiments = [api.create_experiment(unique_name("dataset")) for _ in range(size.experiments)]
    points_per_run = max(1, size.metric_points // size.runs)

    def one_run(index: int) -> tuple[str, str]:
        experiment = experiments[index % len(experiments)]
        run = api.create_run(experiment, f"run-{index}", {"team": f"team-{index % 7}", "stage": "bench"})
        params = [{"key": key, "value": str(index * 0.001 + n)} for n, key in enumerate(("alpha", "depth", "lr"))]
        metrics = [{"key": f"loss-{point % 5}", "value": 1.0 / (point + 1), "timestamp": 1_700_000_000_000 + point,
                    "step": point} for point in range(points_per_run)]
        for start in range(0, len(metrics), METRICS_PER_BATCH):
            api.call("POST", f"{API}/runs/log-batch", json={
                "run_id": run.run_id, "metrics": metrics[start:start + METRICS_PER_BATCH],
                "params": params if start == 0 else []})
        api.update_run(run.run_id, "FINISHED")
        return experiment, run.run_id

    with ThreadPoolExecutor(WRITERS) as pool:
        runs = list(pool.map(one_run, range(size.runs)))
    files = max(1, size.artifact_bytes // size.artifact_file_bytes)
    block = os.urandom(size.artifact_file_bytes)  # random: a store that compresses gains nothing
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=bucket, Key=f"{runs[n % len(runs)][0]}/{runs[n % len(runs)][1]}"
                                                                    f"/artifacts/data/part-{n}.bin", Body=block),
                      range(files)))
    models = [unique_name("dataset-model") for _ in range(max(1, size.model_versions // 10))]
    for model in models:
        api.create_registered_model(model)
    for n in range(size.model_versions):
        experiment, run_id = runs[n % len(runs)]
        api.create_model_version(models[n % len(models)], f"mlflow-artifacts:/{experiment}/{run_id}/artifacts/data",
                                 run_id)
    return [run_id for _, run_id in runs]


COUNTED_TABLES = ("experiments", "runs", "params", "tags", "metrics", "registered_models", "model_versions")


def table_counts(postgres: PostgresService, database: str) -> dict[str, int]:
    """Rows of the MLflow tables a restore must bring back, counted in the database."""
    return {table: int(postgres.query(f"SELECT count(*) FROM {table}", (), database=database)[0][0])
            for table in COUNTED_TABLES}


def bucket_size(s3: Any, bucket: str) -> tuple[int, int]:
    """(objects, bytes) in `bucket`."""
    objects = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects, size = objects + 1, size + int(item["Size"])
    return objects, size
