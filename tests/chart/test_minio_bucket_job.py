"""minio/bucket-job.yaml: a hook Job creates the bucket MLflow writes to, and nothing else; none with an
external object store."""

from harness import chart
from harness.chart.storage import bucket_job_script, buckets_created


def test_the_job_creates_the_bucket_mlflow_writes_to():
    rendered = chart.render("standalone-submit", "4.1.1")
    assert buckets_created(bucket_job_script(rendered)) == [chart.artifact_bucket(rendered)] == ["mlflow-artifacts"]
    renamed = chart.render("standalone-submit", "4.1.1", {"mlflow.artifactBucket": "team-artifacts"})
    assert buckets_created(bucket_job_script(renamed)) == ["team-artifacts"]


def test_no_bucket_job_with_an_external_object_store():
    rendered = chart.render("standalone-submit", "4.1.1", {"minio.enabled": "false", "s3.endpoint": "https://s3",
                                                          "s3.existingSecret": "s3"})
    assert rendered.of_kind("Job") == []


def test_the_backup_bucket_is_made_here_only_when_the_backups_stay_in_this_store():
    same = chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true"})
    assert buckets_created(bucket_job_script(same)) == ["mlflow-artifacts", "mlflow-backups"]
    apart = chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true",
                                                       "backup.store.endpointUrl": "https://backups.example.com"})
    assert buckets_created(bucket_job_script(apart)) == ["mlflow-artifacts"]


def test_with_minio_tls_the_job_calls_https_and_its_mc_trusts_the_ca():
    rendered = chart.render("standalone-submit", "4.1.1", {"minio.tls.enabled": "true",
                                                           "minio.tls.existingSecret": "store-certs"})
    job = rendered.pod_named("Job", "-bucket-init")
    container = job["containers"][0]
    env = chart.env_values(container)
    assert env["S3_ENDPOINT"].startswith("https://")
    assert chart.secret_files(job, container)[env["SSL_CERT_FILE"]] == ("store-certs", "ca.crt")
