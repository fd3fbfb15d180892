"""Steps about seed 003's production deployment: replicas behind the balancer, faults, load, bad input."""

import contextlib
import time

from behave import given, then, when

from harness.mlflow.bad_requests import AnsweredCalls
from harness.production.clients import (lost_acknowledged, mlflow_client_env, mlflow_client_logger, rest_logger,
                                        start_clients)
from harness.system.waiting import wait_for
from harness.targets.abilities import RunsProductionDeployment
from support.reporting import attach_json, attach_text
from support.scenario import able, started_or_abort, world

ARTIFACT = ("notes/upload.txt", b"an artifact uploaded while the store was cut off, then again")


@given("the production deployment runs {count:d} MLflow replicas behind the balancer")
def step_deployment(context, count):
    stack = started_or_abort(context, able(context, RunsProductionDeployment).production_deployment)
    assert len(stack.replicas) == count, f"the deployment runs {len(stack.replicas)} replicas"
    context.add_cleanup(stack.heal)
    world(context).production.deployment = stack
    world(context).use_api(stack.client())  # the scenario's experiment and runs live on the deployment


def _start_clients(context, count, make_logger, steps_each=None, pause_s=0.0):
    current = world(context)
    clients = current.production.clients = start_clients(current.api, current.experiment_id, count, make_logger,
                                                         steps_each, pause_s)
    context.add_cleanup(clients.stop)
    return clients


def _stop_clients(context):
    clients = world(context).production.clients
    clients.stop()
    attach_text("clients", clients.summary().as_text())
    attach_json("failed requests", [vars(failure) for failure in clients.failures()])
    attach_json("acknowledged per client", {r.name: len(r.acknowledged) for r in clients.records})
    attach_json("latencies per client (ms, in order)",
                {r.name: [round(ms, 1) for ms in r.latencies_ms] for r in clients.records})


@given("{count:d} clients log metrics through the balancer in a loop")
def step_clients_loop(context, count):
    _start_clients(context, count, rest_logger(world(context).production.deployment.client)).wait_acknowledged(
        count * 5, timeout=30)


@given("a client logs metrics straight to replica-1 with the MLflow client and its retries")
def step_client_to_replica(context):
    deployment = world(context).production.deployment
    scope = contextlib.ExitStack()  # the login stays in the environment until the scenario ends
    scope.enter_context(mlflow_client_env(deployment.admin, deployment.ca_path))
    context.add_cleanup(scope.close)
    logger = mlflow_client_logger(deployment.replica("replica-1").server.url)
    _start_clients(context, 1, logger).wait_acknowledged(5, timeout=30)


@when("{name} is killed with its whole process group while they log")
def step_kill_replica(context, name):
    state = world(context).production
    state.killed_at = state.deployment.kill_replica(name)
    state.marked_down_at = state.deployment.wait_marked_down(name)


@when("{name} is killed with its whole process group and started again")
def step_kill_and_restart(context, name):
    state = world(context).production
    state.killed_at = state.deployment.kill_replica(name)
    state.deployment.start_replica(name)
    attach_text("restart", f"{name} back after {time.monotonic() - state.killed_at:.1f} s")


@when("the replicas restart one at a time, each taken out of the balancer and drained first")
def step_rolling_restart(context):
    deployment, started = world(context).production.deployment, time.monotonic()
    deployment.rolling_restart()
    attach_text("rolling restart", f"{len(deployment.replicas)} replicas in {time.monotonic() - started:.1f} s")


@when("the clients log for {seconds:d} more seconds and stop")
@when("the client logs for {seconds:d} more seconds and stops")
def step_clients_log_more(context, seconds):
    time.sleep(seconds)
    _stop_clients(context)


@when("the clients stop")
def step_clients_stop(context):
    _stop_clients(context)


@when("{count:d} clients each log {steps:d} metrics through the balancer at once, pausing {pause_ms:d} ms after each")
def step_load(context, count, steps, pause_ms):
    logger = rest_logger(world(context).production.deployment.client)
    _start_clients(context, count, logger, steps_each=steps, pause_s=pause_ms / 1000).join()
    _stop_clients(context)


@then("every metric a client saw acknowledged is in its run")
def step_nothing_lost(context):
    clients = world(context).production.clients
    acknowledged, lost = clients.acknowledged_count(), lost_acknowledged(world(context).api, clients)
    attach_text("acknowledged vs stored", f"{acknowledged} acknowledged; lost: {lost or 'none'}")
    assert acknowledged > 0, "no client got any acknowledgement"
    assert not lost, f"acknowledged but missing from the runs: {lost}"


@then("the balancer took {name} out within its health-check window")
def step_marked_down(context, name):
    state = world(context).production
    gap, window = state.marked_down_at - state.killed_at, state.deployment.balancer.detection_window_s
    attach_text("failover", f"{name} marked DOWN {gap * 1000:.0f} ms after the kill (window {window * 1000:.0f} ms)")
    assert gap <= window, f"{name} was taken out {gap:.2f} s after the kill; the window is {window:.2f} s"


@then("every failed request failed between the kill and the balancer taking {name} out")
def step_failures_in_switch(context, name):
    state = world(context).production
    failures = state.clients.failures()
    attach_text("failed during the switch", f"{len(failures)} failed requests while {name} was being taken out")
    outside = [f for f in failures if not state.killed_at <= f.at <= state.marked_down_at]
    assert not outside, f"{len(outside)} requests failed outside the switch, first: {outside[0]}"


@then("no call of the client failed but the one in flight when {name} was killed")
def step_only_in_flight_failed(context, name):
    state = world(context).production
    failures = state.clients.failures()
    attach_json("failed calls", [vars(failure) for failure in failures])
    later = [failure for failure in failures if failure.sent >= state.killed_at]
    assert not later, f"{len(later)} calls sent after {name} was killed failed, first: {later[0]}"
    assert len(failures) <= 1, f"{len(failures)} calls in flight at the kill failed: {failures}"


@then("no client request failed")
def step_no_failures(context):
    failures = world(context).production.clients.failures()
    assert not failures, f"{len(failures)} failed requests, first: {failures[0]}"


@then("the 95th percentile latency is under {budget_ms:d} ms")
def step_latency_budget(context, budget_ms):
    summary = world(context).production.clients.summary()
    assert summary.p95_ms < budget_ms, f"p95 {summary.p95_ms:.1f} ms is over the {budget_ms} ms budget ({summary.as_text()})"


# -- faults of the stores ----------------------------------------------------------------------------------

@given("a run with {count:d} metrics logged through the balancer")
def step_run_with_metrics(context, count):
    current = world(context)
    run = current.run = current.api.create_run(current.experiment_id, "before-the-fault")
    for step in range(count):
        current.api.log_metric(run.run_id, "before", float(step), step)


@when("PostgreSQL stops under the running replicas")
def step_database_stops(context):
    state = world(context).production
    state.pids_before = state.deployment.server_pids()
    state.deployment.stop_database()


@when("PostgreSQL starts again")
def step_database_starts(context):
    world(context).production.deployment.start_database()


@when("a client makes a tracking call through the balancer")
def step_tracking_call(context):
    answer = world(context).answer = AnsweredCalls(world(context).api).search_experiments()
    attach_text("answer", f"{answer.status}\n{answer.body}")


@then('the call is answered {status:d} "{error_code}"')
def step_answered(context, status, error_code):
    answer = world(context).answer
    assert (answer.status, answer.error_code) == (status, error_code), answer


@then("the answer holds neither the admin's nor the database's password")
def step_no_password_in_answer(context):
    body, deployment = world(context).answer.body, world(context).production.deployment
    assert deployment.admin[1] not in body, "the admin password is in the error body"
    assert deployment.database_password not in body, "the database password is in the error body"


@then("each replica's /health still answers OK")
def step_health_ok(context):
    for replica in world(context).production.deployment.replicas:
        assert replica.server.healthy(), f"{replica.name}'s /health does not answer OK"


@then("tracking calls through the balancer succeed again")
def step_calls_succeed(context):
    api = world(context).api
    wait_for(lambda: api.tracking_call_status() == 200, "tracking calls to succeed again", 30)


@then("no replica was restarted")
def step_not_restarted(context):
    state = world(context).production
    assert state.deployment.server_pids() == state.pids_before, "a replica's processes changed"


@then("the run still holds its {count:d} metrics")
def step_run_metrics(context, count):
    api, run_id = world(context).api, world(context).run.run_id
    held = sum(len(api.metric_history(run_id, key)) for key in api.get_run(run_id).metrics)
    assert held == count, f"the run holds {held} metric values, expected {count}"


@when("the S3 store becomes unreachable from the replicas")
def step_store_cut(context):
    world(context).production.deployment.cut_storage()


@when("the S3 store is reachable again")
def step_store_back(context):
    world(context).production.deployment.restore_storage()


@when("the run uploads an artifact through the balancer")
def step_upload(context):
    answer = world(context).answer = AnsweredCalls(world(context).api).upload_artifact(world(context).run, *ARTIFACT)
    attach_text("upload answer", f"{answer.status}\n{answer.body}")


@when("the run uploads the artifact again")
def step_upload_again(context):
    answer, dropped = AnsweredCalls(world(context).api).upload_artifact_again(world(context).run, *ARTIFACT)
    if dropped:
        attach_text("dropped upload", f"the first upload after the outage was dropped unanswered: {dropped}")
    world(context).answer = answer
    attach_text("upload answer", f"{answer.status}\n{answer.body}")


@when("the run logs one more metric through the balancer")
def step_one_more_metric(context):
    current = world(context)
    current.production.metric_answer = AnsweredCalls(current.api).log_metric(current.run.run_id, "during", 1.0,
                                                                             int(time.time() * 1000))


@then("the upload failed with status {status:d}")
def step_upload_failed(context, status):
    answer = world(context).answer
    assert answer.status == status, f"the upload got {answer.status}: {answer.body[:300]}"


@then("the metric was acknowledged")
def step_metric_acknowledged(context):
    answer = world(context).production.metric_answer
    assert answer.status == 200, answer


@then("the upload succeeded and the file is in the bucket")
def step_upload_stored(context):
    answer, run, (path, data) = world(context).answer, world(context).run, ARTIFACT
    assert answer.status == 200, f"the upload got {answer.status}: {answer.body[:300]}"
    stored = world(context).production.deployment.stored_object(f"{run.experiment_id}/{run.run_id}/artifacts/{path}")
    assert stored == data, f"the bucket holds {stored[:80]!r}"
