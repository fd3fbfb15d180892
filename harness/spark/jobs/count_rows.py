"""The smallest Spark application: it counts ten rows on the executors and reports the count."""

from pyspark.sql import SparkSession

from jobcommon import report

spark = SparkSession.builder.appName("spec-count-rows").getOrCreate()
report({"rows": spark.range(10).count()})
