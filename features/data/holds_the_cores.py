"""A job that keeps its Spark application (and so the workers' cores) until its MLflow run is tagged
"release", for at most ten minutes. It knows nothing of the platform but what MLflow tells every script."""

import os
import time

import mlflow

run_id = os.environ["MLFLOW_RUN_ID"]
client = mlflow.MlflowClient()
deadline = time.monotonic() + 600
while "release" not in client.get_run(run_id).data.tags and time.monotonic() < deadline:
    time.sleep(0.5)
