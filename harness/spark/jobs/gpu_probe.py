"""spark-submit job whose executors ask for a GPU; every task reports the GPU address it was given."""

import mlflow
from pyspark import TaskContext
from pyspark.sql import SparkSession

from jobcommon import Timeline, job_arguments, spark_tags, report

timeline = Timeline()

args = job_arguments("--tasks")
timeline.mark("imports")
spark = SparkSession.builder.appName(f"spec-{args.mode}-gpu").getOrCreate()
timeline.mark("SparkSession")
context = spark.sparkContext


def gpu_of_task(_):
    task = TaskContext.get()
    return task.partitionId(), list(task.resources()["gpu"].addresses)


with mlflow.start_run(experiment_id=args.experiment_id) as run:
    assignments = dict(context.parallelize(range(int(args.tasks)), int(args.tasks)).map(gpu_of_task).collect())
    timeline.mark("tasks on GPUs")
    addresses = sorted({address for given in assignments.values() for address in given})
    mlflow.log_dict({str(task): given for task, given in assignments.items()}, "gpu/task_addresses.json")
    mlflow.log_param("gpu.addresses", ",".join(addresses))
    mlflow.log_metric("gpu.tasks", len(assignments))
    mlflow.set_tags(spark_tags(spark.version, context.master, args.mode, context.applicationId))

timeline.mark("log, tag, end run")
# Read while Spark runs: its version and application id come from the live context.
result = {"run_id": run.info.run_id, "spark_version": spark.version, "app_id": context.applicationId,
          "assignments": assignments}
spark.stop()
timeline.mark("stop Spark")
report({**result, **timeline.as_result()})
