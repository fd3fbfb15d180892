"""The driver of a training job: spark-submit runs it in the job's environment. It opens the Spark session the
job runs in, so the standalone master lists and schedules the job like any application, runs the user's
script as __main__ (MLflow finds the run the service created in MLFLOW_RUN_ID), and when the script asked for
a model name, registers the model it logged under that name, as the same user. The version registered is
tagged on the run for the service to report."""

import os
import runpy
import sys

import mlflow
from pyspark.sql import SparkSession

REGISTERED_TAG = "mlops.model_version"

script = sys.argv[1]
run_id = os.environ["MLFLOW_RUN_ID"]  # read now: MLflow takes it out of the environment when the run starts
spark = SparkSession.builder.getOrCreate()
try:
    sys.argv = [script, *sys.argv[2:]]
    runpy.run_path(script, run_name="__main__")
    model_name = os.environ.get("MLOPS_MODEL_NAME", "")
    if model_name:
        model = mlflow.last_logged_model()
        client = mlflow.MlflowClient()
        if model is None:
            print(f"model_name {model_name!r} was given but the script logged no model: nothing registered")
            client.set_tag(run_id, REGISTERED_TAG, "none")
        else:
            version = mlflow.register_model(f"models:/{model.model_id}", model_name)
            client.set_tag(run_id, REGISTERED_TAG, str(version.version))
finally:
    spark.stop()
