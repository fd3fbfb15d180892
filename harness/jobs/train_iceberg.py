"""spark-submit job that trains on one pinned snapshot of the Iceberg table and records it as the run's input.

Spark reads the snapshot through pyiceberg's scan of exactly that snapshot (no Iceberg Spark runtime is
needed), so a later append to the table cannot change the rows this run trained on."""

import mlflow
import mlflow.data
import mlflow.pyspark.ml
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession

from iceberg_table import catalog
from jobcommon import job_arguments, report, spark_tags

args = job_arguments("--catalog-uri", "--warehouse", "--table", "--snapshot-id")
spark = SparkSession.builder.appName(f"spec-{args.mode}-train").getOrCreate()
mlflow.pyspark.ml.autolog(log_models=True, log_datasets=False, silent=True)

table = catalog(args.catalog_uri, args.warehouse).load_table(args.table)
snapshot_id = int(args.snapshot_id)
rows = table.scan(snapshot_id=snapshot_id).to_arrow().to_pandas()
frame = spark.createDataFrame(rows)
data = VectorAssembler(inputCols=["x1", "x2"], outputCol="features").transform(frame)

with mlflow.start_run(experiment_id=args.experiment_id) as run:
    dataset = mlflow.data.from_spark(frame, table_name=f"lakehouse.{args.table}",
                                     name=f"lakehouse.{args.table}@{snapshot_id}")
    mlflow.log_input(dataset, context="training")
    model = LogisticRegression(regParam=args.reg_param, maxIter=20).fit(data)
    context = spark.sparkContext
    mlflow.set_tags({**spark_tags(spark.version, context.master, args.mode, context.applicationId),
                     "iceberg.table": f"lakehouse.{args.table}", "iceberg.snapshot_id": str(snapshot_id)})
    mlflow.log_param("iceberg.rows", len(rows))

report({"run_id": run.info.run_id, "spark_version": spark.version, "app_id": context.applicationId,
        "rows": len(rows)})
spark.stop()
