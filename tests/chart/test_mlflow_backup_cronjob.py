"""mlflow/backup-cronjob.yaml: off by default; on, a restricted CronJob that dumps the database with the
password from its Secret, writes to the configured bucket and keeps the configured number of backups."""

import pytest

from harness import chart


def test_the_backup_cronjob_is_off_by_default_and_restricted_when_on():
    assert chart.render("standalone-submit", "4.1.1").of_kind("CronJob") == []
    rendered = chart.render("standalone-submit", "4.1.1", {
        "backup.enabled": "true", "backup.retention": "7", "backup.bucket": "mlflow-backups",
        "backup.nodeSelector.pool": "ops"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    assert chart.restricted_violations(rendered) == []
    cronjob = rendered.named("CronJob", "-backup")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = rendered.pod_of("backup")
    assert pod["nodeSelector"] == {"pool": "ops"} and pod["automountServiceAccountToken"] is False
    upload = chart.env_values(pod["containers"][0])
    assert (upload["BACKUP_BUCKET"], upload["BACKUP_RETENTION"]) == ("mlflow-backups", "7")
    # The password reaches pg_dump from the Secret, never as an argument.
    assert not any("PASSWORD" in arg for arg in pod["initContainers"][0]["args"])


def test_backups_need_mlflow_and_a_sane_schedule():
    with pytest.raises(chart.RenderFailed, match="needs mlflow.enabled=true"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "mlflow.enabled": "false"})
    with pytest.raises(chart.RenderFailed, match="schedule"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "backup.schedule": "hourly"})
