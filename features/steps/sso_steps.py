"""Steps about single sign-on: MLflow behind an identity provider's tokens, as behind Cloudflare Access."""

from behave import given, then, when

from harness.mlflow.bad_requests import AnsweredCalls
from harness.names import unique_name
from harness.production.sso import ADMIN_EMAIL
from harness.targets.abilities import RunsSingleSignOn
from support.reporting import attach_json, attach_text
from support.scenario import able, started_or_abort, world


@given("the chart's MLflow runs in single sign-on mode behind the run's identity provider")
def step_sso(context):
    deployment = started_or_abort(context, able(context, RunsSingleSignOn).sso_deployment)
    world(context).sso.deployment = deployment
    attach_text("the server's arguments and identity provider", f"issuer {deployment.provider.url}\n"
                + " ".join(deployment.server_args))


@when('"{email}" creates an experiment with a token from the identity provider')
def step_creates_experiment(context, email):
    state = world(context).sso
    state.experiment_id = state.deployment.client(email).create_experiment(unique_name("sso"))


@when("\"{email}\" creates an experiment with the token as an OIDC proxy's bearer")
def step_creates_experiment_bearer(context, email):
    state = world(context).sso
    state.experiment_id = state.deployment.client(email, bearer=True).create_experiment(unique_name("sso"))


@then('the auth API reports "{email}" with {permission} permission on that experiment')
def step_permission(context, email, permission):
    state = world(context).sso
    held = state.deployment.admin().user_permission(email, "experiment", state.experiment_id)
    assert held == permission, f"{email} holds {held}"


@when("a client makes a tracking call with {token}")
def step_call_with(context, token):
    client = world(context).sso.deployment.client_presenting(token)
    answer = world(context).answer = AnsweredCalls(client).search_experiments()
    attach_text("answer", f"{answer.status}\n{answer.body}")


@when("a client claims to be the admin in Cf-Access-Authenticated-User-Email without a token")
def step_spoofed(context):
    spoofing = world(context).sso.deployment.spoofing_client(ADMIN_EMAIL)
    world(context).answer = AnsweredCalls(spoofing).search_experiments()


@then("the call is answered {status:d}")
def step_answered(context, status):
    answer = world(context).answer
    assert answer.status == status, f"answered {answer.status}: {answer.body[:300]}"


@given('"{email}" made a tracking call with a token from the identity provider')
def step_made_call(context, email):
    status = world(context).sso.deployment.client(email).tracking_call_status()
    assert status == 200, f"a token of the provider's current key got {status}"


@when("the identity provider rotates its signing key")
def step_rotate(context):
    state = world(context).sso
    state.old_key = state.deployment.provider.rotate()


@then('a token of the new key lets "{email}" in')
def step_new_key(context, email):
    status = world(context).sso.deployment.client(email).tracking_call_status()
    assert status == 200, f"a token of the new key got {status}"


@then("once the server's key cache has run out, a token of the removed key for \"{email}\" is answered {status:d}")
def step_removed_key(context, email, status):
    state = world(context).sso
    state.deployment.wait_out_key_cache()
    refused = state.deployment.client(email, key=state.old_key).tracking_call_status()
    assert refused == status, f"a token of the removed key got {refused}"


@then('"{email}" can read it but renaming it is answered {status:d}')
def step_read_not_rename(context, email, status):
    state = world(context).sso
    calls = AnsweredCalls(state.deployment.client(email))
    assert calls.read_experiment(state.experiment_id).status == 200, f"{email} cannot read it"
    renamed = calls.rename_experiment(state.experiment_id, unique_name("taken-over"))
    assert renamed.status == status, f"renaming got {renamed.status}: {renamed.body[:200]}"


@when('"{email}" sends {count:d} tracking calls at once through the balancer, each with a token of its own')
def step_first_calls_at_once(context, email, count):
    state = world(context).sso
    state.taken_before = state.deployment.requests_taken()
    state.statuses = state.deployment.first_calls_at_once(email, count)


@then("all {count:d} were answered 200, by both replicas")
def step_all_answered_by_both(context, count):
    state = world(context).sso
    taken = {name: total - state.taken_before[name] for name, total in state.deployment.requests_taken().items()}
    attach_json("requests taken by each replica", taken)
    assert state.statuses == [200] * count, state.statuses
    assert all(taken.values()), f"a replica took none of them: {taken}"


@then('the admin finds "{email}" among MLflow\'s users')
def step_user_exists(context, email):
    status = world(context).sso.deployment.admin().user_status_code(email)
    assert status == 200, f"users/get for {email} answered {status}"
