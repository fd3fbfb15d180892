"""Steps about what reaches the production deployment: bad requests, TLS, users and their permissions."""

import requests
from behave import given, then, when

from harness.mlflow.api import API
from harness.mlflow.bad_requests import TAKEN_PARAM, BadRequestContext, answer, send_bad_request
from harness.production.clients import mlflow_client_env
from harness.production.users import create_users, files_holding
from support.reporting import allure_results_dir, attach_text, skip_with_reason

AUTH_API = "/api/3.0/mlflow"  # MLflow 3 serves the user and permission endpoints here


@given('a run holding the param "{key}" = "{value}"')
def step_run_with_param(context, key, value):
    assert (key, value) == TAKEN_PARAM, f"the bad requests are written against the param {TAKEN_PARAM}"
    api = context.admin_api
    context.experiment_name = api.call("GET", f"{API}/experiments/get",
                                       params={"experiment_id": context.experiment_id})["experiment"]["name"]
    context.run = api.create_run(context.experiment_id, "target-of-bad-requests")
    api.log_param(context.run.run_id, key, value)
    context.run_before = api.get_run(context.run.run_id)


@when("a client sends {bad_request}")
def step_send_bad(context, bad_request):
    ctx = BadRequestContext(context.admin_api, context.run, context.experiment_name,
                            context.deployment.body_limit_bytes)
    context.answer = send_bad_request(bad_request, ctx)
    attach_text("answer", f"{context.answer.status}\n{context.answer.body}")


@then('the answer has status {status:d} and error code "{error_code}"')
def step_answer_code(context, status, error_code):
    expected = (status, "" if error_code == "-" else error_code)
    got = (context.answer.status, context.answer.error_code)
    assert got == expected, f"answered {got}: {context.answer.body[:300]}"


@then("the run holds only what it held before")
def step_run_unchanged(context):
    now = context.admin_api.get_run(context.run.run_id)
    assert now == context.run_before, f"the run changed: before {context.run_before}, now {now}"


@when('the run logs the param "{key}" with a value of {length:d} characters')
def step_huge_param(context, key, length):
    context.answer = answer(context.admin_api, "POST", f"{API}/runs/log-parameter",
                            json={"run_id": context.run.run_id, "key": key, "value": "x" * length})


@when('the run logs the metric "{key}" with the JSON number {literal}')
def step_raw_metric(context, key, literal):
    body = ('{"run_id": "%s", "key": "%s", "value": %s, "timestamp": 1, "step": 0}'
            % (context.run.run_id, key, literal)).encode()
    context.answer = answer(context.admin_api, "POST", f"{API}/runs/log-metric", data=body,
                            headers={"Content-Type": "application/json"})


@then("the call succeeds")
def step_call_succeeds(context):
    assert context.answer.status == 200, f"answered {context.answer.status}: {context.answer.body[:300]}"


@then('the run holds the param "{key}" cut to its first {length:d} characters')
def step_param_cut(context, key, length):
    stored = context.admin_api.get_run(context.run.run_id).params[key]
    attach_text("stored length", str(len(stored)))
    assert len(stored) == length and set(stored) == {"x"}, f"stored {len(stored)} characters"


@then('the run holds the metric "{key}" = {value:g}')
def step_metric_value(context, key, value):
    stored = context.admin_api.get_run(context.run.run_id).metrics[key]
    assert stored == value, f"stored {stored}"


# -- TLS and users -----------------------------------------------------------------------------------------

@when("the MLflow client logs a run through the Ingress with MLFLOW_TRACKING_SERVER_CERT_PATH set to that CA")
def step_mlflow_client_tls(context):
    from mlflow import MlflowClient  # the tracking client is heavy; only this step needs it

    with mlflow_client_env(context.deployment.admin, context.deployment.ca_path):
        client = MlflowClient(context.deployment.url)
        run = client.create_run(context.experiment_id)
        client.log_metric(run.info.run_id, "over_tls", 1.0)
    context.run = context.admin_api.get_run(run.info.run_id)


@then("the run is stored with its metric")
def step_stored_with_metric(context):
    assert context.run.metrics == {"over_tls": 1.0}, context.run.metrics


@when("a client calls the Ingress with plain HTTP")
def step_plain_http(context):
    context.outcome = _outcome(lambda: requests.get(context.deployment.url.replace("https://", "http://") + "/health",
                                                    timeout=10))


@when("a client that trusts only an unrelated CA calls the Ingress")
def step_wrong_ca(context):
    context.outcome = _outcome(lambda: requests.get(context.deployment.url + "/health", timeout=10,
                                                    verify=str(context.deployment.unrelated_ca())))


def _outcome(call):
    try:
        return call()
    except requests.RequestException as exc:
        return exc


@then("the call gets no HTTP answer")
def step_no_http_answer(context):
    assert isinstance(context.outcome, requests.ConnectionError), f"got {context.outcome!r}"


@then("the call fails certificate verification")
def step_verification_failed(context):
    assert isinstance(context.outcome, requests.exceptions.SSLError), f"got {context.outcome!r}"
    assert "CERTIFICATE_VERIFY_FAILED" in str(context.outcome), str(context.outcome)


@given('the users "{first}" and "{second}" created by the admin')
def step_users(context, first, second):
    context.users = create_users(context.deployment.url, context.admin_api, [first, second])


def _as(context, user):
    return context.deployment.client(context.users[user])


@when('"{user}" creates an experiment through the Ingress')
def step_user_experiment(context, user):
    context.user_experiment_id = _as(context, user).create_experiment(f"{context.users[user][0]}-experiment")


@then('"{user}" can read it but creating a run in it is refused with status {status:d}')
def step_read_not_write(context, user, status):
    api = _as(context, user)
    read = answer(api, "GET", f"{API}/experiments/get", params={"experiment_id": context.user_experiment_id})
    assert read.status == 200, f"{user} cannot read it: {read}"
    write = answer(api, "POST", f"{API}/runs/create", json={"experiment_id": context.user_experiment_id})
    assert write.status == status, f"{user} creating a run got {write.status}: {write.body[:200]}"


@then('renaming it as "{user}" is refused with status {status:d}')
def step_rename_refused(context, user, status):
    renamed = answer(_as(context, user), "POST", f"{API}/experiments/update",
                     json={"experiment_id": context.user_experiment_id, "new_name": "taken-over"})
    assert renamed.status == status, f"renaming got {renamed.status}: {renamed.body[:200]}"


@then('the auth API reports "{user}" with {permission} permission on it')
def step_permission(context, user, permission):
    body = context.admin_api.call("GET", f"{AUTH_API}/users/permissions/get", params={
        "username": context.users[user][0], "resource_type": "experiment",
        "resource_id": context.user_experiment_id})
    assert body["permission"] == permission, body


@when('"{user}" creates a run that names "{named}" as its user')
def step_run_named_user(context, user, named):
    experiment_id = _as(context, user).create_experiment(f"{context.users[user][0]}-runs")
    created = _as(context, user).call("POST", f"{API}/runs/create", json={"experiment_id": experiment_id,
                                                                          "user_id": named})
    context.run = context.admin_api.get_run(created["run"]["info"]["run_id"])
    context.run_user = created["run"]["info"]["user_id"]


@then('the run\'s user_id is "{named}"')
def step_run_user(context, named):
    assert context.run_user == named, f"the run records user_id {context.run_user!r}"


@then("no replica's log holds the admin password")
def step_no_password_in_logs(context):
    logs = [replica.server.log_path for replica in context.deployment.replicas]
    holding = files_holding(context.deployment.admin[1], logs)
    assert not holding, f"the admin password is in {holding}"


@then("no report attachment written so far holds the admin password")
def step_no_password_in_report(context):
    results = allure_results_dir(context)
    if results is None or not results.exists():
        skip_with_reason(context, context.scenario, "this run writes no Allure results (no AllureFormatter) to check")
        return
    holding = files_holding(context.deployment.admin[1], sorted(results.iterdir()))
    assert not holding, f"the admin password is in {holding}"
