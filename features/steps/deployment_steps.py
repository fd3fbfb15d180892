"""Steps about seed 003's production deployment: replicas behind the balancer, faults, load, bad input."""

import contextlib
import time

import requests
from behave import given, then, when

from harness.mlflow.api import API, ARTIFACTS_API
from harness.mlflow.bad_requests import answer
from harness.names import unique_name
from harness.production.clients import (lost_acknowledged, mlflow_client_env, mlflow_client_logger, rest_logger,
                                        start_clients)
from harness.system.waiting import wait_for
from support.reporting import attach_json, attach_text
from support.scenario import started_or_abort

ARTIFACT = ("notes/upload.txt", b"an artifact uploaded while the store was cut off, then again")


@given("the production deployment runs {count:d} MLflow replicas behind the balancer")
def step_deployment(context, count):
    context.deployment = stack = started_or_abort(context, context.target.production_deployment)
    assert len(stack.replicas) == count, f"the deployment runs {len(stack.replicas)} replicas"
    context.add_cleanup(stack.heal)
    context.admin_api = stack.client()
    context.experiment_id = context.admin_api.create_experiment(unique_name(context.scenario.name))


def _start_clients(context, count, make_logger, steps_each=None, pause_s=0.0):
    context.clients = start_clients(context.admin_api, context.experiment_id, count, make_logger, steps_each, pause_s)
    context.add_cleanup(context.clients.stop)


@given("{count:d} clients log metrics through the balancer in a loop")
def step_clients_loop(context, count):
    _start_clients(context, count, rest_logger(context.deployment.client))
    context.clients.wait_acknowledged(count * 5, timeout=30)


@given("a client logs metrics straight to replica-1 with the MLflow client and its retries")
def step_client_to_replica(context):
    scope = contextlib.ExitStack()  # the login stays in the environment until the scenario ends
    scope.enter_context(mlflow_client_env(context.deployment.admin))
    context.add_cleanup(scope.close)
    _start_clients(context, 1, mlflow_client_logger(context.deployment.replica("replica-1").server.url))
    context.clients.wait_acknowledged(5, timeout=30)


@when("{name} is killed with its whole process group while they log")
def step_kill_replica(context, name):
    context.killed_at = context.deployment.kill_replica(name)
    context.marked_down_at = context.deployment.wait_marked_down(name)


@when("{name} is killed with its whole process group and started again")
def step_kill_and_restart(context, name):
    context.killed_at = context.deployment.kill_replica(name)
    context.deployment.start_replica(name)
    attach_text("restart", f"{name} back after {time.monotonic() - context.killed_at:.1f} s")


@when("the replicas restart one at a time, each taken out of the balancer and drained first")
def step_rolling_restart(context):
    started = time.monotonic()
    context.deployment.rolling_restart()
    attach_text("rolling restart", f"{len(context.deployment.replicas)} replicas in {time.monotonic() - started:.1f} s")


@when("the clients log for {seconds:d} more seconds and stop")
@when("the client logs for {seconds:d} more seconds and stops")
def step_clients_log_more(context, seconds):
    time.sleep(seconds)
    step_clients_stop(context)


@when("the clients stop")
def step_clients_stop(context):
    context.clients.stop()
    summary = context.clients.summary()
    attach_text("clients", summary.as_text())
    attach_json("failed requests", [vars(failure) for failure in context.clients.failures()])
    attach_json("acknowledged per client", {r.name: len(r.acknowledged) for r in context.clients.records})
    attach_json("latencies per client (ms, in order)",
                {r.name: [round(ms, 1) for ms in r.latencies_ms] for r in context.clients.records})


@when("{count:d} clients each log {steps:d} metrics through the balancer at once, pausing {pause_ms:d} ms after each")
def step_load(context, count, steps, pause_ms):
    _start_clients(context, count, rest_logger(context.deployment.client), steps_each=steps, pause_s=pause_ms / 1000)
    context.clients.join()
    step_clients_stop(context)


@then("every metric a client saw acknowledged is in its run")
def step_nothing_lost(context):
    acknowledged = context.clients.acknowledged_count()
    lost = lost_acknowledged(context.admin_api, context.clients)
    attach_text("acknowledged vs stored", f"{acknowledged} acknowledged; lost: {lost or 'none'}")
    assert acknowledged > 0, "no client got any acknowledgement"
    assert not lost, f"acknowledged but missing from the runs: {lost}"


@then("the balancer took {name} out within its health-check window")
def step_marked_down(context, name):
    gap = context.marked_down_at - context.killed_at
    window = context.deployment.balancer.detection_window_s
    attach_text("failover", f"{name} marked DOWN {gap * 1000:.0f} ms after the kill (window {window * 1000:.0f} ms)")
    assert gap <= window, f"{name} was taken out {gap:.2f} s after the kill; the window is {window:.2f} s"


@then("every failed request failed between the kill and the balancer taking {name} out")
def step_failures_in_switch(context, name):
    failures = context.clients.failures()
    attach_text("failed during the switch", f"{len(failures)} failed requests while {name} was being taken out")
    outside = [f for f in failures if not context.killed_at <= f.at <= context.marked_down_at]
    assert not outside, f"{len(outside)} requests failed outside the switch, first: {outside[0]}"


@then("no call of the client failed but the one in flight when {name} was killed")
def step_only_in_flight_failed(context, name):
    failures = context.clients.failures()
    attach_json("failed calls", [vars(failure) for failure in failures])
    later = [failure for failure in failures if failure.sent >= context.killed_at]
    assert not later, f"{len(later)} calls sent after {name} was killed failed, first: {later[0]}"
    assert len(failures) <= 1, f"{len(failures)} calls in flight at the kill failed: {failures}"


@then("no client request failed")
def step_no_failures(context):
    failures = context.clients.failures()
    assert not failures, f"{len(failures)} failed requests, first: {failures[0]}"


@then("the 95th percentile latency is under {budget_ms:d} ms")
def step_latency_budget(context, budget_ms):
    summary = context.clients.summary()
    assert summary.p95_ms < budget_ms, f"p95 {summary.p95_ms:.1f} ms is over the {budget_ms} ms budget ({summary.as_text()})"


# -- faults of the stores ----------------------------------------------------------------------------------

@given("a run with {count:d} metrics logged through the balancer")
def step_run_with_metrics(context, count):
    api = context.admin_api
    context.run = api.create_run(context.experiment_id, "before-the-fault")
    for step in range(count):
        api.log_metric(context.run.run_id, "before", float(step), step)


@when("PostgreSQL stops under the running replicas")
def step_database_stops(context):
    context.pids_before = context.deployment.server_pids()
    context.deployment.stop_database()


@when("PostgreSQL starts again")
def step_database_starts(context):
    context.deployment.start_database()


@when("a client makes a tracking call through the balancer")
def step_tracking_call(context):
    context.answer = answer(context.admin_api, "GET", f"{API}/experiments/search", params={"max_results": 5})
    attach_text("answer", f"{context.answer.status}\n{context.answer.body}")


@then('the call is answered {status:d} "{error_code}"')
def step_answered(context, status, error_code):
    assert (context.answer.status, context.answer.error_code) == (status, error_code), context.answer


@then("the answer holds neither the admin's nor the database's password")
def step_no_password_in_answer(context):
    body = context.answer.body
    assert context.deployment.admin[1] not in body, "the admin password is in the error body"
    assert context.deployment.database_password not in body, "the database password is in the error body"


@then("each replica's /health still answers OK")
def step_health_ok(context):
    for replica in context.deployment.replicas:
        assert replica.server.healthy(), f"{replica.name}'s /health does not answer OK"


@then("tracking calls through the balancer succeed again")
def step_calls_succeed(context):
    api = context.admin_api
    wait_for(lambda: api.status_of("GET", f"{API}/experiments/search", params={"max_results": 5}) == 200,
             "tracking calls to succeed again", 30)


@then("no replica was restarted")
def step_not_restarted(context):
    assert context.deployment.server_pids() == context.pids_before, "a replica's processes changed"


@then("the run still holds its {count:d} metrics")
def step_run_metrics(context, count):
    histories = [context.admin_api.metric_history(context.run.run_id, key)
                 for key in context.admin_api.get_run(context.run.run_id).metrics]
    held = sum(len(history) for history in histories)
    assert held == count, f"the run holds {held} metric values, expected {count}"


@when("the S3 store becomes unreachable from the replicas")
def step_store_cut(context):
    context.deployment.cut_storage()


@when("the S3 store is reachable again")
def step_store_back(context):
    context.deployment.restore_storage()


@when("the run uploads an artifact through the balancer")
def step_upload(context):
    run, (path, data) = context.run, ARTIFACT
    context.answer = answer(context.admin_api, "PUT",
                            f"{ARTIFACTS_API}/{run.experiment_id}/{run.run_id}/artifacts/{path}", data=data)
    attach_text("upload answer", f"{context.answer.status}\n{context.answer.body}")


@when("the run uploads the artifact again")
def step_upload_again(context):
    # The first upload after the outage can meet an S3 connection the replica pooled before the cut: botocore
    # raises ConnectionClosedError and the request is dropped unanswered (seen once in 4 runs). MLflow's client
    # retries a dropped request; so does this step, once, and the report says so.
    try:
        step_upload(context)
    except requests.ConnectionError as dropped:
        attach_text("dropped upload", f"the first upload after the outage was dropped unanswered: {dropped}")
        step_upload(context)


@when("the run logs one more metric through the balancer")
def step_one_more_metric(context):
    context.metric_answer = answer(context.admin_api, "POST", f"{API}/runs/log-metric", json={
        "run_id": context.run.run_id, "key": "during", "value": 1.0, "timestamp": int(time.time() * 1000), "step": 0})


@then("the upload failed with status {status:d}")
def step_upload_failed(context, status):
    assert context.answer.status == status, f"the upload got {context.answer.status}: {context.answer.body[:300]}"


@then("the metric was acknowledged")
def step_metric_acknowledged(context):
    assert context.metric_answer.status == 200, context.metric_answer


@then("the upload succeeded and the file is in the bucket")
def step_upload_stored(context):
    assert context.answer.status == 200, f"the upload got {context.answer.status}: {context.answer.body[:300]}"
    run, (path, data) = context.run, ARTIFACT
    stored = context.deployment.stored_object(f"{run.experiment_id}/{run.run_id}/artifacts/{path}")
    assert stored == data, f"the bucket holds {stored[:80]!r}"
