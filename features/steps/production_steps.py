"""Steps about MLflow servers started from the chart with production options."""

from behave import given, then, when

from harness import chart
from harness.mlflow.api import API, MlflowApi
from harness.mlflow.promises import origin_status, probe_answer, scrape
from harness.names import unique_name
from support.reporting import attach_text
from support.scenario import world


@given("an MLflow server started from the chart with {values}")
def step_variant(context, values):
    context.variant_values = chart.parse_overrides(values)
    context.variant = context.target.mlflow_variant(context.variant_values)
    context.add_cleanup(context.target.stop_variant, context.variant)
    attach_text("variant server arguments", " ".join(context.variant.server.server_args))


@given('an MLflow server started from the chart on a database whose password is "{password}"')
def step_variant_with_password(context, password):
    context.variant = context.target.mlflow_variant({}, context.target.new_database(password))
    context.add_cleanup(context.target.stop_variant, context.variant)
    context.database_password = password


@when("a client makes a tracking call to that server")
def step_variant_call(context):
    MlflowApi(context.variant.url).create_experiment(unique_name("call"))


@then("that server's command line holds no password")
def step_no_password_in_argv(context):
    command = " ".join(context.variant.server.process_tree_cmdlines())
    attach_text("the server's processes", command.replace(context.database_password, "***"))
    assert context.database_password not in command, "the password is in the server's command line"


@when('a browser page from "{origin}" creates an experiment through that server')
def step_browser_post(context, origin):
    context.origin_status = origin_status(context.variant.url, origin)


@then("that server answers the page's request with status {status:d}")
def step_origin_answer(context, status):
    assert context.origin_status == status, f"the server answered {context.origin_status}"


@then('the same request from a page on "{origin}" is refused with status {status:d}')
def step_foreign_origin(context, origin, status):
    refused = origin_status(context.variant.url, origin)
    assert refused == status, f"the server answered {refused}"


@when('Prometheus scrapes "{path}" from that server addressed as "{host}"')
def step_scrape(context, path, host):
    context.scrape = scrape(context.variant.url, path, host)
    attach_text("scrape", f"{context.scrape.status_code}\n{context.scrape.text[:3000]}")


@then("the scrape gets Prometheus metric lines")
def step_scrape_lines(context):
    assert context.scrape.status_code == 200, f"{context.scrape.status_code}: {context.scrape.text[:200]}"
    assert "# TYPE" in context.scrape.text, context.scrape.text[:300]


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


@then('the platform\'s PostgreSQL holds the auth database "{name}"')
def step_auth_database(context, name):
    rows = world(context).platform.backend_query("SELECT datname FROM pg_database WHERE datname = %s", (name,))
    assert rows == [(name,)], f"databases named {name}: {rows}"


@then("that server answers the chart's readiness probe with OK")
def step_probe(context):
    probe = chart.readiness_probe(chart.render("standalone-submit", "4.1.1", context.variant_values))
    answer = probe_answer(context.variant.server.port, probe)
    attach_text("readiness probe", f"GET {probe['path']} -> {answer}")
    assert answer == (200, "OK"), f"GET {probe['path']} answered {answer}"


@then('a tracking call under "{prefix}" succeeds while the same call without it gets {status:d}')
def step_prefixed_call(context, prefix, status):
    path = f"{API}/experiments/search"
    base = f"http://127.0.0.1:{context.variant.server.port}"
    assert MlflowApi(base + prefix).status_of("GET", path, params={"max_results": 1}) == 200
    assert MlflowApi(base).status_of("GET", path, params={"max_results": 1}) == status
