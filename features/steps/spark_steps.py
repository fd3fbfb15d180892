"""Steps about Spark jobs of each mode and version, and what their MLflow runs hold."""

from behave import given, then, when

from harness.spark import pod_view, training
from support.reporting import attach_job, attach_json, attach_text
from support.scenario import SPARK_CELL_STEP, world


@given(SPARK_CELL_STEP)
def step_spark_runs(context, version, mode):
    spark = world(context).spark
    spark.site = context.target.spark(mode, version)
    attach_text("Spark settings: chart -> this target", spark.site.settings_report())


@when("a LogisticRegression job with regParam {reg_param:g} runs on Spark")
def step_train(context, reg_param):
    spark = world(context).spark
    spark.job = training.train(spark.site, world(context).experiment_id, reg_param)
    attach_job(spark.job)


@when("a job whose executors each request a GPU runs on Spark")
def step_gpu_job(context):
    spark = world(context).spark
    spark.job = training.probe_gpus(spark.site, world(context).experiment_id)
    attach_job(spark.job)


@then("the job's MLflow run is FINISHED")
def step_job_run_finished(context):
    spark = world(context).spark
    current = world(context)
    current.run = training.run_of(current.api, spark.job)
    attach_json("run", current.run.__dict__)
    assert current.run.status == "FINISHED", f"run {current.run.run_id} is {current.run.status}"


@then("the run ran on Spark {version}")
def step_ran_on_version(context, version):
    run = world(context).run
    assert run.tags.get("spark.version") == version, f"the run says Spark {run.tags.get('spark.version')}"


@then('the run captured the LogisticRegression parameter "{key}" = "{value}"')
def step_estimator_param(context, key, value):
    run = world(context).run
    assert run.tags.get("estimator_name") == "LogisticRegression", run.tags
    assert run.params.get(key) == value, f"params: {run.params}"


@then('the run captured the parameter "{key}" = "{value}"')
def step_param(context, key, value):
    run = world(context).run
    assert run.params.get(key) == value, f"params: {run.params}"


@then('the run captured the metric "{key}"')
def step_metric(context, key):
    run = world(context).run
    assert key in run.metrics, f"metrics: {run.metrics}"


@then("the run's training AUC is above {low:g} and at most {high:g}")
def step_auc_range(context, low, high):
    auc = world(context).run.metrics.get("training_auc")
    assert auc is not None and low < auc <= high, f"training_auc is {auc}, expected in ({low}, {high}]"


@then('the run\'s model under "{path}" loads and predicts the training labels')
def step_model_predicts(context, path):
    spark = world(context).spark
    check = training.predict_training_labels(spark.site, world(context).run.run_id, path)
    attach_json("model loaded back", check.__dict__ | {"accuracy": check.accuracy})
    assert check.accuracy >= training.MODEL_ACCURACY_FLOOR, \
        f"{check.model_uri} predicts {check.accuracy:.0%} of the training labels"


@then("the run is tagged with the Spark version, master URL, mode and application id")
def step_spark_tags(context):
    spark = world(context).spark
    tags, job = world(context).run.tags, spark.job
    expected = {"spark.version": spark.site.version, "platform.mode": spark.site.mode,
                "spark.app_id": job.result["app_id"], "spark.master": spark.site.master_url}
    assert {key: tags.get(key) for key in expected} == expected, tags


@then("the cluster manager reports the job's application {state}")
def step_application_state(context, state):
    spark = world(context).spark
    reported = spark.site.application_state(spark.job.result["app_id"])
    assert reported == state, f"the cluster manager says {reported}"


@then("every task of the job was given a GPU and the run records each address")
def step_gpu_addresses(context):
    current = world(context)
    problems = training.gpu_record_problems(current.api, current.run, current.spark.job.result["assignments"])
    assert not problems, "\n".join(problems)


@then("every address the run records is a GPU that {source} reports")
def step_gpu_source(context, source):
    spark = world(context).spark
    discovery = spark.site.gpu_discovery()
    attach_json("GPU discovery script output", discovery)
    recorded = world(context).run.params.get("gpu.addresses", "").split(",")
    problems = training.gpu_address_problems([a for a in recorded if a], discovery, source)
    assert not problems, "\n".join(problems)


@given("an Iceberg table of training data in the platform's catalog")
def step_iceberg_table(context):
    spark = world(context).spark
    spark.snapshot = training.create_iceberg_table(spark.site)
    context.add_cleanup(training.drop_iceberg_table, spark.site, spark.snapshot.table)
    attach_json("Iceberg snapshot", spark.snapshot.__dict__)


@when("a LogisticRegression job with regParam {reg_param:g} trains on the table's current snapshot")
def step_train_on_snapshot(context, reg_param):
    spark = world(context).spark
    spark.job = training.train_on_snapshot(spark.site, world(context).experiment_id, spark.snapshot)
    attach_job(spark.job)


@when("rows are appended to the table after the run")
def step_append_rows(context):
    spark = world(context).spark
    spark.appended = training.append_to_iceberg_table(spark.site, spark.snapshot.table)
    attach_json("snapshot after the append", spark.appended.__dict__)


@then("the job read the snapshot through the reader its target's Spark is configured with")
def step_snapshot_reader(context):
    spark = world(context).spark
    expected, used = spark.site.iceberg_reader(), spark.job.result.get("reader")
    attach_text("Iceberg snapshot reader", f"expected on this target: {expected}\nthe job used: {used}")
    assert used == expected, f"the job says it read with {used}, the target's Spark offers {expected}"


@then("the run records the table name and the snapshot id as its training input")
def step_run_records_snapshot(context):
    current, spark = world(context), world(context).spark
    attach_json("run inputs", current.api.dataset_inputs(current.run.run_id))
    table = f"{spark.site.catalog().name}.{spark.snapshot.table}"
    problems = training.snapshot_input_problems(current.api, current.run, table, spark.snapshot)
    assert not problems, "\n".join(problems)


@then("the run still records the snapshot it trained on, not the one the append made")
def step_run_keeps_snapshot(context):
    spark = world(context).spark
    before, after, current = spark.snapshot, spark.appended, world(context)
    assert after.snapshot_id != before.snapshot_id and after.rows > before.rows, (before, after)
    run = current.api.get_run(current.run.run_id)
    assert run.tags.get("iceberg.snapshot_id") == str(before.snapshot_id), run.tags
    assert run.params.get("iceberg.rows") == str(before.rows), run.params


@when('the MLflow project "{project}" runs with alpha {alpha} and l1_ratio {l1_ratio}')
def step_mlflow_project(context, project, alpha, l1_ratio):
    spark = world(context).spark
    spark.job = training.run_mlflow_project(spark.site, world(context).experiment_id,
                                              {"alpha": alpha, "l1_ratio": l1_ratio})
    attach_job(spark.job)


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
    spark = world(context).spark
    spark.job = training.submit_with_a_secret_of_its_own(spark.site)
    attach_job(spark.job, errors_expected_because="the master refuses this driver: it proves a secret of its own")


@then("the master refuses the driver's authentication")
def step_refused(context):
    spark = world(context).spark
    problems = training.refusal_problems(spark.job)
    assert not problems, "; ".join(problems) + "\n" + spark.job.failure()


@then("the job never runs")
def step_never_ran(context):
    spark = world(context).spark
    assert spark.job.returncode != 0 and not spark.job.result, f"the job ran: {spark.job.result}"


@when("a job asks one of its executors what it sees of its pod")
def step_pod_view(context):
    spark = world(context).spark
    spark.worker_pod = pod_view.WorkerPod.rendered(spark.site.mode, spark.site.version)
    spark.pod_view, spark.job = pod_view.look_from_an_executor(spark.site, spark.worker_pod.probes)
    attach_json("what the executor saw of its pod", spark.pod_view.__dict__)


@when("a job asks one of its executors what answers at the platform's Service names")
def step_platform_view(context):
    spark = world(context).spark
    spark.platform_services = pod_view.PlatformServices.rendered(spark.site.mode, spark.site.version)
    probes = spark.platform_services.own_port_probes + spark.platform_services.other_port_probes
    spark.pod_view, spark.job = pod_view.look_from_an_executor(spark.site, probes)
    attach_json("what answered the executor", spark.pod_view.probes)


@then("the Service names of MLflow, PostgreSQL and MinIO lead to pods that answer on their own ports only")
def step_platform_services(context):
    spark = world(context).spark
    wrong = spark.platform_services.misdirected(spark.pod_view.probes)
    assert not wrong, "; ".join(wrong)


@then("the executor ran as the user and group of the worker pod's securityContext")
def step_pod_user(context):
    spark = world(context).spark
    seen, rendered = (spark.pod_view.uid, spark.pod_view.gid), (spark.worker_pod.uid, spark.worker_pod.gid)
    assert seen == rendered, f"the executor ran as uid/gid {seen}, the chart renders {rendered}"


@then("the executor could not see the file the driver wrote to its temporary folder")
def step_pod_tmp(context):
    view = world(context).spark.pod_view
    assert not view.driver_file_visible, f"the executor read the driver's file in its {view.tmp}"


@then("the executor could not write to its read-only root file system")
def step_pod_read_only(context):
    view = world(context).spark.pod_view
    assert view.root_write_error == "EROFS", f"making a folder in /var/tmp: {view.root_write_error or 'it worked'}"


@then("the executor's pod has a hostname and an address of its own")
def step_pod_identity(context):
    view = world(context).spark.pod_view
    assert view.hostname != view.driver_hostname, f"the executor and the driver both run on {view.hostname}"
    assert not view.address.startswith("127."), f"the executor's hostname {view.hostname} is {view.address}"


@then("the master's Service name leads to the master's pod, which answers on the master's port only")
def step_pod_service(context):
    spark = world(context).spark
    probes, worker = spark.pod_view.probes, spark.worker_pod
    assert probes[worker.master_port_probe] == pod_view.ANSWERED, probes
    # Refused here; a cluster's Service may drop a port it does not serve instead (a timeout).
    assert probes[worker.worker_port_on_master_probe] != pod_view.ANSWERED, probes


@then("the driver ran as the same user on a read-only root file system, in a pod of its own")
def step_pod_driver(context):
    spark = world(context).spark
    view, rendered = spark.pod_view, (spark.worker_pod.uid, spark.worker_pod.gid)
    assert view.driver_user == rendered, f"the driver ran as uid/gid {view.driver_user}, the chart renders {rendered}"
    made = view.driver_root_write_error or "it worked"
    assert view.driver_root_write_error == "EROFS", f"the driver making a folder in /var/tmp: {made}"
    assert view.driver_address not in pod_view.machine_addresses() | {view.address}, \
        f"the driver's pod {view.driver_hostname} has an address of this machine's or the executor's: {view.driver_address}"
