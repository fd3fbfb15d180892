"""A training script that never finishes on its own (bounded, so a broken platform cannot leave it forever)."""

import time

import mlflow

with mlflow.start_run():
    mlflow.log_param("stage", "training forever")
    time.sleep(900)
