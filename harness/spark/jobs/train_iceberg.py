"""spark-submit job that trains on one pinned snapshot of the Iceberg table and records it as the run's input.

Where Spark has the Iceberg runtime (the chart's catalog is configured in the session), Spark SQL reads the
snapshot (`VERSION AS OF`); elsewhere pyiceberg scans exactly that snapshot and Spark trains on its rows.
Either way a later append to the table cannot change the rows this run trained on."""

import mlflow
import mlflow.data
import mlflow.pyspark.ml
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from iceberg_table import catalog
from jobcommon import Timeline, job_arguments, log_spark_model, report, spark_tags

timeline = Timeline()

args = job_arguments("--catalog-name", "--catalog-uri", "--warehouse", "--table", "--snapshot-id")
timeline.mark("imports")
spark = SparkSession.builder.appName(f"spec-{args.mode}-train").getOrCreate()
timeline.mark("SparkSession")
mlflow.pyspark.ml.autolog(log_models=False, log_datasets=False, silent=True)

table_name = f"{args.catalog_name}.{args.table}"
snapshot_id = int(args.snapshot_id)
if spark.conf.get(f"spark.sql.catalog.{args.catalog_name}", None):
    reader = "the Iceberg Spark runtime"
    frame = spark.sql(f"SELECT x1, x2, label FROM {table_name} VERSION AS OF {snapshot_id}")
else:
    reader = "pyiceberg"
    table = catalog(args.catalog_name, args.catalog_uri, args.warehouse).load_table(args.table)
    frame = spark.createDataFrame(table.scan(snapshot_id=snapshot_id).to_arrow().to_pandas())
rows = frame.count()
timeline.mark(f"read the snapshot ({reader})")
data = VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(frame)

with mlflow.start_run(experiment_id=args.experiment_id) as run:
    dataset = mlflow.data.from_spark(frame, table_name=table_name, name=f"{table_name}@{snapshot_id}")
    mlflow.log_input(dataset, context="training")
    model = LogisticRegression(regParam=args.reg_param, maxIter=20).fit(data)
    timeline.mark("log input, train")
    log_spark_model(model, spark.version)
    timeline.mark("log model")
    context = spark.sparkContext
    mlflow.set_tags({**spark_tags(spark.version, context.master, args.mode, context.applicationId),
                     "iceberg.table": table_name, "iceberg.snapshot_id": str(snapshot_id), "iceberg.reader": reader})
    mlflow.log_param("iceberg.rows", rows)

timeline.mark("tag, end run")
# Read while Spark runs: its version and application id come from the live context.
result = {"run_id": run.info.run_id, "spark_version": spark.version, "app_id": context.applicationId,
          "rows": rows, "reader": reader}
spark.stop()
timeline.mark("stop Spark")
report({**result, **timeline.as_result()})
