"""mlflow/sso-configmap.yaml: the single sign-on module, shipped to the MLflow pods as the chart's file, only in
mode sso."""

from pathlib import Path

from harness import chart

MODULE = Path(chart.CHART_DIR) / "files" / "mlflow_sso.py"
SSO = {"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-admin-password", "mlflow.auth.mode": "sso",
       "mlflow.auth.adminUsername": "admin@example.org",
       "mlflow.auth.sso.issuer": "https://team.cloudflareaccess.com", "mlflow.auth.sso.audience": "aud-tag"}


def test_in_sso_mode_the_config_map_holds_the_module_as_the_chart_ships_it():
    config_map = chart.render_default(SSO).named("ConfigMap", "-mlflow-sso")
    assert config_map["data"] == {"mlflow_sso.py": MODULE.read_text()}
    assert config_map["metadata"]["labels"]["app.kubernetes.io/component"] == "mlflow"


def test_with_basic_auth_or_none_there_is_no_module():
    for values in ({}, {"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-admin-password"}):
        assert not [doc for doc in chart.render_default(values).of_kind("ConfigMap")
                    if doc["metadata"]["name"].endswith("-mlflow-sso")]


def test_the_module_and_the_test_pod_in_sso_mode_hold_nothing_that_reads_as_a_secret():
    """The chart feature's check of every ConfigMap and container argument, on an sso render (its naive pattern
    read `token: str` in the module and `token: OK` in the test pod as secrets, which failed a CI run)."""
    assert chart.plaintext_secrets(chart.render_default(SSO)) == []
