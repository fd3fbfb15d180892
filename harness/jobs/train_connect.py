"""Spark Connect client job. mlflow.pyspark.ml.autolog needs a SparkContext, which Connect does not offer,
so parameters, the metric and the model are logged explicitly."""

import mlflow
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from jobcommon import job_arguments, spark_tags, training_rows, report

args = job_arguments("--remote")
spark = SparkSession.builder.remote(args.remote).appName(f"spec-{args.mode}-train").getOrCreate()

frame = spark.createDataFrame(training_rows(), ["x1", "x2", "label"])
data = VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(frame)
estimator = LogisticRegression(regParam=args.reg_param, maxIter=20)

with mlflow.start_run(experiment_id=args.experiment_id) as run:
    mlflow.log_params({param.name: value for param, value in estimator.extractParamMap().items()})
    mlflow.set_tags({"estimator_name": "LogisticRegression",
                     "estimator_class": "pyspark.ml.classification.LogisticRegression"})
    model = estimator.fit(data)
    auc = BinaryClassificationEvaluator().evaluate(model.transform(data))
    mlflow.log_metric("training_auc", auc)
    mlflow.log_dict({"coefficients": model.coefficients.toArray().tolist(), "intercept": model.intercept},
                    "model/logistic_regression.json")
    master, app_id = spark.conf.get("spark.master"), spark.conf.get("spark.app.id")
    mlflow.set_tags(spark_tags(spark.version, master, args.mode, app_id))

report({"run_id": run.info.run_id, "spark_version": spark.version, "app_id": app_id, "auc": auc})
spark.stop()
