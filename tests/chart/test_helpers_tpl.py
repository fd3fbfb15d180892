"""_helpers.tpl: the refusals shared by every template (each message says what to set), also when a tool
renders without the values schema."""

import pytest

from harness import chart


@pytest.mark.parametrize(("overrides", "message"), [
    ({"mlflow.postgresql.enabled": "false"},
     "mlflow.postgresql.enabled=false needs an external database: set mlflow.postgresql.host"),
    ({"mlflow.postgresql.enabled": "false", "mlflow.postgresql.host": "db"},
     "an external database needs its password: set mlflow.postgresql.existingSecret"),
    ({"minio.enabled": "false"}, "minio.enabled=false needs an external object store: set s3.endpoint"),
    ({"minio.enabled": "false", "s3.endpoint": "https://s3.example.org"},
     "an external object store needs credentials: set s3.existingSecret"),
    ({"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "short"},
     "needs an admin password of at least 12 characters"),
    ({"mlflow.metrics.serviceMonitor.enabled": "true"},
     "mlflow.metrics.serviceMonitor.enabled=true needs mlflow.metrics.enabled=true"),
])
def test_a_missing_companion_value_is_refused_with_what_to_set(overrides, message):
    with pytest.raises(chart.RenderFailed, match=message):
        chart.render("standalone-submit", "4.1.1", overrides)


def test_the_templates_refuse_an_unsupported_version_when_the_schema_is_skipped():
    with pytest.raises(chart.RenderFailed, match='spark.version "3.4.0" is not supported: set spark.version to one of'):
        chart.render("standalone-submit", "4.1.1", {"spark.version": "3.4.0"}, skip_schema_validation=True)


def test_an_external_database_and_object_store_render_nothing_of_their_own():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.postgresql.enabled": "false", "mlflow.postgresql.host": "db.example.org",
        "mlflow.postgresql.existingSecret": "db", "minio.enabled": "false",
        "s3.endpoint": "https://s3.example.org", "s3.existingSecret": "s3"})
    assert {"postgresql", "minio"}.isdisjoint(rendered.workload_components())
    env = {e["name"]: e for e in chart.mlflow_container(rendered)["env"]}
    assert env["MLFLOW_DB_HOST"]["value"] == "db.example.org"
    assert env["MLFLOW_S3_ENDPOINT_URL"]["value"] == "https://s3.example.org"
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"]["name"] == "s3"
