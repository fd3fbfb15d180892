"""Spark Connect client job. mlflow.pyspark.ml.autolog needs a SparkContext, which Connect does not offer,
so parameters, the metric and the model (as a pyfunc of the fitted coefficients) are logged explicitly."""

from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from jobcommon import Timeline, job_arguments, spark_tags, training_rows, report
from logistic_pyfunc import LogisticScorer

timeline = Timeline()

args = job_arguments("--remote")
timeline.mark("imports")
spark = SparkSession.builder.remote(args.remote).appName(f"spec-{args.mode}-train").getOrCreate()
timeline.mark("Connect session")

rows = training_rows()
frame = spark.createDataFrame(rows, ["x1", "x2", "label"])
data = VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(frame)
estimator = LogisticRegression(regParam=args.reg_param, maxIter=20)

with mlflow.start_run(experiment_id=args.experiment_id) as run:
    mlflow.log_params({param.name: value for param, value in estimator.extractParamMap().items()})
    mlflow.set_tags({"estimator_name": "LogisticRegression",
                     "estimator_class": "pyspark.ml.classification.LogisticRegression"})
    model = estimator.fit(data)
    timeline.mark("log params, train")
    auc = BinaryClassificationEvaluator().evaluate(model.transform(data))
    mlflow.log_metric("training_auc", auc)
    timeline.mark("evaluate")
    scorer = LogisticScorer(model.coefficients.toArray().tolist(), model.intercept)
    example = pd.DataFrame({"features": [[x1, x2] for x1, x2, _ in rows[:5]]})
    mlflow.pyfunc.log_model(name="model", python_model=scorer, input_example=example,
                            signature=infer_signature(example, scorer.predict(None, example)),
                            code_paths=[str(Path(__file__).with_name("logistic_pyfunc.py"))])
    timeline.mark("log model")
    master, app_id = spark.conf.get("spark.master"), spark.conf.get("spark.app.id")
    mlflow.set_tags(spark_tags(spark.version, master, args.mode, app_id))

timeline.mark("tag, end run")
# Read while Spark runs: its version and application id come from the live context.
result = {"run_id": run.info.run_id, "spark_version": spark.version, "app_id": app_id, "auc": auc}
spark.stop()
timeline.mark("close the session")
report({**result, **timeline.as_result()})
