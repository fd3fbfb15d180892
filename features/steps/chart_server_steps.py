"""Steps about MLflow servers started from the chart with production options."""

from behave import given, then, when

from harness import chart
from harness.mlflow.api import MlflowApi
from harness.mlflow.promises import origin_status, probe_answer, scrape
from harness.names import unique_name
from harness.targets.abilities import HandsOutDatabases
from support.reporting import attach_text
from support.scenario import able, started_server, world


@given("an MLflow server started from the chart with {values}")
def step_variant(context, values):
    server = world(context).server
    server.values = chart.parse_overrides(values)
    server.variant = started_server(context, server.values)
    attach_text("variant server arguments", " ".join(server.variant.server.server_args))


@given('an MLflow server started from the chart on a database whose password is "{password}"')
def step_variant_with_password(context, password):
    server = world(context).server
    server.variant = started_server(context, {}, able(context, HandsOutDatabases).new_database(password))
    server.database_password = password


@when("a client makes a tracking call to that server")
def step_variant_call(context):
    MlflowApi(world(context).server.variant.url).create_experiment(unique_name("call"))


@then("that server's command line holds no password")
def step_no_password_in_argv(context):
    server = world(context).server
    command = " ".join(server.variant.server.process_tree_cmdlines())
    attach_text("the server's processes", command.replace(server.database_password, "***"))
    assert server.database_password not in command, "the password is in the server's command line"


@when('a browser page from "{origin}" creates an experiment through that server')
def step_browser_post(context, origin):
    server = world(context).server
    server.origin_status = origin_status(server.variant.url, origin)


@then("that server answers the page's request with status {status:d}")
def step_origin_answer(context, status):
    answered = world(context).server.origin_status
    assert answered == status, f"the server answered {answered}"


@then('the same request from a page on "{origin}" is refused with status {status:d}')
def step_foreign_origin(context, origin, status):
    refused = origin_status(world(context).server.variant.url, origin)
    assert refused == status, f"the server answered {refused}"


@when('Prometheus scrapes "{path}" from that server addressed as "{host}"')
def step_scrape(context, path, host):
    server = world(context).server
    server.scrape = scrape(server.variant.url, path, host)
    attach_text("scrape", f"{server.scrape.status_code}\n{server.scrape.text[:3000]}")


@then("the scrape gets Prometheus metric lines")
def step_scrape_lines(context):
    scraped = world(context).server.scrape
    assert scraped.status_code == 200, f"{scraped.status_code}: {scraped.text[:200]}"
    assert "# TYPE" in scraped.text, scraped.text[:300]


@then("that server's \"{path}\" page serves Prometheus metrics of its requests")
def step_metrics(context, path):
    page = MlflowApi(world(context).server.variant.url).page(path)
    attach_text("metrics", page[:5000])
    assert "# TYPE" in page and "http_request" in page, page[:500]


@then("a tracking call to that server without credentials is refused with status {status:d}")
def step_refused(context, status):
    refused = MlflowApi(world(context).server.variant.url).tracking_call_status()
    assert refused == status, f"the server answered {refused}"


@then("the same call with the admin's credentials from the Secret succeeds")
def step_admin_accepted(context):
    variant = world(context).server.variant
    assert variant.admin is not None, "the server was started without an admin login"
    experiments = MlflowApi(variant.url, auth=variant.admin).search_experiments()
    assert any(e["name"] == "Default" for e in experiments), experiments


@then('the platform\'s PostgreSQL holds the auth database "{name}"')
def step_auth_database(context, name):
    assert world(context).platform.holds_database(name), f"the platform's PostgreSQL has no database {name}"


@then("that server answers the chart's readiness probe with OK")
def step_probe(context):
    server = world(context).server
    probe = chart.readiness_probe(chart.render_default(server.values))
    answer = probe_answer(server.variant.server.port, probe)
    attach_text("readiness probe", f"GET {probe['path']} -> {answer}")
    assert answer == (200, "OK"), f"GET {probe['path']} answered {answer}"


@then('a tracking call under "{prefix}" succeeds while the same call without it gets {status:d}')
def step_prefixed_call(context, prefix, status):
    base = f"http://127.0.0.1:{world(context).server.variant.server.port}"
    assert MlflowApi(base + prefix).tracking_call_status() == 200
    unprefixed = MlflowApi(base).tracking_call_status()
    assert unprefixed == status, f"without the prefix the server answered {unprefixed}"
