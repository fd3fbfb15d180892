"""A registered model as a client outside the platform loads it: MLflow's own pyfunc in a fresh process of
the suite's Python (MLflow and scikit-learn), with no storage keys."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import mlflow

from harness.mlflow.artifacts import OUTSIDE_CLIENT_ENV
from harness.spark.jobs import JOBS_DIR
from harness.spark.site import JobRun, run_logged
from harness.waits import MODEL_CLIENT_S

PREDICT = Path(__file__).resolve().parent / "jobs" / "predict.py"
LOG_MODEL = Path(__file__).resolve().parent / "jobs" / "log_model.py"


@contextmanager
def tracking_at(tracking_uri: str) -> Iterator[None]:
    """MLflow's fluent API pointed at `tracking_uri` for the duration of a `with` block, as a client outside the
    cluster (artifacts through the server)."""
    previous = mlflow.get_tracking_uri()
    before = {key: os.environ.get(key) for key in OUTSIDE_CLIENT_ENV}
    mlflow.set_tracking_uri(tracking_uri)
    os.environ.update(OUTSIDE_CLIENT_ENV)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def client_env(tracking_uri: str, login: tuple[str, str] | None = None) -> dict[str, str]:
    """A model client's environment: the tracking server (and a login for it), and no storage keys (artifacts
    come through it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MLFLOW_S3"))}
    env.update(MLFLOW_TRACKING_URI=tracking_uri, PYTHONPATH=str(JOBS_DIR), **OUTSIDE_CLIENT_ENV)
    if login is not None:
        env.update(MLFLOW_TRACKING_USERNAME=login[0], MLFLOW_TRACKING_PASSWORD=login[1])
    return env


def rows_split(columns: list[str], data: list[list[float]]) -> dict[str, Any]:
    """Rows in pandas' "split" orientation, the shape of MLflow's dataframe_split payload."""
    return {"columns": columns, "data": data}


def predict_in_process(tracking_uri: str, model_uri: str, rows: dict[str, Any], workdir: Path,
                       login: tuple[str, str] | None = None) -> JobRun:
    """Load `model_uri` with mlflow.pyfunc in a fresh process and predict `rows`."""
    rows_file = workdir / f"rows-{os.getpid()}-{abs(hash((model_uri, tracking_uri)))}.json"
    rows_file.write_text(json.dumps(rows))
    return run_logged(f"predict {model_uri}", [sys.executable, str(PREDICT), model_uri, str(rows_file)],
                      workdir / f"predict-{rows_file.stem}.log", client_env(tracking_uri, login), MODEL_CLIENT_S)


def log_registered_model(tracking_uri: str, experiment_id: str, name: str, alias: str, workdir: Path,
                         login: tuple[str, str] | None = None) -> JobRun:
    """A scikit-learn model logged in a fresh process, registered as `name` with `alias` on its version."""
    return run_logged(f"log model {name}", [sys.executable, str(LOG_MODEL), experiment_id, name, alias],
                      workdir / f"log-model-{name}.log", client_env(tracking_uri, login), MODEL_CLIENT_S)
