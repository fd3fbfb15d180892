"""A training script with a bug: it fails after MLflow has started its run."""

import mlflow

with mlflow.start_run():
    mlflow.log_param("stage", "before the bug")
    raise ValueError("the training data has no label column")
