"""What the seed's training run must hold, and how a logged or registered model is inspected and asked."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow

from harness.endpoints import Platform
from harness.mlflow.api import Run
from harness.mlflow.artifacts import bucket_keys
from harness.workflow.models import predict_in_process, rows_split, tracking_at

# What features/data/train_random_forest.py logs (the MLOps report's 8 metrics, 8 params and 5 tags).
SEED_METRICS = frozenset({"test_accuracy", "test_precision", "test_recall", "test_f1_score", "train_accuracy",
                          "training_time_seconds", "feature_importances_mean", "feature_importances_std"})
SEED_PARAMS = {"n_estimators": "150", "max_depth": "15", "min_samples_split": "5", "min_samples_leaf": "2",
               "random_state": "42", "n_features": "30", "n_samples": "2000", "test_size": "0.25"}
SEED_TAGS = {"dataset": "synthetic", "environment": "production", "framework": "scikit-learn",
             "model_type": "RandomForest", "task": "binary_classification"}
N_FEATURES = 30


def seed_run_problems(run: Run) -> list[str]:
    problems = []
    if set(run.metrics) != SEED_METRICS:
        problems.append(f"metrics {sorted(run.metrics)} are not exactly {sorted(SEED_METRICS)}")
    if run.params != SEED_PARAMS:
        problems.append(f"params {run.params} are not exactly {SEED_PARAMS}")
    missing = {key: value for key, value in SEED_TAGS.items() if run.tags.get(key) != value}
    if missing:
        problems.append(f"tags lack {missing}: {run.tags}")
    return problems


@dataclass(frozen=True)
class LoggedModel:
    model_uri: str
    model_id: str
    flavors: list[str]
    has_signature: bool
    has_input_example: bool
    bucket_keys: list[str]


def logged_model(platform: Platform, run_id: str, path: str = "model") -> LoggedModel:
    """The MLmodel of the model the run logged as `path`, as MLflow's client reads it (through the server), and
    the keys of its files in the artifact bucket. By its models:/<id> URI: the client takes runs:/<run>/<path> for
    a run artifact first, which the server answers 500 when streaming, and retries that for minutes."""
    with tracking_at(platform.mlflow_url):
        client = mlflow.MlflowClient()
        experiment = client.get_run(run_id).info.experiment_id
        found = client.search_logged_models([experiment], f"source_run_id = '{run_id}' AND name = '{path}'")
        if not found:
            raise AssertionError(f"run {run_id} logged no model named {path}")
        uri = f"models:/{found[0].model_id}"
        info = mlflow.models.get_model_info(uri)
    keys = [key for key in bucket_keys(platform.s3_client(), platform.bucket) if info.model_id and info.model_id in key]
    return LoggedModel(uri, str(info.model_id), sorted(info.flavors), info.signature is not None,
                       info.saved_input_example_info is not None, keys)


@dataclass(frozen=True)
class Prediction:
    model_uri: str
    rows: dict[str, Any]
    predictions: list[Any] = field(default_factory=list)


def sample_rows(count: int = 10, seed: int = 7) -> dict[str, Any]:
    """Rows shaped like the seed's training data (30 numeric features f0..f29), in pandas' split form."""
    generator = random.Random(seed)
    return rows_split([f"f{i}" for i in range(N_FEATURES)],
                      [[round(generator.gauss(0, 2), 4) for _ in range(N_FEATURES)] for _ in range(count)])


def predict(tracking_uri: str, model_uri: str, workdir: Path) -> Prediction:
    rows = sample_rows()
    job = predict_in_process(tracking_uri, model_uri, rows, workdir)
    if not job.succeeded:
        raise AssertionError(job.failure())
    return Prediction(model_uri, rows, list(job.result["predictions"]))


def dataframe_split(rows: dict[str, Any]) -> str:
    """The JSON body MLflow's scoring server takes for these rows."""
    return json.dumps({"dataframe_split": rows})
