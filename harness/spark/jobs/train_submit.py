"""spark-submit job: LogisticRegression under mlflow.pyspark.ml.autolog (parameters and metrics; the model is
logged with its requirements named, see jobcommon.log_spark_model), tagged with where it ran."""

import mlflow
import mlflow.pyspark.ml
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from jobcommon import Timeline, job_arguments, log_spark_model, spark_tags, training_rows, report

timeline = Timeline()

args = job_arguments()
timeline.mark("imports")
spark = SparkSession.builder.appName(f"spec-{args.mode}-train").getOrCreate()
timeline.mark("SparkSession")
mlflow.pyspark.ml.autolog(log_models=False, log_datasets=False, silent=True)

frame = spark.createDataFrame(training_rows(), ["x1", "x2", "label"])
data = VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(frame)

with mlflow.start_run(experiment_id=args.experiment_id) as run:
    model = LogisticRegression(regParam=args.reg_param, maxIter=20).fit(data)
    timeline.mark("train")
    log_spark_model(model, spark.version)
    timeline.mark("log model")
    auc = BinaryClassificationEvaluator().evaluate(model.transform(data))
    mlflow.log_metric("training_auc", auc)
    context = spark.sparkContext
    mlflow.set_tags(spark_tags(spark.version, context.master, args.mode, context.applicationId))

timeline.mark("evaluate, tag, end run")
# Read while Spark runs: its version and application id come from the live context.
result = {"run_id": run.info.run_id, "spark_version": spark.version, "app_id": context.applicationId, "auc": auc}
spark.stop()
timeline.mark("stop Spark")
report({**result, **timeline.as_result()})
