"""Steps about Spark jobs of each mode and version, and what their MLflow runs hold."""

from behave import given, then, when

from harness import training
from support import attach_job, attach_json, skip_with_reason, world


@given("Spark {version} runs in {mode} mode")
def step_spark_runs(context, version, mode):
    reason = context.target.skip_reason(mode, version)
    if reason:
        skip_with_reason(context, context.scenario, reason)
        return
    context.spark = context.target.spark(mode, version)


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


@then('the run holds the model under "{path}"')
def step_model_artifact(context, path):
    current = world(context)
    listed = current.api.list_artifacts(current.current_run().run_id, path)
    attach_json(f"artifacts under {path}", listed)
    assert listed, f"nothing logged under {path}"


@then("the run is tagged with the Spark version, master URL, mode and application id")
def step_spark_tags(context):
    tags, job = world(context).current_run().tags, context.job
    expected = {"spark.version": context.spark.version, "platform.mode": context.spark.mode,
                "spark.app_id": job.result["app_id"]}
    assert {key: tags.get(key) for key in expected} == expected, tags
    assert tags.get("spark.master") == context.spark.master_url, tags


@then("the Spark master reports the application FINISHED")
def step_master_reports_finished(context):
    state = context.spark.application_state(context.job.result["app_id"])
    assert state == "FINISHED", f"the master says {state}"


@then("every task of the job was given a GPU and the run records each address")
def step_gpu_addresses(context):
    assignments = context.job.result["assignments"]
    assert len(assignments) == 4 and all(len(given) == 1 for given in assignments.values()), assignments
    addresses = sorted({given[0] for given in assignments.values()})
    run = world(context).current_run()
    assert run.params.get("gpu.addresses") == ",".join(addresses), run.params
    assert world(context).api.list_artifacts(run.run_id, "gpu") == ["gpu/task_addresses.json"]


@then("the run records that the addresses came from nvidia-smi")
def step_gpu_real(context):
    assert world(context).current_run().tags.get("gpu.kind") == "nvidia"


@then("the run records that the addresses were simulated")
def step_gpu_simulated(context):
    assert world(context).current_run().tags.get("gpu.kind") == "simulated"


@given("an Iceberg table of training data in the platform's catalog and bucket")
def step_iceberg_table(context):
    context.snapshot = training.create_iceberg_table(context.spark)
    attach_json("Iceberg snapshot", context.snapshot.__dict__)


@when("a LogisticRegression job with regParam {reg_param:g} trains on the table's current snapshot")
def step_train_on_snapshot(context, reg_param):
    context.job = training.train_on_snapshot(context.spark, world(context).experiment_id, context.snapshot)
    attach_job(context.job)


@then("the run records the table name and the snapshot id as its training input")
def step_run_records_snapshot(context):
    current, snapshot = world(context), context.snapshot
    run = current.current_run()
    assert run.tags.get("iceberg.table") == f"lakehouse.{snapshot.table}", run.tags
    assert run.tags.get("iceberg.snapshot_id") == str(snapshot.snapshot_id), run.tags
    datasets = training.inputs_of(current.api, run.run_id)
    attach_json("run inputs", datasets)
    assert [d["name"] for d in datasets] == [f"lakehouse.{snapshot.table}@{snapshot.snapshot_id}"], datasets
    assert f"lakehouse.{snapshot.table}" in datasets[0]["source"], datasets[0]
    assert run.params.get("iceberg.rows") == str(snapshot.rows), run.params


@then("rows appended to the table later do not change what the run recorded")
def step_append_does_not_change_run(context):
    before, current = context.snapshot, world(context)
    after = training.append_to_iceberg_table(context.spark, before.table)
    attach_json("snapshot after the append", after.__dict__)
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
