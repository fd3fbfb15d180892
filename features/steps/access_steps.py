"""Steps about what reaches the production deployment: bad requests, TLS, users and their permissions."""

import requests
from behave import given, then, when

from harness.mlflow.bad_requests import TAKEN_PARAM, AnsweredCalls, BadRequestContext, send_bad_request
from harness.production.clients import run_logged_by_mlflow_client
from harness.production.users import create_users, files_holding
from support.reporting import allure_results_dir, attach_text, skip_with_reason
from support.scenario import world

TLS_ARTIFACT = ("tls/encrypted-on-the-way.txt", b"bytes that went to the store over TLS")


@given('a run holding the param "{key}" = "{value}"')
def step_run_with_param(context, key, value):
    assert (key, value) == TAKEN_PARAM, f"the bad requests are written against the param {TAKEN_PARAM}"
    current = world(context)
    run = current.run = current.api.create_run(current.experiment_id, "target-of-bad-requests")
    current.api.log_param(run.run_id, key, value)
    current.production.run_before = current.api.get_run(run.run_id)


@when("a client sends {bad_request}")
def step_send_bad(context, bad_request):
    current = world(context)
    request = BadRequestContext(current.api, current.run, current.experiment_name,
                                current.production.deployment.body_limit_bytes)
    answer = current.answer = send_bad_request(bad_request, request)
    attach_text("answer", f"{answer.status}\n{answer.body}")


@then('the answer has status {status:d} and error code "{error_code}"')
def step_answer_code(context, status, error_code):
    answer = world(context).answer
    expected, got = (status, "" if error_code == "-" else error_code), (answer.status, answer.error_code)
    assert got == expected, f"answered {got}: {answer.body[:300]}"


@then("the run holds only what it held before")
def step_run_unchanged(context):
    current = world(context)
    before, now = current.production.run_before, current.api.get_run(current.run.run_id)
    assert now == before, f"the run changed: before {before}, now {now}"


@when('the run logs the param "{key}" with a value of {length:d} characters')
def step_huge_param(context, key, length):
    current = world(context)
    current.answer = AnsweredCalls(current.api).log_param(current.run.run_id, key, "x" * length)


@when('the run logs the metric "{key}" with the JSON number {literal}')
def step_raw_metric(context, key, literal):
    current = world(context)
    current.answer = AnsweredCalls(current.api).log_metric_literal(current.run.run_id, key, literal)


@then("the call succeeds")
def step_call_succeeds(context):
    answer = world(context).answer
    assert answer.status == 200, f"answered {answer.status}: {answer.body[:300]}"


@then('the run holds the param "{key}" cut to its first {length:d} characters')
def step_param_cut(context, key, length):
    stored = world(context).api.get_run(world(context).run.run_id).params[key]
    attach_text("stored length", str(len(stored)))
    assert len(stored) == length and set(stored) == {"x"}, f"stored {len(stored)} characters"


@then('the run holds the metric "{key}" = {value:g}')
def step_metric_value(context, key, value):
    stored = world(context).api.get_run(world(context).run.run_id).metrics[key]
    assert stored == value, f"stored {stored}"


# -- TLS and users -----------------------------------------------------------------------------------------

@when("the MLflow client logs a run through the Ingress with MLFLOW_TRACKING_SERVER_CERT_PATH set to that CA")
def step_mlflow_client_tls(context):
    current, deployment = world(context), world(context).production.deployment
    run_id = run_logged_by_mlflow_client(deployment.url, deployment.admin, deployment.ca_path, current.experiment_id,
                                         {"over_tls": 1.0})
    current.run = current.api.get_run(run_id)


@then("the run is stored with its metric")
def step_stored_with_metric(context):
    metrics = world(context).run.metrics
    assert metrics == {"over_tls": 1.0}, metrics


def _outcome(call):
    try:
        return call()
    except requests.RequestException as exc:
        return exc


@when("a client calls the Ingress with plain HTTP")
def step_plain_http(context):
    url = world(context).production.deployment.url.replace("https://", "http://") + "/health"
    world(context).production.outcome = _outcome(lambda: requests.get(url, timeout=10))


@when("a client that trusts only an unrelated CA calls the Ingress")
def step_wrong_ca(context):
    deployment = world(context).production.deployment
    world(context).production.outcome = _outcome(lambda: requests.get(deployment.url + "/health", timeout=10,
                                                                      verify=str(deployment.unrelated_ca())))


@then("the call gets no HTTP answer")
def step_no_http_answer(context):
    outcome = world(context).production.outcome
    assert isinstance(outcome, requests.ConnectionError), f"got {outcome!r}"


@then("the call fails certificate verification")
def step_verification_failed(context):
    outcome = world(context).production.outcome
    assert isinstance(outcome, requests.exceptions.SSLError), f"got {outcome!r}"
    assert "CERTIFICATE_VERIFY_FAILED" in str(outcome), str(outcome)


@when("a client calls {name} directly with plain HTTP")
def step_plain_http_to_replica(context, name):
    url = world(context).production.deployment.replica_url(name).replace("https://", "http://") + "/health"
    world(context).production.outcome = _outcome(lambda: requests.get(url, timeout=10))


@then("{name} answers its health check over HTTPS verified with the deployment's CA")
def step_replica_https(context, name):
    deployment = world(context).production.deployment
    answer = requests.get(deployment.replica_url(name) + "/health", timeout=10, verify=str(deployment.ca_path))
    assert deployment.replica_url(name).startswith("https://") and answer.text.strip() == "OK", answer.text


@when("{name} is restarted with a certificate from a CA the deployment does not trust")
def step_impostor_certificate(context, name):
    state = world(context).production
    state.deployment.serve_certificate_of_another_ca(name)
    state.sessions_before = state.deployment.balancer_state(name).sessions_total


@then("{name} answers its probe, but the balancer marks it down for its TLS handshake")
def step_down_for_tls(context, name):
    deployment = world(context).production.deployment
    assert deployment.replica(name).server.healthy(), f"{name} does not answer its probe"
    attach_text("balancer's view", repr(deployment.wait_down_for_tls(name)))


@then("{count:d} requests through the Ingress are all answered, none by {name}")
def step_none_by(context, count, name):
    state = world(context).production
    calls = AnsweredCalls(state.deployment.client())
    answers = [calls.search_experiments() for _ in range(count)]
    assert [answer.status for answer in answers] == [200] * count, [answer.status for answer in answers]
    after = state.deployment.balancer_state(name).sessions_total
    assert after == state.sessions_before, f"{name} took {after - state.sessions_before} of them"


@when("the admin logs an artifact through the Ingress")
def step_artifact_through_ingress(context):
    current, state = world(context), world(context).production
    state.store_connections_before = state.deployment.store_connections()
    run = current.run = current.api.create_run(current.experiment_id, "artifact-over-tls")
    answer = AnsweredCalls(current.api).upload_artifact(run, *TLS_ARTIFACT)
    assert answer.status == 200, f"the upload got {answer.status}: {answer.body[:300]}"
    state.artifact_key = f"{run.experiment_id}/{run.run_id}/artifacts/{TLS_ARTIFACT[0]}"


@then("the artifact's bytes are in the store, read from the store itself")
def step_artifact_in_store(context):
    state = world(context).production
    stored = state.deployment.stored_object(state.artifact_key)
    assert stored == TLS_ARTIFACT[1], f"the store holds {stored[:80]!r}"


@then("the servers reached the store at its HTTPS endpoint, which took connections for the upload")
def step_store_over_https(context):
    state = world(context).production
    endpoints = {replica.name: replica.server.env["MLFLOW_S3_ENDPOINT_URL"] for replica in state.deployment.replicas}
    assert set(endpoints.values()) == {state.deployment.store_endpoint}, endpoints
    assert state.deployment.store_endpoint.startswith("https://"), state.deployment.store_endpoint
    assert state.deployment.store_connections() > state.store_connections_before, "no connection reached the store"


@when("a client calls the store's endpoint with plain HTTP")
def step_plain_http_to_store(context):
    url = world(context).production.deployment.store_endpoint_here.replace("https://", "http://")
    world(context).production.outcome = _outcome(lambda: requests.get(url, timeout=10))


@given('the users "{first}" and "{second}" created by the admin')
def step_users(context, first, second):
    state = world(context).production
    state.users = create_users(state.deployment.url, world(context).api, [first, second])


def _as(context, user):
    """`user`'s own client of the deployment, as AnsweredCalls: what each call is answered."""
    state = world(context).production
    return AnsweredCalls(state.deployment.client(state.users[user]))


@when('"{user}" creates an experiment through the Ingress')
def step_user_experiment(context, user):
    state = world(context).production
    state.user_experiment_id = _as(context, user).api.create_experiment(f"{state.users[user][0]}-experiment")


@then('"{user}" can read it but creating a run in it is refused with status {status:d}')
def step_read_not_write(context, user, status):
    experiment_id = world(context).production.user_experiment_id
    read = _as(context, user).read_experiment(experiment_id)
    assert read.status == 200, f"{user} cannot read it: {read}"
    write = _as(context, user).create_run(experiment_id)
    assert write.status == status, f"{user} creating a run got {write.status}: {write.body[:200]}"


@then('renaming it as "{user}" is refused with status {status:d}')
def step_rename_refused(context, user, status):
    renamed = _as(context, user).rename_experiment(world(context).production.user_experiment_id, "taken-over")
    assert renamed.status == status, f"renaming got {renamed.status}: {renamed.body[:200]}"


@then('the auth API reports "{user}" with {permission} permission on it')
def step_permission(context, user, permission):
    state = world(context).production
    held = world(context).api.user_permission(state.users[user][0], "experiment", state.user_experiment_id)
    assert held == permission, f"{user} holds {held}"


@when('"{user}" creates a run that names "{named}" as its user')
def step_run_named_user(context, user, named):
    state, own = world(context).production, _as(context, user).api
    created = own.create_run(own.create_experiment(f"{state.users[user][0]}-runs"), user_id=named)
    world(context).run = created
    state.run_user = created.user_id


@then('the run\'s user_id is "{named}"')
def step_run_user(context, named):
    recorded = world(context).production.run_user
    assert recorded == named, f"the run records user_id {recorded!r}"


@then("no replica's log holds the admin password")
def step_no_password_in_logs(context):
    deployment = world(context).production.deployment
    holding = files_holding(deployment.admin[1], [replica.server.log_path for replica in deployment.replicas])
    assert not holding, f"the admin password is in {holding}"


@then("no report attachment written so far holds the admin password")
def step_no_password_in_report(context):
    results = allure_results_dir(context)
    if results is None or not results.exists():
        skip_with_reason(context, context.scenario, "this run writes no Allure results (no AllureFormatter) to check")
        return
    holding = files_holding(world(context).production.deployment.admin[1], sorted(results.iterdir()))
    assert not holding, f"the admin password is in {holding}"
