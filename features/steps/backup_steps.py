"""Steps about the chart's backup and restore Jobs (seed 003's disaster recovery, RTO and RPO)."""

import datetime
import secrets
import time

from behave import given, then, when

from harness import recovery
from harness.errors import failure_of
from harness.mlflow.api import MlflowApi
from harness.mlflow.backup import (DUMP_NAME, BackupJob, artifact_listing, damage, manifest_problems, mirror_index,
                                   newest_good, schema_revision_of_dump, stored_encryption)
from harness.mlflow.samples import write_sample_run
from harness.mlflow.snapshot import snapshot_differences, snapshot_size, tracking_snapshot
from harness.names import unique_name
from support.reporting import attach_json, attach_text
from harness.targets.abilities import HandsOutDatabases, RunsBackupJobs
from support.scenario import able, started_server, world

# A platform whose backups go to a store apart from its artifacts (the local target starts that store).
APART_VALUES = {"mlflow.auth.enabled": "true", "backup.store.endpointUrl": "http://backup-store.example:9000"}


def _jobs(context) -> RunsBackupJobs:
    return able(context, RunsBackupJobs)


def _job(context, before_upgrade=False, **values):
    """The backup Job rendered to write under a prefix of this scenario's own."""
    backup = world(context).backup
    overrides = {"backup.prefix": f"backups/{unique_name('scenario')}", **values}
    backup.job = BackupJob.rendered_with(overrides, before_upgrade)
    return backup.job


def _run_backup(context, job, **where):
    backup = world(context).backup
    started = time.monotonic()
    attach_text("backup job output", _jobs(context).run_backup_job(job, **where))
    backup.seconds = time.monotonic() - started


def _newest(context):
    return newest_good(_jobs(context).backups(world(context).backup.job))


def _store(context):
    return _jobs(context).backup_store_client(world(context).backup.job)


def _restored(context, backup_from, database=None):
    """The chart's restore Job's platform from the scenario's backups, stopped when the scenario ends."""
    restored = _jobs(context).restored_platform(world(context).backup.job, backup_from, database)
    context.add_cleanup(_jobs(context).stop_own_platform, restored)
    return restored


@given("a platform of its own with basic auth, whose backups go to a store apart from its artifacts")
def step_own_platform(context):
    backup = world(context).backup
    backup.own_values = {**APART_VALUES, "mlflow.auth.adminPassword": secrets.token_urlsafe(16)}
    backup.own = _jobs(context).own_platform(backup.own_values)
    context.add_cleanup(_jobs(context).stop_own_platform, backup.own)


@given('it holds runs, artifacts, registered models with aliases, a model that predicts, and "{name}" with her '
       'experiment')
def step_fill_own_platform(context, name):
    backup = world(context).backup
    backup.own_data = recovery.fill(backup.own.url, backup.own.admin, name, world(context).folder)


@when("the chart's backup CronJob runs against it")
def step_backup_own_platform(context):
    backup = world(context).backup
    job = _job(context, **backup.own_values)
    _run_backup(context, job, platform=backup.own)
    backup.at_backup = tracking_snapshot(MlflowApi(backup.own.url, backup.own.admin))
    attach_json("what the platform held at the backup", snapshot_size(backup.at_backup))


@when("a run is logged after that backup")
def step_run_after_backup(context):
    backup = world(context).backup
    api = MlflowApi(backup.own.url, backup.own.admin)
    backup.late_run = write_sample_run(api, api.experiment_id_for("after-the-backup")).run


@when("its PostgreSQL and its object store are both destroyed")
def step_destroy(context):
    backup = world(context).backup
    backup.own.destroy()
    backup.lost_at = datetime.datetime.now(datetime.timezone.utc)


@when("the chart's restore Job brings the newest backup onto a new PostgreSQL and a new, empty object store, and "
      "the chart's MLflow pod starts on them")
def step_restore_own_platform(context):
    backup = world(context).backup
    backup.restored_from = _newest(context)
    backup.restored = _restored(context, backup.restored_from.name, backup.own.database)
    attach_json("restore", {"backup": backup.restored_from.folder, "manifest": backup.restored_from.manifest,
                            "restore wall time, RTO (s)": round(backup.restored.seconds, 1)})


@then("every experiment, run, metric history, artifact, model version and alias from before the backup reads back "
      "through the restored server as it was")
def step_everything_back(context):
    backup = world(context).backup
    restored = tracking_snapshot(MlflowApi(backup.restored.url, backup.own.admin))
    attach_json("what the restored platform holds", snapshot_size(restored))
    differences = snapshot_differences(backup.at_backup, restored)
    assert not differences, "; ".join(differences[:10])


@then("the run logged after the backup is the data lost, and it is younger than the backup was old at the loss")
def step_data_lost(context):
    backup = world(context).backup
    status = MlflowApi(backup.restored.url, backup.own.admin).run_status_code(backup.late_run.run_id)
    rpo = backup.lost_at - backup.restored_from.taken_at
    started = datetime.datetime.fromtimestamp(backup.late_run.start_time / 1000, datetime.timezone.utc)
    attach_text("RPO", f"the newest backup was {rpo.total_seconds():.1f} s old when the platform was lost; the run "
                       f"logged {(backup.lost_at - started).total_seconds():.1f} s before the loss is gone")
    assert status == 404, f"the run logged after the backup answers {status} on the restored server"
    assert backup.restored_from.taken_at < started < backup.lost_at, (backup.restored_from.taken_at, started)


@then("the registered model loads by its alias through the restored server and predicts as before")
def step_model_predicts(context):
    backup = world(context).backup
    predicted = recovery.predictions(backup.restored.url, backup.own.admin, world(context).folder)
    attach_json("predictions", {"before the loss": backup.own_data.predictions, "restored": predicted})
    assert predicted == backup.own_data.predictions


@then('"{name}" reads her experiment on the restored server with her password')
def step_user_reads(context, name):
    backup = world(context).backup
    login, password, experiment_id = backup.own_data.user
    status = MlflowApi(backup.restored.url, (login, password)).experiment_status_code(experiment_id)
    assert status == 200, f"{name} reading her experiment with her password got {status}"


@then('the restored server\'s auth API reports "{name}" with MANAGE permission on it')
def step_permission_back(context, name):
    backup = world(context).backup
    login, _, experiment_id = backup.own_data.user
    permission = MlflowApi(backup.restored.url, backup.own.admin).user_permission(login, "experiment", experiment_id)
    assert permission == "MANAGE", f"{name} holds {permission}"


@then('the restored server refuses "{name}" with a wrong password')
def step_wrong_password(context, name):
    backup = world(context).backup
    login, _, experiment_id = backup.own_data.user
    status = MlflowApi(backup.restored.url, (login, "not-her-password")).experiment_status_code(experiment_id)
    assert status == 401, f"a wrong password got {status}"


@then("the restore took less than {minutes:d} minutes")
def step_rto(context, minutes):
    backup = world(context).backup
    assert backup.restored.seconds < minutes * 60, f"the restore took {backup.restored.seconds:.0f} s"


@then("the chart's backup schedule keeps the newest backup less than {minutes:d} minutes old")
def step_rpo(context, minutes):
    backup = world(context).backup
    gap = backup.job.longest_gap()
    worst = gap.total_seconds() + backup.seconds
    attach_text("RPO", f"schedule {backup.job.schedule!r}: longest gap {gap}, one backup took "
                       f"{backup.seconds:.1f} s, so the newest backup is at most {worst / 60:.1f} min old")
    assert worst < minutes * 60, f"with {backup.job.schedule!r} a backup can be {worst / 60:.1f} minutes old"


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
    backup = world(context).backup
    _run_backup(context, _job(context))
    backup.folders_before = [written.folder for written in _jobs(context).backups(backup.job)]


@given("a run has logged an artifact")
def step_first_artifact(context):
    backup = world(context).backup
    backup.first_run = write_sample_run(MlflowApi(world(context).platform.mlflow_url)).run


@given("another run has logged an artifact")
def step_second_artifact(context):
    backup = world(context).backup
    backup.second_run = write_sample_run(MlflowApi(world(context).platform.mlflow_url)).run


@when("the CronJob runs again")
def step_backup_again(context):
    backup = world(context).backup
    backup.listing_before = artifact_listing(_store(context), _newest(context))
    backup.mirror_before = mirror_index(_store(context), backup.job)
    _run_backup(context, backup.job)


def _of_run(keys, run):
    return [key for key in keys if f"/{run.run_id}/" in key]


@then("the newest backup lists both runs' artifacts and every artifact the backup before listed")
def step_listing_grows(context):
    backup = world(context).backup
    listing = artifact_listing(_store(context), _newest(context))
    attach_json("artifacts", {"listed before": len(backup.listing_before), "listed now": len(listing)})
    assert _of_run(listing, backup.first_run) and _of_run(listing, backup.second_run), "a run's artifact is missing"
    assert set(backup.listing_before) <= set(listing), set(backup.listing_before) - set(listing)


@then("it copied exactly the artifacts its mirror had not seen: the second run's, not the first's")
def step_copied_only_new(context):
    backup = world(context).backup
    listing = artifact_listing(_store(context), _newest(context))
    unseen = [key for key, seen in listing.items() if backup.mirror_before.get(key) != seen]
    copied = _newest(context).manifest["artifacts"]["copied"]
    attach_json("mirror", {"copied": copied, "unseen by the mirror": unseen})
    assert copied == len(unseen), f"copied {copied} objects, the mirror had not seen {len(unseen)}"
    assert _of_run(unseen, backup.second_run) and not _of_run(unseen, backup.first_run), unseen


@when("the CronJob runs while the database cannot be reached")
def step_backup_no_database(context):
    backup = world(context).backup
    backup.failure = failure_of(lambda: _jobs(context).run_backup_job(backup.job, reachable=False))
    attach_text("backup job failure", backup.failure or "(it did not fail)")


@then("the CronJob fails with pg_dump's message that it could not connect")
def step_backup_failed(context):
    backup = world(context).backup
    failure = backup.failure or ""
    assert "container dump failed" in failure and "connection" in failure.lower(), failure or "it did not fail"


@then("the backups in the bucket are exactly those before, the newest good one included")
def step_backups_kept(context):
    backup = world(context).backup
    after = _jobs(context).backups(backup.job)
    assert [written.folder for written in after] == backup.folders_before and after[-1].good, after


@given("the newest backup's MLflow dump is damaged in the bucket")
def step_damage(context):
    damage(_store(context), _newest(context), DUMP_NAME)


@when("the chart's restore Job brings the newest backup onto a new PostgreSQL and S3 store")
def step_restore_refused(context):
    backup = world(context).backup
    backup.damaged_folder = _newest(context).folder
    backup.restore_failure = failure_of(lambda: _restored(context, "latest"))
    attach_text("restore failure", backup.restore_failure or "(the restore went through)")


@then("the restore is refused with a message naming the damaged dump and its backup")
def step_refused(context):
    backup = world(context).backup
    failure = backup.restore_failure or "the restore went through"
    assert DUMP_NAME in failure and backup.damaged_folder in failure and "damaged" in failure, failure


@when("a user asks MLflow's artifact proxy for the newest backup's MLflow dump")
def step_proxy(context):
    backup = world(context).backup
    api = MlflowApi(world(context).platform.mlflow_url)
    backup.proxied = api.proxied_object(_newest(context).key_of(DUMP_NAME))


@then("the proxy hands out no dump: it answers with an error, not the file")
def step_proxy_refused(context):
    backup = world(context).backup
    status, body = backup.proxied  # MLflow 3.17 answers a missing object with 500 INTERNAL_ERROR
    assert status >= 400 and not body.startswith(b"PGDMP"), f"{status}: {body[:80]!r}"


@given("the chart's backup CronJob rendered with a retention of {count:d}")
def step_retention(context, count):
    _job(context, **{"backup.retention": str(count)})


@when("it runs {times:d} times against the platform")
def step_runs(context, times):
    backup = world(context).backup
    backup.written = []
    for _ in range(times):
        _jobs(context).run_backup_job(backup.job)
        backup.written.append(_jobs(context).backups(backup.job)[-1].folder)


@then("the bucket holds its {count:d} newest backups and not the oldest")
def step_kept(context, count):
    backup = world(context).backup
    kept = [written.folder for written in _jobs(context).backups(backup.job)]
    attach_json("backups", {"written": backup.written, "kept": kept})
    assert kept == backup.written[-count:], f"kept {kept}, written {backup.written}"


@when("the chart is upgraded onto that database with backups on: its pre-upgrade backup Job runs, then its MLflow "
      "pod starts")
def step_upgrade_with_backup(context):
    current = world(context)
    database = current.carry_over.legacy_database
    current.carry_over.revision_before = able(context, HandsOutDatabases).schema_revision(database)
    _run_backup(context, _job(context, before_upgrade=True), database=database)
    current.server.variant = started_server(context, {}, database)


@then("the pre-upgrade backup holds that database at MLflow {version}'s schema revision")
def step_backup_before_migration(context, version):
    newest = _newest(context)
    dump = world(context).folder / DUMP_NAME
    _store(context).download_file(newest.bucket, newest.key_of(DUMP_NAME), str(dump))
    in_dump, before = schema_revision_of_dump(dump), world(context).carry_over.revision_before
    attach_text("schema revisions", f"MLflow {version} database before the upgrade: {before}\n"
                                    f"in the pre-upgrade backup: {in_dump}")
    assert in_dump == before, f"the backup holds {in_dump}, the database was at {before}"
