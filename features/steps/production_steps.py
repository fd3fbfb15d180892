"""Steps about MLflow servers started from the chart with production options."""

import requests
from behave import given, then, when

from harness import chart
from harness.mlflow_api import MlflowApi
from harness.world import unique_name
from support import attach_text


@given("an MLflow server started from the chart with {values}")
def step_variant(context, values):
    context.variant = context.target.mlflow_variant(chart.parse_overrides(values))
    attach_text("variant server arguments", " ".join(context.variant.server.server_args))


@when("a client makes a tracking call to that server")
def step_variant_call(context):
    MlflowApi(context.variant.url).create_experiment(unique_name("metrics"))


@then("that server's \"{path}\" page serves Prometheus metrics of its requests")
def step_metrics(context, path):
    page = requests.get(context.variant.url + path, timeout=10)
    attach_text("metrics", page.text[:5000])
    assert page.status_code == 200, page.status_code
    assert "# TYPE" in page.text and "http_request" in page.text, page.text[:500]


@then("a tracking call to that server without credentials is refused with status {status:d}")
def step_refused(context, status):
    response = requests.get(f"{context.variant.url}/api/2.0/mlflow/experiments/search",
                            params={"max_results": 10}, timeout=10)
    assert response.status_code == status, f"{response.status_code}: {response.text[:200]}"


@then("the same call with the admin's credentials from the Secret succeeds")
def step_admin_accepted(context):
    assert context.variant.admin is not None
    experiments = MlflowApi(context.variant.url, auth=context.variant.admin).search_experiments()
    assert any(e["name"] == "Default" for e in experiments), experiments
