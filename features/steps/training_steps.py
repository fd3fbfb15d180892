"""Steps of the training workflow: submit a script, follow the job, register, serve, look at the platform."""

from behave import given, then, when

from harness.errors import SuiteError
from harness.workflow import checks
from harness.workflow.status import platform_status
from harness.world import unique_name
from support.reporting import attach_json, attach_text
from support.scenario import world
from support.workflow import finished_run, predict_with, register_as, serve, submission, workflow, wrap_up


def _submit(context, script, requirements, version, timeout):
    context.refusal = None
    try:
        context.job = workflow(context).submit(submission(context, script, requirements, version, timeout))
    except SuiteError as refused:
        context.refusal = refused


@when('the data scientist submits "{script}" requiring "{requirements}" with a timeout of {timeout:d} seconds')
def step_submit(context, script, requirements, timeout):
    _submit(context, script, requirements, context.spark.version, timeout)
    assert context.refusal is None, f"the submission was refused: {context.refusal}"
    wrap_up(context, workflow(context).runner_of(context.job).follow(context.job))


@when('the data scientist submits "{script}" requiring "{requirements}" on Spark {version} with a timeout of {timeout:d} seconds')
def step_submit_to_version(context, script, requirements, version, timeout):
    _submit(context, script, requirements, version, timeout)


@then("the job went from SUBMITTED through RUNNING to {end}")
def step_timeline(context, end):
    states = context.job.states()
    assert states[0] == "SUBMITTED" and "RUNNING" in states and states[-1] == end, f"timeline: {states}"


@then("the job's run in MLflow ended {status}")
def step_run_status(context, status):
    run = world(context).api.get_run(context.job.run_id)
    assert run.status == status, f"run {run.run_id} is {run.status}"


@then("the run holds exactly the metrics, parameters and tags the script logs")
def step_run_holds_what_script_logged(context):
    run = world(context).current_run()
    problems = checks.seed_run_problems(run)
    assert not problems, "\n".join(problems)


@then("the run's test accuracy is above 0.5 and at most 1, and its train accuracy is at least its test accuracy")
def step_accuracies(context):
    metrics = world(context).current_run().metrics
    assert 0.5 < metrics["test_accuracy"] <= 1 and metrics["train_accuracy"] >= metrics["test_accuracy"], metrics


@then("the run carries the platform's tags: job id, Spark version and application id")
def step_platform_tags(context):
    tags, job = world(context).current_run().tags, context.job
    expected = {"platform.job_id": job.job_id, "spark.version": context.spark.version, "spark.app_id": job.app_id}
    assert job.app_id and {key: tags.get(key) for key in expected} == expected, tags


@then("the run's model has a signature and an input example, and its files are in the artifact bucket")
def step_model_logged(context):
    current = world(context)
    model = checks.logged_model(current.platform, current.current_run().run_id)
    attach_json("logged model", model.__dict__)
    assert model.has_signature and model.has_input_example, model
    assert model.bucket_keys, f"no key of the model {model.model_id} in the bucket"


@given("a job that holds every core of the workers")
def step_hold_cores(context):
    context.holder = workflow(context).submit(submission(context, "holds_the_cores.py", "", context.spark.version, 600),
                                              extra_env={"HOLD_UNTIL_FILE": str(context.scenario_dir / "release")})
    workflow(context).runner_of(context.holder).wait_for_state(context.holder, ("RUNNING",), 180)


@when('"{script}" requiring "{requirements}" is submitted while those cores are held')
def step_submit_while_held(context, script, requirements):
    context.job = workflow(context).submit(submission(context, script, requirements, context.spark.version, 600))
    workflow(context).runner_of(context.job).wait_for_state(context.job, ("WAITING", "RUNNING"), 180)


@then("the master keeps the new job WAITING")
def step_waiting(context):
    assert "WAITING" in context.job.states(), f"timeline: {context.job.states()}"


@when("the job that holds the cores ends")
def step_release(context):
    (context.scenario_dir / "release").touch()
    workflow(context).runner_of(context.holder).wait_for_state(context.holder, ("FINISHED",), 120)
    wrap_up(context, workflow(context).runner_of(context.job).follow(context.job))


@then("the waiting job runs and ends FINISHED")
def step_waiting_job_finishes(context):
    assert context.job.states()[-2:] == ["RUNNING", "FINISHED"], f"timeline: {context.job.states()}"


@then('the submission is refused with a message containing "{message}"')
def step_refused(context, message):
    assert context.refusal is not None, "the platform took the submission"
    attach_text("refusal", str(context.refusal))
    assert message in str(context.refusal), str(context.refusal)


@then("the experiment holds no run")
def step_no_run(context):
    current = world(context)
    assert current.api.search_runs([current.experiment_id]) == [], "a run was created for a refused submission"


@then('the job\'s log holds the traceback ending in "{line}"')
def step_traceback(context, line):
    log = context.job.log_tail(40)
    assert "Traceback (most recent call last)" in log and line in log, log


@then("the master no longer lists the job as active")
def step_not_active(context):
    app = workflow(context).runner_of(context.job).wait_until_inactive(context.job)
    attach_json("the master's last record of the job", app)


@given('two runs of "{script}" requiring "{requirements}" have FINISHED')
def step_two_runs(context, script, requirements):
    context.runs = [finished_run(context, script, requirements) for _ in range(2)]


@when("the model of each run is registered under a name unique to this scenario")
def step_register_each(context):
    context.model_name = unique_name("model")
    context.versions = [register_as(context, run_id, context.model_name) for run_id in context.runs]


@when('the alias "{alias}" is set on version 1 and then moved to version 2')
def step_move_alias(context, alias):
    for version in context.versions:
        world(context).api.set_model_alias(context.model_name, alias, version)


@then("the registered models include that name with versions 1 and 2")
def step_model_listed(context):
    names = [model["name"] for model in world(context).api.search_registered_models()]
    assert context.model_name in names and context.versions == ["1", "2"], (names, context.versions)


@then('the alias "{alias}" points at version 2, the model of the second run')
def step_alias_points(context, alias):
    version = world(context).api.model_version_by_alias(context.model_name, alias)
    assert (version["version"], version["run_id"]) == ("2", context.runs[1]), version


@then('"models:/<name>@champion" loads and predicts a label for every row')
def step_champion_predicts(context):
    prediction = predict_with(context, f"models:/{context.model_name}@champion")
    assert len(prediction.predictions) == len(prediction.rows["data"]), prediction
    assert set(prediction.predictions) <= {0, 1}, prediction.predictions


@given('a run of "{script}" requiring "{requirements}" has FINISHED and its model is the "{alias}"')
def step_champion(context, script, requirements, alias):
    context.model_name = unique_name("model")
    version = register_as(context, finished_run(context, script, requirements), context.model_name)
    world(context).api.set_model_alias(context.model_name, alias, version)


@when('the champion is served with "mlflow models serve" on a free port')
def step_serve(context):
    context.server = serve(context, f"models:/{context.model_name}@champion")


@then("the served model answers /invocations with the predictions the model gives in process")
def step_served_equals_in_process(context):
    in_process = predict_with(context, f"models:/{context.model_name}@champion")
    served = context.server.invoke(checks.dataframe_split(in_process.rows))
    attach_text("served answer", served.text[:2000])
    assert served.status_code == 200, f"{served.status_code}: {served.text[:300]}"
    assert served.json()["predictions"] == in_process.predictions, (served.json(), in_process.predictions)


@then("a malformed request gets a 4xx answer with MLflow's message")
def step_malformed(context):
    answer = context.server.invoke('{"dataframe_split": {"columns": ["f0"], "data": [[')
    attach_text("answer to a malformed request", answer.text[:2000])
    body = answer.json()
    assert 400 <= answer.status_code < 500, f"{answer.status_code}: {answer.text}"
    assert body.get("error_code") == "BAD_REQUEST" and "valid JSON" in body.get("message", ""), body


@when("the platform's status is gathered")
def step_gather_status(context):
    context.status = platform_status(world(context).api, context.spark)
    attach_json("platform status", context.status.__dict__)


@then("it reports MLflow reachable, that model and experiment counted, and free cores on live Spark workers")
def step_status_content(context):
    status = context.status
    assert status.mlflow_reachable and status.registered_models >= 1 and status.active_experiments >= 2, status
    assert status.spark_alive_workers >= 1 and status.spark_free_cores >= 1, status


@then("gathering it took less than {seconds:d} second")
def step_status_fast(context, seconds):
    assert context.status.seconds < seconds, f"gathering the status took {context.status.seconds:.2f}s"
