"""mlops/secret.yaml: the key that encrypts a queued job's credentials, made only when MLflow's auth is on
and no existing Secret is named; random, never in the values."""

from harness import chart

AUTH = {"mlops.enabled": "true", "mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password"}


def test_a_random_key_with_auth():
    first = chart.render("standalone-submit", "4.1.1", AUTH).named("Secret", "-mlops")["data"]["secret-key"]
    second = chart.render("standalone-submit", "4.1.1", AUTH).named("Secret", "-mlops")["data"]["secret-key"]
    assert first != second and len(first) >= 40


def test_none_without_auth_or_with_an_existing_secret():
    for overrides in ({"mlops.enabled": "true"}, {**AUTH, "mlops.existingSecret": "mine"}):
        rendered = chart.render("standalone-submit", "4.1.1", overrides)
        assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("-mlops")]
    rendered = chart.render("standalone-submit", "4.1.1", {**AUTH, "mlops.existingSecret": "mine"})
    key = next(e for e in rendered.container("mlops", "mlops-api")["env"] if e["name"] == "MLOPS_SECRET_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == "mine"
