from harness.spark.log_errors import errors_report, logged_errors, logged_errors_in

LOG = """26/12/02 19:33:38 INFO SparkContext: Running Spark version 4.1.1
26/12/02 19:33:39 ERROR Instrumentation: org.apache.hadoop.fs.UnsupportedFileSystemException: No FileSystem for scheme "mlflow-artifacts"
\tat org.apache.hadoop.fs.FileSystem.getFileSystemClass(FileSystem.java:3581)
26/12/02 19:33:40 WARN TaskSetManager: an ERROR in a warning's text is not an ERROR line
26/12/02 19:33:41 ERROR Executor: Exception in task 0.0 in stage 3.0 (TID 7)
"""


def test_each_error_line_is_found_once_without_its_stack_trace():
    lines = [error.line for error in logged_errors(LOG)]
    assert [line.split(" ERROR ")[1].split(":")[0] for line in lines] == ["Instrumentation", "Executor"]


def test_the_failed_hadoop_save_of_a_spark_model_is_explained_and_an_unknown_error_is_not():
    explained, unknown = logged_errors(LOG)
    assert "log_model" in explained.reason and "MLFLOW_DFS_TMP" in explained.reason
    assert unknown.reason is None
    assert "NOT EXPLAINED" in unknown.as_text() and "expected: " in explained.as_text()


def test_the_report_counts_what_it_cannot_explain(tmp_path):
    log = tmp_path / "job.log"
    log.write_text(LOG)
    report = errors_report(logged_errors_in(log))
    assert report.startswith("2 ERROR lines, 1 not explained")
    assert logged_errors_in(tmp_path / "missing.log") == []
