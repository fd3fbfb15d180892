"""mlflow/backup-cronjob.yaml: off by default; on, a restricted CronJob that dumps the database with the
password from its Secret, writes to the configured bucket and keeps the configured number of backups."""

import pytest

from harness import chart
from harness.chart.storage import bucket_job_script, buckets_created


def test_the_backup_cronjob_is_off_by_default_and_restricted_when_on():
    assert chart.render("standalone-submit", "4.1.1").of_kind("CronJob") == []
    rendered = chart.render("standalone-submit", "4.1.1", {
        "backup.enabled": "true", "backup.retention": "7", "backup.bucket": "mlflow-backups",
        "backup.nodeSelector.pool": "ops"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    assert chart.restricted_violations(rendered) == []
    cronjob = rendered.named("CronJob", "-backup")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = rendered.pod_named("CronJob", "-backup")
    assert pod["nodeSelector"] == {"pool": "ops"} and pod["automountServiceAccountToken"] is False
    upload = chart.env_values(pod["containers"][0])
    assert (upload["BACKUP_BUCKET"], upload["BACKUP_RETENTION"]) == ("mlflow-backups", "7")
    # The password reaches pg_dump from the Secret, never as an argument.
    assert not any("PASSWORD" in arg for arg in pod["initContainers"][0]["args"])


def test_backups_need_mlflow_and_a_sane_schedule():
    with pytest.raises(chart.RenderFailed, match="need mlflow.enabled=true"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "mlflow.enabled": "false"})
    with pytest.raises(chart.RenderFailed, match="schedule"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "backup.schedule": "hourly"})


def test_the_dumps_go_to_a_bucket_of_their_own_which_the_bucket_job_creates():
    rendered = chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true"})
    upload = chart.env_values(rendered.pod_named("CronJob", "-backup")["containers"][0])
    assert upload["BACKUP_BUCKET"] == "mlflow-backups" != chart.artifact_bucket(rendered)
    assert "mlflow-backups" in buckets_created(bucket_job_script(rendered))
    with pytest.raises(chart.RenderFailed, match="must not be the artifact bucket"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "backup.bucket": "mlflow-artifacts"})


def test_with_basic_auth_the_users_database_is_dumped_too():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "backup.enabled": "true", "mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "x" * 16})
    dumps = {c["name"]: c.get("args") for c in rendered.pod_named("CronJob", "-backup")["initContainers"]}
    assert "--dbname=$(MLFLOW_DB_NAME)" in dumps["dump"] and "--file=/tmp/mlflow.dump" in dumps["dump"]
    # Before an upgrade that turns auth on, the users' database does not exist yet: it is skipped, not a failure.
    assert "--dbname=mlflow_auth --file=/tmp/auth.dump" in dumps["dump-auth"][0]
    assert "nothing of it to back up" in dumps["dump-auth"][0]


def test_an_external_database_needs_a_dump_image_of_its_major_version():
    external = {"backup.enabled": "true", "mlflow.postgresql.enabled": "false",
                "mlflow.postgresql.host": "db.example.com", "mlflow.postgresql.existingSecret": "db"}
    with pytest.raises(chart.RenderFailed, match="need backup.image"):
        chart.render("standalone-submit", "4.1.1", external)
    rendered = chart.render("standalone-submit", "4.1.1", {
        **external, "backup.image.repository": "postgres", "backup.image.tag": "17-alpine"})
    assert {c["image"] for c in rendered.pod_named("CronJob", "-backup")["initContainers"]} == {"postgres:17-alpine"}


def test_every_dump_is_listed_by_pg_restore_before_the_upload_and_uploads_ask_for_encryption():
    rendered = chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true"})
    pod = rendered.pod_named("CronJob", "-backup")
    verify = next(c for c in pod["initContainers"] if c["name"] == "verify-dump")
    assert verify["command"] == ["pg_restore"] and verify["args"][-1] == "/tmp/mlflow.dump"
    assert [c["name"] for c in pod["initContainers"]].index("verify-dump") > \
        [c["name"] for c in pod["initContainers"]].index("dump")
    upload = chart.env_values(pod["containers"][0])
    assert upload["BACKUP_SSE"] == "AES256"
    script = pod["containers"][0]["args"][0]
    assert script.index('"/manifest.json"') > script.index("store.upload_file")  # the manifest goes last
    assert "an empty database is not a backup" in script
    with pytest.raises(chart.RenderFailed, match="serverSideEncryption"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "backup.serverSideEncryption": "DES"})
