"""Steps about data written through one server and read through another: MLflow 2.14's data after the chart's
upgrade, a platform restored from a backup."""

from behave import given, then, when

from harness import chart
from harness.mlflow.api import MlflowApi
from harness.mlflow.legacy import LEGACY_VERSION, self_migration_lines
from harness.mlflow.samples import (model_download_differences, sample_model_differences, sample_run_differences,
                                    write_sample_model, write_sample_run)
from harness.targets.abilities import HandsOutDatabases, StartsMlflowServers
from support.reporting import attach_text
from support.scenario import able, started_server, world


def _legacy_data(context, version: str, with_model: bool) -> None:
    assert version == LEGACY_VERSION, f"the suite runs MLflow {LEGACY_VERSION} as the old generation"
    state, servers = world(context).carry_over, able(context, StartsMlflowServers)
    state.legacy_database = able(context, HandsOutDatabases).new_database()
    legacy = servers.legacy_mlflow(state.legacy_database)
    try:
        api = MlflowApi(legacy.url)
        state.sample_run = write_sample_run(api)
        if with_model:
            state.sample_model = write_sample_model(api, state.sample_run)
    finally:
        servers.stop_variant(legacy)


@given("an MLflow {version} server tracked a run with params, metrics, a tag and an artifact on a database of its own")
def step_legacy_run(context, version):
    _legacy_data(context, version, with_model=False)


@given("an MLflow {version} server tracked a run with params, metrics, a tag and an artifact, and a registered "
       "model with two versions of it, on a database of its own")
def step_legacy_run_and_model(context, version):
    _legacy_data(context, version, with_model=True)


def _start_on_legacy(context, without: tuple[str, ...] = ()) -> None:
    current = world(context)
    current.server.variant = started_server(context, {}, current.carry_over.legacy_database, without)
    current.carry_over.read_back_url = current.server.variant.url


@given("the chart's MLflow pod started on that database")
@when("the chart's MLflow pod starts on that database")
def step_pod_on_legacy(context):
    _start_on_legacy(context)


@when("an MLflow server with the chart's arguments starts on that database without the pod's {container} init "
      "container")
def step_server_without_init(context, container):
    _start_on_legacy(context, without=(container,))


@when("a run is written into that run's experiment through the new server")
def step_run_into_old_experiment(context):
    state = world(context).carry_over
    state.new_run = write_sample_run(MlflowApi(state.read_back_url), state.sample_run.run.experiment_id)


@then("that database's schema is at the revision of a database the chart's MLflow created")
def step_schema_revision(context):
    current = world(context).platform.schema_revision()
    upgraded = able(context, HandsOutDatabases).schema_revision(world(context).carry_over.legacy_database)
    attach_text("alembic revisions", f"platform: {current}\nupgraded: {upgraded}")
    assert upgraded == current, f"upgraded to {upgraded}, a new database is at {current}"


@then("the run reads back through the {which} server with the same params, metrics, tag and artifact")
def step_run_survived(context, which):
    state = world(context).carry_over
    differences = sample_run_differences(MlflowApi(state.read_back_url), state.sample_run)
    assert not differences, f"through the {which} server: " + "; ".join(differences)


@then("the registered model reads back through the {which} server with both versions unchanged")
def step_model_survived(context, which):
    state = world(context).carry_over
    differences = sample_model_differences(MlflowApi(state.read_back_url), state.sample_model)
    assert not differences, f"through the {which} server: " + "; ".join(differences)


@then("each version of the registered model downloads through the new server with the files it was made from")
def step_model_downloads(context):
    state = world(context).carry_over
    differences = model_download_differences(MlflowApi(state.read_back_url), state.sample_model)
    assert not differences, "; ".join(differences)


@then("that experiment lists both runs through the new server")
def step_both_runs(context):
    state = world(context).carry_over
    experiment = state.sample_run.run.experiment_id
    listed = {run.run_id for run in MlflowApi(state.read_back_url).search_runs([experiment])}
    expected = {state.sample_run.run.run_id, state.new_run.run.run_id}
    assert listed == expected, f"experiment {experiment} lists {listed}, expected {expected}"


@then("the server's log says it migrated the database itself")
def step_self_migration(context):
    log = world(context).server.variant.server.log_path
    lines = self_migration_lines(log)
    attach_text("the server's log on its database tables", "\n".join(lines) or "(nothing)")
    assert lines, f"no line of {log.name} says MLflow updated the database tables"


@then("the chart's MLflow pod migrates the schema in its migrate-database init container, under a lock, before "
      "any server starts")
def step_chart_migrates_first(context):
    problems = chart.migration_problems(chart.render_default())
    assert not problems, "; ".join(problems)
