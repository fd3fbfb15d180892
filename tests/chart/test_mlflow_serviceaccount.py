"""mlflow/serviceaccount.yaml and s3.useIdentity: the MLflow pods may run as a ServiceAccount that carries a
cloud identity, and then reach the bucket with no keys at all."""

import pytest

from harness import chart

EXTERNAL_STORE = {"minio.enabled": "false", "s3.endpoint": "https://s3.eu-west-1.amazonaws.com"}
ROLE = {"mlflow.serviceAccount.create": "true",
        "mlflow.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn": "arn:aws:iam::1:role/mlflow"}


def test_with_an_identity_no_pod_gets_keys_and_the_bucket_users_run_as_the_account():
    rendered = chart.render("standalone-submit", "4.1.1",
                            {**EXTERNAL_STORE, **ROLE, "s3.useIdentity": "true", "backup.enabled": "true"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    account = rendered.named("ServiceAccount", "-mlflow")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/mlflow"}
    assert account["automountServiceAccountToken"] is False
    backup = rendered.named("CronJob", "-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    for pod in (rendered.pod_of("mlflow"), backup):
        assert pod["serviceAccountName"] == "spec-spark-standalone-mlflow"
        names = {env["name"] for c in pod["containers"] + pod.get("initContainers", []) for env in c.get("env", [])}
        assert "MLFLOW_S3_ENDPOINT_URL" in names and not names & {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("-s3")]


def test_an_existing_account_is_named_and_none_is_created():
    rendered = chart.render("standalone-submit", "4.1.1", {**EXTERNAL_STORE, "s3.useIdentity": "true",
                                                           "mlflow.serviceAccount.name": "mlflow-irsa"})
    assert rendered.of_kind("ServiceAccount") == []
    assert rendered.pod_of("mlflow")["serviceAccountName"] == "mlflow-irsa"


def test_by_default_mlflow_runs_as_the_namespaces_default_account_with_keys():
    rendered = chart.render("standalone-submit", "4.1.1")
    assert "serviceAccountName" not in rendered.pod_of("mlflow")
    names = {env["name"] for env in rendered.container("mlflow", "mlflow")["env"]}
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= names


@pytest.mark.parametrize("mode, overrides, message", [
    ("standalone-submit", {"s3.useIdentity": "true"}, "the chart's MinIO takes keys only"),
    ("iceberg", {**EXTERNAL_STORE, "s3.useIdentity": "true"}, "cannot serve mode iceberg"),
    ("standalone-submit", EXTERNAL_STORE, "or s3.useIdentity=true with mlflow.serviceAccount"),
])
def test_an_identity_where_it_cannot_work_is_refused(mode, overrides, message):
    with pytest.raises(chart.RenderFailed, match=message):
        chart.render(mode, "4.1.1", overrides)
