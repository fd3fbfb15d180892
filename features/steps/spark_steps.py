"""Steps about Spark jobs of each mode and version, and what their MLflow runs hold."""

from behave import given, then, when

from harness.spark import training
from support.reporting import attach_job, attach_json, attach_text
from support.scenario import SPARK_CELL_STEP, world


@given(SPARK_CELL_STEP)
def step_spark_runs(context, version, mode):
    context.spark = context.target.spark(mode, version)
    attach_text("Spark settings: chart -> this target", context.spark.settings_report())


@when("a LogisticRegression job with regParam {reg_param:g} runs on Spark")
def step_train(context, reg_param):
    context.job = training.train(context.spark, world(context).experiment_id, reg_param)
    attach_job(context.job)


@when("a job whose executors each request a GPU runs on Spark")
def step_gpu_job(context):
    context.job = training.probe_gpus(context.spark, world(context).experiment_id)
    attach_job(context.job)


@then("the job's MLflow run is FINISHED")
def step_job_run_finished(context):
    current = world(context)
    current.run = training.run_of(current.api, context.job)
    attach_json("run", current.run.__dict__)
    assert current.run.status == "FINISHED", f"run {current.run.run_id} is {current.run.status}"


@then("the run ran on Spark {version}")
def step_ran_on_version(context, version):
    run = world(context).current_run()
    assert run.tags.get("spark.version") == version, f"the run says Spark {run.tags.get('spark.version')}"


@then('the run captured the LogisticRegression parameter "{key}" = "{value}"')
def step_estimator_param(context, key, value):
    run = world(context).current_run()
    assert run.tags.get("estimator_name") == "LogisticRegression", run.tags
    assert run.params.get(key) == value, f"params: {run.params}"


@then('the run captured the parameter "{key}" = "{value}"')
def step_param(context, key, value):
    run = world(context).current_run()
    assert run.params.get(key) == value, f"params: {run.params}"


@then('the run captured the metric "{key}"')
def step_metric(context, key):
    run = world(context).current_run()
    assert key in run.metrics, f"metrics: {run.metrics}"


@then("the run's training AUC is above {low:g} and at most {high:g}")
def step_auc_range(context, low, high):
    auc = world(context).current_run().metrics.get("training_auc")
    assert auc is not None and low < auc <= high, f"training_auc is {auc}, expected in ({low}, {high}]"


@then('the run\'s model under "{path}" loads and predicts the training labels')
def step_model_predicts(context, path):
    check = training.predict_training_labels(context.spark, world(context).current_run().run_id, path)
    attach_json("model loaded back", check.__dict__ | {"accuracy": check.accuracy})
    assert check.accuracy >= training.MODEL_ACCURACY_FLOOR, \
        f"{check.model_uri} predicts {check.accuracy:.0%} of the training labels"


@then("the run is tagged with the Spark version, master URL, mode and application id")
def step_spark_tags(context):
    tags, job = world(context).current_run().tags, context.job
    expected = {"spark.version": context.spark.version, "platform.mode": context.spark.mode,
                "spark.app_id": job.result["app_id"], "spark.master": context.spark.master_url}
    assert {key: tags.get(key) for key in expected} == expected, tags


@then("the cluster manager reports the job's application {state}")
def step_application_state(context, state):
    reported = context.spark.application_state(context.job.result["app_id"])
    assert reported == state, f"the cluster manager says {reported}"


@then("every task of the job was given a GPU and the run records each address")
def step_gpu_addresses(context):
    assignments = context.job.result["assignments"]
    problems = training.gpu_assignment_problems(assignments)
    assert not problems, "\n".join(problems)
    run = world(context).current_run()
    addresses = sorted({given[0] for given in assignments.values()})
    assert run.params.get("gpu.addresses") == ",".join(addresses), run.params
    assert world(context).api.list_artifacts(run.run_id, "gpu") == ["gpu/task_addresses.json"]


@then("every address the run records is a GPU that {source} reports")
def step_gpu_source(context, source):
    discovery = context.spark.gpu_discovery()
    attach_json("GPU discovery script output", discovery)
    recorded = world(context).current_run().params.get("gpu.addresses", "").split(",")
    problems = training.gpu_address_problems([a for a in recorded if a], discovery, source)
    assert not problems, "\n".join(problems)


@given("an Iceberg table of training data in the platform's catalog")
def step_iceberg_table(context):
    context.snapshot = training.create_iceberg_table(context.spark)
    context.add_cleanup(training.drop_iceberg_table, context.spark, context.snapshot.table)
    attach_json("Iceberg snapshot", context.snapshot.__dict__)


@when("a LogisticRegression job with regParam {reg_param:g} trains on the table's current snapshot")
def step_train_on_snapshot(context, reg_param):
    context.job = training.train_on_snapshot(context.spark, world(context).experiment_id, context.snapshot)
    attach_job(context.job)


@when("rows are appended to the table after the run")
def step_append_rows(context):
    context.appended = training.append_to_iceberg_table(context.spark, context.snapshot.table)
    attach_json("snapshot after the append", context.appended.__dict__)


@then("the job read the snapshot through the reader its target's Spark is configured with")
def step_snapshot_reader(context):
    expected, used = context.spark.iceberg_reader(), context.job.result.get("reader")
    attach_text("Iceberg snapshot reader", f"expected on this target: {expected}\nthe job used: {used}")
    assert used == expected, f"the job says it read with {used}, the target's Spark offers {expected}"


@then("the run records the table name and the snapshot id as its training input")
def step_run_records_snapshot(context):
    current, snapshot = world(context), context.snapshot
    table = f"{context.spark.catalog().name}.{snapshot.table}"
    run = current.current_run()
    assert run.tags.get("iceberg.table") == table, run.tags
    assert run.tags.get("iceberg.snapshot_id") == str(snapshot.snapshot_id), run.tags
    datasets = current.api.dataset_inputs(run.run_id)
    attach_json("run inputs", datasets)
    assert [d["name"] for d in datasets] == [f"{table}@{snapshot.snapshot_id}"], datasets
    assert table in datasets[0]["source"], datasets[0]
    assert run.params.get("iceberg.rows") == str(snapshot.rows), run.params


@then("the run still records the snapshot it trained on, not the one the append made")
def step_run_keeps_snapshot(context):
    before, after, current = context.snapshot, context.appended, world(context)
    assert after.snapshot_id != before.snapshot_id and after.rows > before.rows, (before, after)
    run = current.api.get_run(current.current_run().run_id)
    assert run.tags.get("iceberg.snapshot_id") == str(before.snapshot_id), run.tags
    assert run.params.get("iceberg.rows") == str(before.rows), run.params


@when('the MLflow project "{project}" runs with alpha {alpha} and l1_ratio {l1_ratio}')
def step_mlflow_project(context, project, alpha, l1_ratio):
    context.job = training.run_mlflow_project(context.spark, world(context).experiment_id,
                                              {"alpha": alpha, "l1_ratio": l1_ratio})
    attach_job(context.job)


@then("the project's MLflow run is FINISHED")
def step_project_run_finished(context):
    current = world(context)
    runs = current.api.search_runs([current.experiment_id])
    assert len(runs) == 1, f"expected the project's one run, found {len(runs)}"
    current.run = runs[0]
    attach_json("run", current.run.__dict__)
    assert current.run.status == "FINISHED", current.run.status
    assert current.run.tags.get("mlflow.project.entryPoint") == "main", current.run.tags


@when("a driver that proves a secret of its own submits a job to the master")
def step_foreign_driver(context):
    context.job = training.submit_with_a_secret_of_its_own(context.spark)
    attach_job(context.job, errors_expected_because="the master refuses this driver: it proves a secret of its own")


@then("the master refuses the driver's authentication")
def step_refused(context):
    problems = training.refusal_problems(context.job)
    assert not problems, "; ".join(problems) + "\n" + context.job.failure()


@then("the job never runs")
def step_never_ran(context):
    assert context.job.returncode != 0 and not context.job.result, f"the job ran: {context.job.result}"
