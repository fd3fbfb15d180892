"""Steps of the training workflow: upload a script to the MLOps API, follow the job, find its run and model,
ask the model for predictions. Everything goes over HTTP to the platform."""

import dataclasses

from behave import given, then, when

from harness.names import unique_name
from harness.targets.abilities import RunsMlopsApi, StartsMlopsReplicas
from harness.waits import TRAINING_JOB_S
from harness.workflow import checks
from harness.workflow.api import overlap_of_slots, slot_order_problems
from harness.workflow.bad_uploads import bad_upload
from support.reporting import attach_json, attach_text
from support.scenario import able, world
from support.workflow import DATA, follow, start_training, submit, training, upload_of


@given("the platform's MLOps API is running")
def step_mlops_running(context):
    start_training(context, able(context, RunsMlopsApi).mlops_api())


@when('the data scientist uploads "{script}" requiring "{requirements}"')
@when('the data scientist uploads "{script}" requiring "{requirements}" with a timeout of {timeout:d} seconds')
def step_upload(context, script, requirements, timeout=TRAINING_JOB_S):
    state = training(context)
    state.job_id = submit(context, upload_of(context, script, requirements, timeout))
    follow(context, state.job_id, timeout)


@then('the upload is answered 202 with a job id and the status "queued"')
def step_upload_answer(context):
    answer = training(context).answer
    assert answer.status == 202 and answer.body == {"job_id": training(context).job_id, "status": "queued"}, answer


@then("the job went from queued through running to {end}")
def step_statuses(context, end):
    assert training(context).job().statuses() == ["queued", "running", end], training(context).job().history


@then("the job's run in MLflow ended {status}")
def step_run_status(context, status):
    world(context).run = world(context).api.get_run(training(context).job().run_id)
    assert world(context).run.status == status, f"run {world(context).run.run_id} is {world(context).run.status}"


@then("the run holds exactly the metrics, parameters and tags the script logs")
def step_run_holds_what_script_logged(context):
    problems = checks.seed_run_problems(world(context).run)
    assert not problems, "\n".join(problems)


@then("the run's test accuracy is above 0.5 and at most 1, and its train accuracy is at least its test accuracy")
def step_accuracies(context):
    metrics = world(context).run.metrics
    assert 0.5 < metrics["test_accuracy"] <= 1 and metrics["train_accuracy"] >= metrics["test_accuracy"], metrics


@then("the run carries the platform's tags: job id, Spark version and the application id the master ran")
def step_platform_tags(context):
    job, service = training(context).job(), training(context).service
    tags = world(context).run.tags
    expected = {"platform.job_id": job.job_id, "spark.version": service.spark_version, "spark.app_id": job.spark_app_id}
    assert job.spark_app_id and {key: tags.get(key) for key in expected} == expected, tags
    assert service.application_state(job.spark_app_id) == "FINISHED", service.application_state(job.spark_app_id)


@then("the run's model has a signature and an input example, and its files are in the artifact bucket")
def step_model_logged(context):
    model = checks.logged_model(world(context).platform, world(context).run.run_id)
    attach_json("logged model", model.__dict__)
    assert model.has_signature and model.has_input_example, model
    assert model.bucket_keys, f"no key of the model {model.model_id} in the bucket"


@then("the job registered the run's model as version 1 of the scenario's model name")
def step_registered(context):
    job = training(context).job()
    versions = world(context).api.model_versions(training(context).model_name)
    assert job.model_version == "1" and [(v["version"], v["run_id"]) for v in versions] == [("1", job.run_id)], \
        (job.model_version, versions)


@when('{count:d} uploads of "{script}" arrive together')
def step_uploads_together(context, count, script):
    job_ids = [submit(context, upload_of(context, script)) for _ in range(count)]
    training(context).job_id = job_ids[-1]
    for job_id in job_ids:
        follow(context, job_id)


@then("no more jobs held a slot at once than the platform's limit of {limit:d}")
def step_slot_limit(context, limit):
    state = training(context)
    jobs = [state.api.job(job_id) for job_id in state.job_ids]
    assert state.api.status().body["job_store"]["max_running_jobs"] == limit
    assert overlap_of_slots(jobs) <= limit, [job.history for job in jobs]


@then("the jobs took their slots in the order they were uploaded, those past the limit after an earlier job ended")
def step_slots_in_order(context):
    state = training(context)
    jobs = [state.api.job(job_id) for job_id in state.job_ids]
    problems = slot_order_problems(jobs, state.api.status().body["job_store"]["max_running_jobs"])
    assert not problems, "\n".join(problems)


@then("all {count:d} jobs completed")
def step_all_completed(context, count):
    jobs = [training(context).api.job(job_id) for job_id in training(context).job_ids]
    assert [job.status for job in jobs] == ["completed"] * count, [(job.status, job.reason) for job in jobs]


@given("a job that holds every core of the workers")
def step_hold_cores(context):
    state = training(context)
    state.holder_id = submit(context, upload_of(context, "holds_the_cores.py"))
    state.api.wait_until(state.holder_id, "running", lambda job: job.status == "running", 300)


@when('"{script}" is uploaded while those cores are held')
def step_upload_while_held(context, script):
    state = training(context)
    state.job_id = submit(context, upload_of(context, script))
    state.api.wait_until(state.job_id, "listed by the Spark master", lambda job: job.spark_app_id is not None, 300)


@then("the job is reported queued because the Spark master keeps its application WAITING")
def step_reported_waiting(context):
    job, service = training(context).job(), training(context).service
    assert job.status == "queued" and "WAITING" in job.reason, (job.status, job.reason)
    assert service.application_state(job.spark_app_id) == "WAITING", job.spark_app_id


@when("the job that holds the cores is released")
def step_release(context):
    world(context).api.set_tag(training(context).holder().run_id, "release", "now")


@then("the waiting job runs and completes")
def step_waiting_job_completes(context):
    job = follow(context, training(context).job_id)
    assert job.statuses()[-2:] == ["running", "completed"], job.history


@then('the job\'s reason names "{text}"')
def step_reason_names(context, text):
    assert text in training(context).job().reason, training(context).job().reason


@then('the job\'s logs hold the traceback ending in "{line}"')
def step_traceback(context, line):
    logs = training(context).job().logs
    assert "Traceback (most recent call last)" in logs and logs.rstrip().endswith(line), logs[-1500:]


@then("the Spark master no longer lists the job's application as active")
def step_not_active(context):
    job = training(context).job()
    assert training(context).service.application_state(job.spark_app_id) not in ("WAITING", "RUNNING", None), job


@then('the job ends failed because "{reason}"')
def step_failed_because(context, reason):
    job = training(context).job()
    assert (job.status, job.reason) == ("failed", reason), (job.status, job.reason)


@then('the job\'s logs hold "{text}"')
def step_logs_hold(context, text):
    assert text in training(context).job().logs, training(context).job().logs[-1500:]


@then("the experiment holds no run")
def step_no_run(context):
    assert not _experiment_runs(context), "a run exists"


def _experiment_runs(context):
    return world(context).api.search_runs([world(context).experiment_id])


@when("an upload arrives with {defect}")
def step_bad_upload(context, defect):
    state = training(context)
    state.jobs_before = len(state.api.jobs())
    state.answer = state.api.upload(bad_upload(defect, upload_of(context, "train_random_forest.py"), DATA))


@then('it is answered {status:d} with one line containing "{message}"')
def step_refused(context, status, message):
    answer = training(context).answer
    attach_text("answer", f"{answer.status} {answer.body}")
    assert answer.status == status and message in answer.error() and "\n" not in answer.error(), answer


@then("no job was added and the experiment holds no run")
def step_nothing_started(context):
    assert len(training(context).api.jobs()) == training(context).jobs_before, "a job was added"
    assert not _experiment_runs(context), "a run exists"


@when('the data scientist asks for the job "{job_id}"')
def step_ask_job(context, job_id):
    training(context).answer = training(context).api.job_answer(job_id)


@when("the MLOps API restarts while that job runs")
def step_restart(context):
    assert training(context).holder().status == "running"
    training(context).service.restart()


@then("that job completes and its run ended FINISHED")
def step_holder_completes(context):
    holder = follow(context, training(context).holder_id)
    assert holder.status == "completed", (holder.status, holder.reason)
    assert world(context).api.get_run(holder.run_id).status == "FINISHED"


@when("the MLOps API's pod is lost with that job's driver and the service starts again")
def step_lose_pod(context):
    assert training(context).holder().status == "running"
    training(context).service.lose_pod()
    training(context).service.start()


@then('that job ends failed because "{reason}"')
def step_holder_failed(context, reason):
    holder = follow(context, training(context).holder_id)
    assert (holder.status, holder.reason) == ("failed", reason), (holder.status, holder.reason)


@then("the Spark master no longer lists that job's application as active")
def step_holder_not_active(context):
    holder = training(context).holder()
    assert training(context).service.application_state(holder.spark_app_id) not in ("WAITING", "RUNNING", None)


@then("that job's run in MLflow ended FAILED")
def step_holder_run_failed(context):
    assert world(context).api.get_run(training(context).holder().run_id).status == "FAILED"


@when("the platform's status is asked of the MLOps API")
def step_status(context):
    training(context).answer = training(context).api.status()
    attach_json(f"platform status ({training(context).answer.seconds * 1000:.0f} ms)", training(context).answer.body)


@then("it reports MLflow, the Spark master and the job store reachable")
def step_status_reachable(context):
    body = training(context).answer.body
    assert [body[part]["reachable"] for part in ("mlflow", "spark", "job_store")] == [True] * 3, body


@then("its counts of registered models and active experiments are MLflow's own, and it counts free cores on live "
      "Spark workers")
def step_status_counts(context):
    body, api = training(context).answer.body, world(context).api
    assert (body["registered_models"], body["active_experiments"]) == (
        len(api.search_registered_models()), len(api.search_experiments())), body
    assert body["spark"]["alive_workers"] >= 1 and body["spark"]["free_cores"] >= 1, body


@given('two jobs of "{script}" requiring "{requirements}" completed')
def step_two_jobs(context, script, requirements):
    for _ in range(2):
        job = follow(context, submit(context, upload_of(context, script, requirements)))
        assert job.status == "completed", (job.status, job.reason)


@when('the alias "{alias}" is set on version 1 and then moved to version 2')
def step_move_alias(context, alias):
    for version in ("1", "2"):
        world(context).api.set_model_alias(training(context).model_name, alias, version)


@then('the MLOps API lists the scenario\'s model with versions 1 and 2 and "{alias}" on version 2')
def step_models_listed(context, alias):
    answer = training(context).api.models()
    listed = {model["name"]: model for model in answer.body["models"]}
    model = listed.get(training(context).model_name)
    attach_json("the scenario's model as the MLOps API lists it", model)
    assert model and [v["version"] for v in model["versions"]] == ["1", "2"] and model["aliases"] == {alias: "2"}


@then("version 2 is the model of the second job's run")
def step_version_2_run(context):
    model = {m["name"]: m for m in training(context).api.models().body["models"]}[training(context).model_name]
    second = training(context).api.job(training(context).job_ids[1])
    assert model["versions"][1]["run_id"] == second.run_id and second.model_version == "2", (model, second)


@given('a job of "{script}" requiring "{requirements}" completed and its model is the "{alias}"')
def step_champion(context, script, requirements, alias):
    job = follow(context, submit(context, upload_of(context, script, requirements)))
    assert job.status == "completed" and job.model_version, (job.status, job.reason)
    world(context).api.set_model_alias(training(context).model_name, alias, job.model_version)


@when("the champion is asked for predictions through the MLOps API")
def step_ask_champion(context):
    state = training(context)
    state.answer = state.api.predict(state.model_name, checks.dataframe_split(checks.sample_rows()), alias="champion")
    attach_text(f"predictions ({state.answer.seconds:.1f} s)", str(state.answer.body))


@then("the answer holds the predictions the model gives in process")
def step_predictions_equal(context):
    answer = training(context).answer
    in_process = checks.predict(world(context).platform.mlflow_url,
                                f"models:/{training(context).model_name}@champion", world(context).folder)
    attach_json("in-process predictions", in_process.__dict__)
    assert answer.status == 200, f"{answer.status}: {answer.body}"
    assert answer.body["predictions"] == in_process.predictions, (answer.body, in_process.predictions)


@then("a malformed request gets a 4xx answer with MLflow's message")
def step_malformed(context):
    answer = training(context).api.predict(training(context).model_name, '{"dataframe_split": {"columns": [',
                                           alias="champion")
    attach_text("answer to a malformed request", str(answer.body)[:2000])
    assert 400 <= answer.status < 500, f"{answer.status}: {answer.body}"
    assert answer.body.get("error_code") == "BAD_REQUEST" and "valid JSON" in answer.body.get("message", ""), answer


@given('the MLOps API of a platform whose MLflow asks for a login, with the user "{user}"')
def step_login_platform(context, user):
    replicas = able(context, StartsMlopsReplicas)
    login = replicas.mlops_with_login(user)
    context.add_cleanup(replicas.stop_mlops_with_login, login)
    start_training(context, login.service).login = login


@when("an upload arrives without a login")
def step_no_login(context):
    state = training(context)
    state.answer = state.api.upload(upload_of(context, "logs_one_metric.py"))


@when('"{user}" uploads "{script}" with her login')
def step_upload_as(context, user, script):
    state = training(context)
    state.api.session.auth = state.login.users[user]
    # An experiment of its own, which the job creates as that user (the scenario's was made by the suite).
    upload = dataclasses.replace(upload_of(context, script), experiment=unique_name(f"{user}-experiment"))
    state.job_id = submit(context, upload)
    follow(context, state.job_id)


@then('the job completes and "{user}" manages the experiment it created')
def step_user_manages(context, user):
    job, login = training(context).job(), training(context).login
    assert job.status == "completed", (job.status, job.reason)
    permission = login.admin_api.user_permission(login.users[user][0], "experiment", job.experiment_id)
    assert permission == "MANAGE", permission
