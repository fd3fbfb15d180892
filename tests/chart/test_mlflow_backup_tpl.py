"""mlflow/_backup.tpl: the backup pod the CronJob and the pre-upgrade Job share, the backup store (the artifact
store unless backup.store names another) and what a backup or a restore refuses."""

import pytest

from harness import chart

BACKUP = {"backup.enabled": "true"}


def test_the_cronjob_and_the_pre_upgrade_job_run_the_same_pod():
    rendered = chart.render("standalone-submit", "4.1.1", BACKUP)
    assert rendered.pod_named("CronJob", "-backup") == rendered.pod_named("Job", "-backup-before-upgrade")


def test_by_default_the_backups_go_to_the_artifact_store_with_its_keys():
    upload = rendered_upload(BACKUP)
    assert chart.env_values(upload)["BACKUP_S3_ENDPOINT_URL"] == ""  # the script falls back to the artifact store's
    assert not any(entry["name"].startswith("BACKUP_AWS_") for entry in upload["env"])


def test_a_store_apart_gets_its_endpoint_and_the_keys_of_its_own_secret():
    upload = rendered_upload({**BACKUP, "backup.store.endpointUrl": "https://backups.example.com",
                              "backup.store.existingSecret": "backup-keys"})
    assert chart.env_values(upload)["BACKUP_S3_ENDPOINT_URL"] == "https://backups.example.com"
    keys = {entry["name"]: entry["valueFrom"]["secretKeyRef"] for entry in upload["env"]
            if entry["name"].startswith("BACKUP_AWS_")}
    assert keys == {"BACKUP_AWS_ACCESS_KEY_ID": {"name": "backup-keys", "key": "access-key"},
                    "BACKUP_AWS_SECRET_ACCESS_KEY": {"name": "backup-keys", "key": "secret-key"}}
    with pytest.raises(chart.RenderFailed, match="endpointUrl"):
        chart.render("standalone-submit", "4.1.1", {**BACKUP, "backup.store.endpointUrl": "backups.example.com"})


def test_the_artifacts_are_mirrored_under_a_prefix_apart_from_the_dumps():
    assert chart.env_values(rendered_upload(BACKUP))["BACKUP_ARTIFACTS_PREFIX"] == "backups/artifacts"
    for prefix, mirror in (("backups", "backups/artifacts"), ("backups/mlflow/x", "backups/mlflow")):
        with pytest.raises(chart.RenderFailed, match="must not lie one under the other"):
            chart.render("standalone-submit", "4.1.1", {**BACKUP, "backup.prefix": prefix,
                                                        "backup.artifactsPrefix": mirror})


def test_the_upload_writes_the_dumps_then_the_artifacts_then_the_manifest():
    script = rendered_upload(BACKUP)["args"][0]
    dumps, listing = script.index("store.upload_file"), script.index('"/artifacts.json"')
    assert dumps < script.index("store.upload_fileobj") < listing < script.index('"/manifest.json"')


def test_the_same_bucket_name_is_allowed_on_a_store_apart():
    rendered = chart.render("standalone-submit", "4.1.1", {**BACKUP, "backup.bucket": "mlflow-artifacts",
                                                          "backup.store.endpointUrl": "https://backups.example.com"})
    assert chart.env_values(rendered.pod_named("CronJob", "-backup")["containers"][0])["BACKUP_BUCKET"] == \
        "mlflow-artifacts"


def rendered_upload(values: dict[str, str]) -> dict:
    return chart.render("standalone-submit", "4.1.1", values).pod_named("CronJob", "-backup")["containers"][0]


def test_with_a_private_ca_for_the_store_the_backup_trusts_it():
    minio = chart.render("standalone-submit", "4.1.1", {**BACKUP, "minio.tls.enabled": "true",
                                                        "minio.tls.existingSecret": "store-certs"})
    pod = minio.pod_named("CronJob", "-backup")
    upload = pod["containers"][0]
    assert chart.secret_files(pod, upload)[chart.env_values(upload)["AWS_CA_BUNDLE"]] == ("store-certs", "ca.crt")
    external = chart.render("standalone-submit", "4.1.1", {
        **BACKUP, "minio.enabled": "false", "s3.endpoint": "https://s3.internal", "s3.existingSecret": "keys",
        "s3.caSecret": "internal-ca"})
    pod = external.pod_named("CronJob", "-backup")
    assert chart.secret_files(pod, pod["containers"][0])["/etc/s3-ca/ca.crt"] == ("internal-ca", "ca.crt")
    assert "AWS_CA_BUNDLE" not in chart.env_values(rendered_upload(BACKUP))
