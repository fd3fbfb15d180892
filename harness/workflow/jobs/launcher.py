"""The driver of a submitted training job (spark-submit runs it in the job's environment). It opens the Spark
session the job runs in, so the standalone master lists and schedules the job like any application, then runs
the user's script as __main__; MLflow finds the run the platform created in MLFLOW_RUN_ID."""

import runpy
import sys

from pyspark.sql import SparkSession

script = sys.argv[1]
spark = SparkSession.builder.getOrCreate()
try:
    sys.argv = [script, *sys.argv[2:]]
    runpy.run_path(script, run_name="__main__")
finally:
    spark.stop()
