"""The MLflow project's entry point: an elastic-net regression trained on the platform's Spark
(the master comes from SPARK_MASTER). MLflow has no Spark backend for projects: this program is what runs
on Spark."""

import argparse
import os

import mlflow
from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import LinearRegression
from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float, required=True)
parser.add_argument("--l1-ratio", type=float, required=True)
args = parser.parse_args()

spark = (SparkSession.builder.master(os.environ["SPARK_MASTER"]).appName("spec-mlflow-project")
         .config("spark.executor.memory", "512m").getOrCreate())
rows = [(float(i), float(i % 3), 2.0 * i + (i % 3) + 1.0) for i in range(40)]
frame = spark.createDataFrame(rows, ["x1", "x2", "y"])
data = VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(frame)

model = LinearRegression(labelCol="y", regParam=args.alpha, elasticNetParam=args.l1_ratio, maxIter=50).fit(data)
rmse = RegressionEvaluator(labelCol="y", metricName="rmse").evaluate(model.transform(data))
with mlflow.start_run():  # mlflow run has started the run and passes it through MLFLOW_RUN_ID
    mlflow.log_metric("rmse", rmse)
    mlflow.set_tags({"spark.version": spark.version, "spark.master": spark.sparkContext.master,
                     "spark.app_id": spark.sparkContext.applicationId})
spark.stop()
