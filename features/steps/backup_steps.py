"""Steps about the chart's backup CronJob and the restore procedure (seed 003's RTO and RPO)."""

import datetime
import time

from behave import given, then, when

from harness.mlflow.api import API, MlflowApi
from harness.errors import ServiceFailed
from harness.mlflow.backup import (AUTH_DUMP_NAME, DUMP_NAME, BackupJob, damage, manifest_problems, newest_good,
                                   stored_encryption)
from harness.production.users import user_with_experiment
from harness.mlflow.samples import write_sample_model, write_sample_run
from harness.world import unique_name
from support.reporting import attach_json, attach_text
from support.scenario import world


def _job(context, **values):
    """The CronJob rendered to write under a prefix of this scenario's own."""
    overrides = {"backup.prefix": f"backups/{unique_name('scenario')}", **values}
    context.backup_job = BackupJob.rendered_with(overrides)
    return context.backup_job


@given("a run with params, metrics, a tag and an artifact, and a registered model with two versions of it")
def step_sample_data(context):
    api = MlflowApi(world(context).platform.mlflow_url)
    context.sample_run = write_sample_run(api)
    context.sample_model = write_sample_model(api, context.sample_run)


@given('an MLflow server with basic auth on databases of its own, where "{name}" created an experiment')
def step_auth_server(context, name):
    context.auth_database = context.target.new_database()
    context.auth_values = {"mlflow.auth.enabled": "true", "mlflow.auth.database": unique_name("auth").replace("-", "_")}
    variant = context.target.mlflow_variant(context.auth_values, context.auth_database)
    context.add_cleanup(context.target.stop_variant, variant)
    context.user = user_with_experiment(variant.url, variant.admin, name)
    context.auth_admin = variant.admin


@when("the chart's backup CronJob, rendered with that server's basic auth, runs against its databases")
def step_backup_with_auth(context):
    job = _job(context, **context.auth_values, **{"mlflow.auth.adminPassword": context.auth_admin[1]})
    attach_text("backup job output", context.target.run_backup_job(job, context.auth_database))
    context.backup_database = context.auth_database


@when("the chart's backup CronJob runs against the platform")
def step_backup_runs(context):
    started = time.monotonic()
    attach_text("backup job output", context.target.run_backup_job(_job(context)))
    context.backup_seconds = time.monotonic() - started


@when("the newest backup is restored onto a new PostgreSQL and S3 store and the chart's MLflow pod starts on them")
def step_restore(context):
    newest = newest_good(context.target.backups(context.backup_job))
    context.backup_age = datetime.datetime.now(datetime.timezone.utc) - newest.taken_at
    context.newest_backup = newest
    context.restored = context.target.restored_platform(context.backup_job, newest,
                                                        getattr(context, "backup_database", None))
    context.add_cleanup(context.target.stop_restored, context.restored)
    context.read_back_url = context.restored.url
    attach_json("restore", {"backup": list(newest.keys), "backup age at restore (s)": context.backup_age.total_seconds(),
                            "artifact objects copied": context.restored.objects_copied,
                            "restore wall time, RTO (s)": round(context.restored.seconds, 1)})


@then("the restore took less than {minutes:d} minutes")
def step_rto(context, minutes):
    assert context.restored.seconds < minutes * 60, f"the restore took {context.restored.seconds:.0f} s"


@then("the chart's backup schedule keeps the newest backup less than {minutes:d} minutes old")
def step_rpo(context, minutes):
    gap = context.backup_job.longest_gap()
    worst = gap.total_seconds() + context.backup_seconds
    attach_text("RPO", f"schedule {context.backup_job.schedule!r}: longest gap {gap}, one backup took "
                       f"{context.backup_seconds:.1f} s, so the newest backup is at most {worst / 60:.1f} min old")
    assert worst < minutes * 60, f"with {context.backup_job.schedule!r} a backup can be {worst / 60:.1f} minutes old"


@given("the chart's backup CronJob rendered with a retention of {count:d}")
def step_retention(context, count):
    _job(context, **{"backup.retention": str(count)})


@when("it runs {times:d} times against the platform")
def step_runs(context, times):
    context.backup_keys = []
    for _ in range(times):
        context.target.run_backup_job(context.backup_job)
        context.backup_keys.append(context.target.backups(context.backup_job)[-1].folder)


@then("the bucket holds its {count:d} newest backups and not the oldest")
def step_kept(context, count):
    kept = [backup.folder for backup in context.target.backups(context.backup_job)]
    attach_json("backups", {"written": context.backup_keys, "kept": kept})
    assert kept == context.backup_keys[-count:], f"kept {kept}, written {context.backup_keys}"


@then("the backup holds a dump of the MLflow database and one of the users' database")
def step_both_dumps(context):
    names = sorted(key.rsplit("/", 1)[-1] for key in context.newest_backup.keys if key.endswith(".dump"))
    assert names == sorted([DUMP_NAME, AUTH_DUMP_NAME]), f"the backup holds {names}"


@then('"{name}" logs in to the restored server with her password and renames her experiment')
def step_user_renames(context, name):
    login, password, experiment_id = context.user
    MlflowApi(context.restored.url, (login, password)).call(
        "POST", f"{API}/experiments/update", json={"experiment_id": experiment_id, "new_name": f"{login}-restored"})


@then('the restored server\'s auth API reports "{name}" with MANAGE permission on it')
def step_permission_back(context, name):
    login, _, experiment_id = context.user
    permission = MlflowApi(context.restored.url, context.auth_admin).user_permission(login, "experiment", experiment_id)
    assert permission == "MANAGE", f"{name} holds {permission}"


@then('the restored server refuses "{name}" with a wrong password')
def step_wrong_password(context, name):
    status = MlflowApi(context.restored.url, (context.user[0], "not-her-password")).status_of(
        "GET", f"{API}/experiments/search", params={"max_results": 1})
    assert status == 401, f"a wrong password got {status}"


def _newest(context):
    return newest_good(context.target.backups(context.backup_job))


@then("the newest backup's manifest records each dump's size, sha256 and what pg_restore listed, matching the stored dumps")
def step_manifest(context):
    attach_json("manifest", _newest(context).manifest)
    problems = manifest_problems(world(context).platform.s3_client(), _newest(context))
    assert not problems, "; ".join(problems)


@then('every object of the newest backup was stored with server-side encryption "{algorithm}"')
def step_encrypted(context, algorithm):
    stored = stored_encryption(world(context).platform.s3_client(), _newest(context))
    attach_json("server-side encryption of each object", stored)
    assert set(stored.values()) == {algorithm}, stored


@given("the chart's backup CronJob has written a backup")
def step_one_backup(context):
    context.target.run_backup_job(_job(context))
    context.backups_before = [backup.folder for backup in context.target.backups(context.backup_job)]


@when("the CronJob runs while the database cannot be reached")
def step_backup_no_database(context):
    try:
        context.target.run_backup_job(context.backup_job, reachable=False)
        context.backup_failure = None
    except ServiceFailed as failed:
        context.backup_failure = str(failed)
    attach_text("backup job failure", context.backup_failure or "(it did not fail)")


@then("the CronJob fails with pg_dump's message that it could not connect")
def step_backup_failed(context):
    failure = context.backup_failure or ""
    assert "container dump failed" in failure and "connection" in failure.lower(), failure or "it did not fail"


@then("the backups in the bucket are exactly those before, the newest good one included")
def step_backups_kept(context):
    after = context.target.backups(context.backup_job)
    assert [backup.folder for backup in after] == context.backups_before and after[-1].good, after


@given("the newest backup's MLflow dump is damaged in the bucket")
def step_damage(context):
    damage(world(context).platform.s3_client(), _newest(context), DUMP_NAME)


@when("the newest backup is restored onto a new PostgreSQL and S3 store")
def step_restore_refused(context):
    newest = _newest(context)
    context.damaged_folder = newest.folder
    try:
        context.add_cleanup(context.target.stop_restored, context.target.restored_platform(context.backup_job, newest))
        context.restore_failure = None
    except ServiceFailed as refused:
        context.restore_failure = str(refused)


@then("the restore is refused with a message naming the damaged dump and its backup")
def step_refused(context):
    failure = context.restore_failure or "the restore went through"
    assert DUMP_NAME in failure and context.damaged_folder in failure and "damaged" in failure, failure


@when("a user asks MLflow's artifact proxy for the newest backup's MLflow dump")
def step_proxy(context):
    api = MlflowApi(world(context).platform.mlflow_url)
    context.proxied = api.proxied_object(_newest(context).key_of(DUMP_NAME))


@then("the proxy hands out no dump: it answers with an error, not the file")
def step_proxy_refused(context):
    status, body = context.proxied  # MLflow 3.17 answers a missing object with 500 INTERNAL_ERROR
    assert status >= 400 and not body.startswith(b"PGDMP"), f"{status}: {body[:80]!r}"
