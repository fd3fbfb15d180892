"""Steps about the chart's backup and restore Jobs (seed 003's disaster recovery, RTO and RPO)."""

import datetime
import secrets
import time

from behave import given, then, when

from harness import recovery
from harness.errors import ServiceFailed
from harness.mlflow.api import MlflowApi
from harness.mlflow.backup import (DUMP_NAME, BackupJob, artifact_listing, damage, manifest_problems, mirror_index,
                                   newest_good, schema_revision_of_dump, stored_encryption)
from harness.mlflow.samples import write_sample_run
from harness.mlflow.snapshot import snapshot_differences, snapshot_size, tracking_snapshot
from harness.names import unique_name
from support.reporting import attach_json, attach_text
from support.scenario import world

# A platform whose backups go to a store apart from its artifacts (the local target starts that store).
APART_VALUES = {"mlflow.auth.enabled": "true", "backup.store.endpointUrl": "http://backup-store.example:9000"}


def _job(context, before_upgrade=False, **values):
    """The backup Job rendered to write under a prefix of this scenario's own."""
    overrides = {"backup.prefix": f"backups/{unique_name('scenario')}", **values}
    context.backup_job = BackupJob.rendered_with(overrides, before_upgrade)
    return context.backup_job


def _run_backup(context, job, **where):
    started = time.monotonic()
    attach_text("backup job output", context.target.run_backup_job(job, **where))
    context.backup_seconds = time.monotonic() - started


def _newest(context):
    return newest_good(context.target.backups(context.backup_job))


def _store(context):
    return context.target.backup_store_client(context.backup_job)


@given("a platform of its own with basic auth, whose backups go to a store apart from its artifacts")
def step_own_platform(context):
    context.own_values = {**APART_VALUES, "mlflow.auth.adminPassword": secrets.token_urlsafe(16)}
    context.own = context.target.own_platform(context.own_values)
    context.add_cleanup(context.target.stop_own_platform, context.own)
    context.auth_admin = context.own.admin


@given('it holds runs, artifacts, registered models with aliases, a model that predicts, and "{name}" with her '
       'experiment')
def step_fill_own_platform(context, name):
    context.own_data = recovery.fill(context.own.url, context.own.admin, name, context.scenario_dir)
    context.user = context.own_data.user


@when("the chart's backup CronJob runs against it")
def step_backup_own_platform(context):
    job = _job(context, **context.own_values)
    _run_backup(context, job, platform=context.own)
    context.snapshot_at_backup = tracking_snapshot(MlflowApi(context.own.url, context.own.admin))
    attach_json("what the platform held at the backup", snapshot_size(context.snapshot_at_backup))


@when("a run is logged after that backup")
def step_run_after_backup(context):
    api = MlflowApi(context.own.url, context.own.admin)
    context.late_run = write_sample_run(api, api.experiment_id_for("after-the-backup")).run


@when("its PostgreSQL and its object store are both destroyed")
def step_destroy(context):
    context.own.destroy()
    context.lost_at = datetime.datetime.now(datetime.timezone.utc)


@when("the chart's restore Job brings the newest backup onto a new PostgreSQL and a new, empty object store, and "
      "the chart's MLflow pod starts on them")
def step_restore_own_platform(context):
    context.newest_backup = _newest(context)
    context.restored = context.target.restored_platform(context.backup_job, context.newest_backup.name,
                                                        context.own.database)
    context.add_cleanup(context.target.stop_own_platform, context.restored)
    attach_json("restore", {"backup": context.newest_backup.folder, "manifest": context.newest_backup.manifest,
                            "restore wall time, RTO (s)": round(context.restored.seconds, 1)})


@then("every experiment, run, metric history, artifact, model version and alias from before the backup reads back "
      "through the restored server as it was")
def step_everything_back(context):
    restored = tracking_snapshot(MlflowApi(context.restored.url, context.auth_admin))
    attach_json("what the restored platform holds", snapshot_size(restored))
    differences = snapshot_differences(context.snapshot_at_backup, restored)
    assert not differences, "; ".join(differences[:10])


@then("the run logged after the backup is the data lost, and it is younger than the backup was old at the loss")
def step_data_lost(context):
    status = MlflowApi(context.restored.url, context.auth_admin).run_status_code(context.late_run.run_id)
    rpo = context.lost_at - context.newest_backup.taken_at
    started = datetime.datetime.fromtimestamp(context.late_run.start_time / 1000, datetime.timezone.utc)
    attach_text("RPO", f"the newest backup was {rpo.total_seconds():.1f} s old when the platform was lost; the run "
                       f"logged {(context.lost_at - started).total_seconds():.1f} s before the loss is gone")
    assert status == 404, f"the run logged after the backup answers {status} on the restored server"
    assert context.newest_backup.taken_at < started < context.lost_at, (context.newest_backup.taken_at, started)


@then("the registered model loads by its alias through the restored server and predicts as before")
def step_model_predicts(context):
    predicted = recovery.predictions(context.restored.url, context.auth_admin, context.scenario_dir)
    attach_json("predictions", {"before the loss": context.own_data.predictions, "restored": predicted})
    assert predicted == context.own_data.predictions


@then('"{name}" reads her experiment on the restored server with her password')
def step_user_reads(context, name):
    login, password, experiment_id = context.user
    status = MlflowApi(context.restored.url, (login, password)).experiment_status_code(experiment_id)
    assert status == 200, f"{name} reading her experiment with her password got {status}"


@then('the restored server\'s auth API reports "{name}" with MANAGE permission on it')
def step_permission_back(context, name):
    login, _, experiment_id = context.user
    permission = MlflowApi(context.restored.url, context.auth_admin).user_permission(login, "experiment", experiment_id)
    assert permission == "MANAGE", f"{name} holds {permission}"


@then('the restored server refuses "{name}" with a wrong password')
def step_wrong_password(context, name):
    login, _, experiment_id = context.user
    status = MlflowApi(context.restored.url, (login, "not-her-password")).experiment_status_code(experiment_id)
    assert status == 401, f"a wrong password got {status}"


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


@when("the chart's backup CronJob runs against the platform")
def step_backup_runs(context):
    _run_backup(context, _job(context))


@then("the newest backup's manifest records each dump's size, sha256 and what pg_restore listed, and its artifact "
      "listing, matching what is stored")
def step_manifest(context):
    attach_json("manifest", _newest(context).manifest)
    problems = manifest_problems(_store(context), _newest(context))
    assert not problems, "; ".join(problems)


@then('every object of the newest backup was stored with server-side encryption "{algorithm}"')
def step_encrypted(context, algorithm):
    stored = stored_encryption(_store(context), _newest(context))
    attach_json("server-side encryption of each object", stored)
    assert set(stored.values()) == {algorithm}, stored


@given("the chart's backup CronJob has written a backup")
def step_one_backup(context):
    _run_backup(context, _job(context))
    context.backups_before = [backup.folder for backup in context.target.backups(context.backup_job)]


@given("a run has logged an artifact")
def step_first_artifact(context):
    context.first_run = write_sample_run(MlflowApi(world(context).platform.mlflow_url)).run


@given("another run has logged an artifact")
def step_second_artifact(context):
    context.second_run = write_sample_run(MlflowApi(world(context).platform.mlflow_url)).run


@when("the CronJob runs again")
def step_backup_again(context):
    context.listing_before = artifact_listing(_store(context), _newest(context))
    context.index_before = mirror_index(_store(context), context.backup_job)
    _run_backup(context, context.backup_job)


def _of_run(keys, run):
    return [key for key in keys if f"/{run.run_id}/" in key]


@then("the newest backup lists both runs' artifacts and every artifact the backup before listed")
def step_listing_grows(context):
    listing = artifact_listing(_store(context), _newest(context))
    attach_json("artifacts", {"listed before": len(context.listing_before), "listed now": len(listing)})
    assert _of_run(listing, context.first_run) and _of_run(listing, context.second_run), "a run's artifact is missing"
    assert set(context.listing_before) <= set(listing), set(context.listing_before) - set(listing)


@then("it copied exactly the artifacts its mirror had not seen: the second run's, not the first's")
def step_copied_only_new(context):
    listing = artifact_listing(_store(context), _newest(context))
    unseen = [key for key, seen in listing.items() if context.index_before.get(key) != seen]
    copied = _newest(context).manifest["artifacts"]["copied"]
    attach_json("mirror", {"copied": copied, "unseen by the mirror": unseen})
    assert copied == len(unseen), f"copied {copied} objects, the mirror had not seen {len(unseen)}"
    assert _of_run(unseen, context.second_run) and not _of_run(unseen, context.first_run), unseen


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
    damage(_store(context), _newest(context), DUMP_NAME)


@when("the chart's restore Job brings the newest backup onto a new PostgreSQL and S3 store")
def step_restore_refused(context):
    newest = _newest(context)
    context.damaged_folder = newest.folder
    try:
        restored = context.target.restored_platform(context.backup_job, "latest")
        context.add_cleanup(context.target.stop_own_platform, restored)
        context.restore_failure = None
    except ServiceFailed as refused:
        context.restore_failure = str(refused)
    attach_text("restore failure", context.restore_failure or "(the restore went through)")


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


@when("the chart is upgraded onto that database with backups on: its pre-upgrade backup Job runs, then its MLflow "
      "pod starts")
def step_upgrade_with_backup(context):
    context.revision_before = context.target.schema_revision(context.legacy_database)
    _run_backup(context, _job(context, before_upgrade=True), database=context.legacy_database)
    context.variant = context.target.mlflow_variant({}, context.legacy_database)
    context.add_cleanup(context.target.stop_variant, context.variant)


@then("the pre-upgrade backup holds that database at MLflow {version}'s schema revision")
def step_backup_before_migration(context, version):
    newest = _newest(context)
    dump = context.scenario_dir / DUMP_NAME
    _store(context).download_file(newest.bucket, newest.key_of(DUMP_NAME), str(dump))
    in_dump = schema_revision_of_dump(dump)
    attach_text("schema revisions", f"MLflow {version} database before the upgrade: {context.revision_before}\n"
                                    f"in the pre-upgrade backup: {in_dump}")
    assert in_dump == context.revision_before, f"the backup holds {in_dump}, the database was at {context.revision_before}"
