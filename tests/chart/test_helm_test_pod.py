"""tests/test-mlflow.yaml: the `helm test` Pod checks MLflow through its Service, under its prefix, with the
admin login when auth is on."""

from harness import chart


def _test_container(overrides: dict[str, str]) -> dict:
    return chart.render("standalone-submit", "4.1.1", overrides).of_kind("Pod")[0]["spec"]["containers"][0]


def test_the_test_pod_reaches_mlflow_through_its_service_and_prefix():
    assert chart.env_values(_test_container({}))["MLFLOW_URL"] == "http://spec-spark-standalone-mlflow:5000"
    prefixed = _test_container({"mlflow.staticPrefix": "/mlflow"})
    assert chart.env_values(prefixed)["MLFLOW_URL"] == "http://spec-spark-standalone-mlflow:5000/mlflow"


def test_with_auth_the_test_pod_signs_in_with_the_admin_password_from_its_secret():
    env = {e["name"]: e for e in _test_container({"mlflow.auth.enabled": "true",
                                                  "mlflow.auth.adminPassword": "a-long-password"})["env"]}
    assert env["MLFLOW_USER"]["value"] == "admin"
    assert env["MLFLOW_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "spec-spark-standalone-mlflow-auth",
                                                                   "key": "admin-password"}


def test_the_test_pod_can_be_left_out():
    assert chart.render("standalone-submit", "4.1.1", {"tests.enabled": "false"}).of_kind("Pod") == []


def test_the_test_pod_reads_the_admin_password_under_the_key_the_values_name():
    """Issue 23: it read `admin-password` whatever existingSecretKeys.adminPassword said."""
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.auth.enabled": "true", "mlflow.auth.existingSecret": "team-mlflow",
        "mlflow.auth.existingSecretKeys.adminPassword": "mlflow-admin"})
    pod = next(doc for doc in rendered.of_kind("Pod") if doc["metadata"]["name"].endswith("-test-mlflow"))
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["MLFLOW_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "team-mlflow", "key": "mlflow-admin"}


def test_with_single_sign_on_the_test_pod_checks_that_a_call_without_a_token_is_refused():
    container = _test_container({"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password",
                                 "mlflow.auth.mode": "sso", "mlflow.auth.adminUsername": "admin@example.org",
                                 "mlflow.auth.sso.issuer": "https://team.cloudflareaccess.com",
                                 "mlflow.auth.sso.audience": "aud"})
    env = {e["name"]: e for e in container["env"]}
    assert env["MLFLOW_SSO"]["value"] == "true" and "MLFLOW_PASSWORD" not in env
    assert "refused.status_code == 401" in container["args"][0]


def test_with_tls_to_mlflow_the_test_pod_calls_https_trusting_the_replicas_ca():
    pod = chart.render("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true",
                                                      "mlflow.tls.existingSecret": "replica-certs"}).of_kind("Pod")[0]
    container = pod["spec"]["containers"][0]
    env = chart.env_values(container)
    assert env["MLFLOW_URL"].startswith("https://")
    assert chart.secret_files(pod["spec"], container)[env["MLFLOW_TRACKING_SERVER_CERT_PATH"]] == \
        ("replica-certs", "ca.crt")
    assert "http.verify = os.environ.get(\"MLFLOW_TRACKING_SERVER_CERT_PATH\")" in container["args"][0]
