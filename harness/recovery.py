"""The data a disaster-recovery scenario puts on a platform before losing it: a run of each kind of thing
MLflow keeps, a registered model with an alias that a client loads and predicts with, and a user with her
experiment; and the checks of what came back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.mlflow.api import MlflowApi
from harness.mlflow.samples import write_sample_model, write_sample_run
from harness.production.users import user_with_experiment
from harness.workflow.models import log_registered_model, predict_in_process, rows_split

MODEL_NAME = "forecaster"
MODEL_ALIAS = "production"
MODEL_URI = f"models:/{MODEL_NAME}@{MODEL_ALIAS}"
ROWS = rows_split(["x1", "x2"], [[1.0, 0.0], [4.0, 2.0], [7.5, 1.0]])


@dataclass(frozen=True)
class PlatformData:
    user: tuple[str, str, str]  # login, password, the id of the experiment she created
    predictions: list[Any]  # what MODEL_URI predicts for ROWS


def fill(url: str, admin: tuple[str, str], user_name: str, workdir: Path) -> PlatformData:
    """Write the data: the sample run and a two-version model (alias on the second), a scikit-learn model
    logged by MLflow's own client and registered with MODEL_ALIAS, and `user_name` with an experiment."""
    api = MlflowApi(url, admin)
    sample = write_sample_run(api)
    model = write_sample_model(api, sample)
    api.set_model_alias(model.name, "candidate", "2")
    logged = log_registered_model(url, sample.run.experiment_id, MODEL_NAME, MODEL_ALIAS, workdir, admin)
    if not logged.succeeded:
        raise AssertionError(logged.failure())
    return PlatformData(user_with_experiment(url, admin, user_name), predictions(url, admin, workdir))


def predictions(url: str, login: tuple[str, str], workdir: Path) -> list[Any]:
    """MODEL_URI loaded through the server at `url` by MLflow's pyfunc in a fresh process, predicting ROWS."""
    job = predict_in_process(url, MODEL_URI, ROWS, workdir, login)
    if not job.succeeded:
        raise AssertionError(job.failure())
    return list(job.result["predictions"])
