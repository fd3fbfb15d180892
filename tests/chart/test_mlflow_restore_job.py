"""mlflow/restore-job.yaml: off by default; on, a restricted Job that fetches a backup (checked against its
manifest) and its artifacts, then loads the dumps, the MLflow database last in one transaction."""

import pytest

from harness import chart

RESTORE = {"restore.enabled": "true"}


def test_no_restore_job_unless_asked():
    assert not any(job["metadata"]["name"].endswith("-restore")
                   for job in chart.render("standalone-submit", "4.1.1").of_kind("Job"))


def test_the_restore_job_fetches_then_loads_under_the_restricted_profile():
    rendered = chart.render("standalone-submit", "4.1.1", {**RESTORE, "restore.from": "20261206T123000.123456Z"})
    assert chart.restricted_violations(rendered) == [] and chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    job = rendered.named("Job", "-restore")
    assert job["spec"]["backoffLimit"] == 2 and "helm.sh/hook" not in job["metadata"].get("annotations", {})
    pod = rendered.pod_named("Job", "-restore")
    fetch, load = pod["initContainers"][0], pod["containers"][0]
    assert (fetch["name"], load["name"]) == ("fetch", "load")
    assert chart.env_values(fetch)["RESTORE_FROM"] == "20261206T123000.123456Z"
    script = load["args"][0]
    assert "--single-transaction" in script and script.rstrip().endswith('echo "RESTORED the database $MLFLOW_DB_NAME"')
    assert "already holds" in script  # a database with tables is refused


def test_with_basic_auth_the_users_database_is_loaded_before_the_mlflow_database():
    rendered = chart.render("standalone-submit", "4.1.1", {**RESTORE, "mlflow.auth.enabled": "true",
                                                          "mlflow.auth.adminPassword": "x" * 16})
    script = rendered.pod_named("Job", "-restore")["containers"][0]["args"][0]
    assert script.index("/tmp/auth.dump") < script.index("/tmp/mlflow.dump")


def test_restore_from_is_latest_or_a_backup_name():
    with pytest.raises(chart.RenderFailed, match="from"):
        chart.render("standalone-submit", "4.1.1", {**RESTORE, "restore.from": "yesterday"})


def test_an_external_database_is_restored_with_the_dump_image():
    rendered = chart.render("standalone-submit", "4.1.1", {
        **RESTORE, "mlflow.postgresql.enabled": "false", "mlflow.postgresql.host": "db.example.com",
        "mlflow.postgresql.existingSecret": "db", "backup.image.repository": "postgres", "backup.image.tag": "17-alpine"})
    assert rendered.pod_named("Job", "-restore")["containers"][0]["image"] == "postgres:17-alpine"


def test_while_restoring_no_backup_runs():
    """A backup of the still empty database would become the newest and, after retention, the only one."""
    rendered = chart.render("standalone-submit", "4.1.1", {**RESTORE, "backup.enabled": "true"})
    assert rendered.of_kind("CronJob") == []
    assert not any(job["metadata"]["name"].endswith("-backup-before-upgrade") for job in rendered.of_kind("Job"))


def test_with_minio_tls_the_fetch_trusts_the_stores_ca():
    pod = chart.render("standalone-submit", "4.1.1", {**RESTORE, "minio.tls.enabled": "true",
                                                      "minio.tls.existingSecret": "store-certs"}).pod_named("Job", "-restore")
    fetch = next(c for c in pod["initContainers"] if "AWS_CA_BUNDLE" in chart.env_values(c))
    assert chart.secret_files(pod, fetch)[chart.env_values(fetch)["AWS_CA_BUNDLE"]] == ("store-certs", "ca.crt")
