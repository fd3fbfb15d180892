"""Fits a small scikit-learn regression and logs it through the tracking server of MLFLOW_TRACKING_URI into an
experiment, registers it under a name and points an alias at that version: a model a client loads and predicts
with. Arguments: experiment id, registered model name, alias."""

import sys

import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

from jobcommon import report

experiment_id, name, alias = sys.argv[1:4]
features = [[float(i), float(i % 3)] for i in range(20)]
model = LinearRegression().fit(features, [2.0 * x1 - x2 + 0.5 for x1, x2 in features])
with mlflow.start_run(experiment_id=experiment_id) as run:
    # Requirements named: left to infer them, MLflow reloads the model in a second process.
    logged = mlflow.sklearn.log_model(model, name="model", registered_model_name=name,
                                      pip_requirements=["scikit-learn"])
MlflowClient().set_registered_model_alias(name, alias, str(logged.registered_model_version))
report({"run_id": run.info.run_id, "version": str(logged.registered_model_version)})
