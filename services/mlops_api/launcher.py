"""The driver of a training job: spark-submit runs it in the job's environment. It opens the Spark session the
job runs in, so the standalone master lists and schedules the job like any application, runs the user's
script as __main__ (MLflow finds the run the service created in MLFLOW_RUN_ID), and when the script asked for
a model name, registers the model it logged under that name, as the same user. It ends the run as the script
ended (unless the script ended it itself), so that the run tells any replica how the job ended, and tags the
registered version on the run for the service to report."""

import os
import runpy
import sys

import mlflow
from pyspark.sql import SparkSession

REGISTERED_TAG = "mlops.model_version"

script = sys.argv[1]
run_id = os.environ["MLFLOW_RUN_ID"]  # read now: MLflow takes it out of the environment when the run starts
client = mlflow.MlflowClient()


def end_run(status: str) -> None:
    if client.get_run(run_id).info.status == "RUNNING":
        client.set_terminated(run_id, status)


def register(model_name: str) -> None:
    model = mlflow.last_logged_model()
    if model is None:
        print(f"model_name {model_name!r} was given but the script logged no model: nothing registered")
        client.set_tag(run_id, REGISTERED_TAG, "none")
        return
    version = mlflow.register_model(f"models:/{model.model_id}", model_name)
    client.set_tag(run_id, REGISTERED_TAG, str(version.version))


spark = SparkSession.builder.getOrCreate()
try:
    sys.argv = [script, *sys.argv[2:]]
    try:
        runpy.run_path(script, run_name="__main__")
    except BaseException:
        end_run("FAILED")
        raise
    if os.environ.get("MLOPS_MODEL_NAME"):
        register(os.environ["MLOPS_MODEL_NAME"])
    end_run("FINISHED")
finally:
    spark.stop()
