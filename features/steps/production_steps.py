"""Steps about MLflow servers started from the chart with production options."""

from behave import given, then, when

from harness import chart
from harness.mlflow.api import API, MlflowApi
from harness.world import unique_name
from support.reporting import attach_text


@given("an MLflow server started from the chart with {values}")
def step_variant(context, values):
    context.variant = context.target.mlflow_variant(chart.parse_overrides(values))
    context.add_cleanup(context.target.stop_variant, context.variant)
    attach_text("variant server arguments", " ".join(context.variant.server.server_args))


@when("a client makes a tracking call to that server")
def step_variant_call(context):
    MlflowApi(context.variant.url).create_experiment(unique_name("metrics"))


@then("that server's \"{path}\" page serves Prometheus metrics of its requests")
def step_metrics(context, path):
    page = MlflowApi(context.variant.url).page(path)
    attach_text("metrics", page[:5000])
    assert "# TYPE" in page and "http_request" in page, page[:500]


@then("a tracking call to that server without credentials is refused with status {status:d}")
def step_refused(context, status):
    refused = MlflowApi(context.variant.url).status_of("GET", f"{API}/experiments/search", params={"max_results": 10})
    assert refused == status, f"the server answered {refused}"


@then("the same call with the admin's credentials from the Secret succeeds")
def step_admin_accepted(context):
    assert context.variant.admin is not None
    experiments = MlflowApi(context.variant.url, auth=context.variant.admin).search_experiments()
    assert any(e["name"] == "Default" for e in experiments), experiments
