"""Steps about the MLflow tracking server: its health, UI, backend store and runs."""

from behave import given, step, then, when

from harness.mlflow import ui
from harness.mlflow.backend import stored_param
from harness.names import unique_name
from harness.progress import console
from support.reporting import REPORTS, attach_json, attach_png, attach_text
from support.scenario import world


@then('the MLflow health endpoint answers "{answer}"')
def step_health_answers(context, answer):
    current = world(context)
    assert current.remember_call("/health", current.api.health) == answer


@then("the MLflow web UI page is served on the server's port")
def step_ui_served(context):
    page = world(context).api.page("/")
    assert "<title>MLflow</title>" in page, f"not the MLflow UI page: {page[:200]}"


@given('a run in the scenario\'s experiment')
@when('a run is created in the scenario\'s experiment')
def step_new_run(context):
    run = world(context).remember_call("runs/create", lambda: world(context).new_run())
    assert run.status == "RUNNING", f"a new run should be RUNNING, got {run.status}"


def _log_param(current, key, value):
    run_id = current.run.run_id
    current.remember_call("runs/log-parameter", lambda: current.api.log_param(run_id, key, value))


@when('a run logs the parameter "{key}" with value "{value}"')
def step_run_logs_param(context, key, value):
    world(context).new_run()
    _log_param(world(context), key, value)


@step('that run logs the parameter "{key}" with value "{value}"')
def step_that_run_logs_param(context, key, value):
    _log_param(world(context), key, value)


@step('that run logs the metric "{key}" with value {value:g}')
def step_that_run_logs_metric(context, key, value):
    current = world(context)
    run_id = current.run.run_id
    current.remember_call("runs/log-metric", lambda: current.api.log_metric(run_id, key, value))


@when("that run is marked FINISHED")
def step_run_finished(context):
    current = world(context)
    run_id = current.run.run_id
    info = current.remember_call("runs/update", lambda: current.api.update_run(run_id, "FINISHED"))
    assert info["status"] == "FINISHED", f"update answered {info}"


@then('reading the run back gives the parameter "{key}" = "{value}"')
def step_run_has_param(context, key, value):
    current = world(context)
    run = current.remember_call("runs/get", lambda: current.api.get_run(current.run.run_id))
    attach_json("run as read back", run.__dict__)
    assert run.params.get(key) == value, f"params read back: {run.params}"


@then('reading the run back gives the metric "{key}" = {value:g}')
def step_run_has_metric(context, key, value):
    run = world(context).api.get_run(world(context).run.run_id)
    assert run.metrics.get(key) == value, f"metrics read back: {run.metrics}"


@then('reading the run back gives the status "{status}"')
def step_run_has_status(context, status):
    run = world(context).api.get_run(world(context).run.run_id)
    assert run.status == status, f"status read back: {run.status}"


@then('the backend database holds that run with the parameter "{key}" = "{value}"')
def step_backend_holds_param(context, key, value):
    current = world(context)
    rows = stored_param(current.platform.backend_query, current.run.run_id, key)
    attach_text("rows in PostgreSQL", repr(rows))
    assert rows == [(current.run.run_id, value)], f"PostgreSQL holds {rows}"


@given('an experiment with a name unique to this scenario')
def step_named_experiment(context):
    assert world(context).experiment_id


@then("the MLflow UI lists that experiment on its experiments page")
def step_ui_lists_experiment(context):
    shots = REPORTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    name = world(context).experiment_name
    check = ui.experiments_page(world(context).platform.mlflow_url, name, shots / f"{name}.png")
    attach_png("experiments page", check.screenshot)
    assert check.found, f"experiment {name} not shown; page title {check.title!r}, text: {check.visible_text[:500]}"


@then("searching experiments finds that experiment and the Default experiment")
def step_search_finds_experiment(context):
    current = world(context)
    found = current.remember_call("experiments/search", current.api.search_experiments)
    names = {experiment["name"] for experiment in found}
    assert {current.experiment_name, "Default"} <= names, f"search found {sorted(names)}"


@when("an experiment is created with a new name")
def step_create_experiment(context):
    current = world(context)

    def create() -> tuple[str, str]:
        name = unique_name("api-create")
        return name, current.api.create_experiment(name)

    current.tracking.created_experiment = current.remember_call("experiments/create", create)


@then("the new experiment can be fetched by its name")
def step_fetch_experiment(context):
    name, experiment_id = world(context).tracking.created_experiment
    fetched = world(context).api.get_experiment_by_name(name)
    assert fetched["experiment_id"] == experiment_id, f"fetched {fetched}"
    assert fetched["lifecycle_stage"] == "active", f"fetched {fetched}"


@given("a registered model with a name unique to this scenario")
def step_registered_model(context):
    world(context).tracking.registered_model = unique_name("model")
    world(context).api.create_registered_model(world(context).tracking.registered_model)


@then("searching registered models finds that model")
def step_search_models(context):
    current = world(context)
    found = current.remember_call("registered-models/search", current.api.search_registered_models)
    names = [model["name"] for model in found]
    assert current.tracking.registered_model in names, f"search found {names}"


@then('"{endpoint}" answers within {budget_ms:d} ms at the median of {calls:d} calls')
def step_latency(context, endpoint, budget_ms, calls):
    report = world(context).measure(endpoint, calls)
    console.print(f"  latency {report.as_text()}")
    attach_json("latency (ms)", report.__dict__)
    assert report.median_ms <= budget_ms, f"{report.as_text()}: over the budget of {budget_ms} ms"
