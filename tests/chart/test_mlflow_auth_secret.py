"""mlflow/auth-secret.yaml: with basic auth and no Secret of the user's own, the admin password and a Flask
session key, under the key names the values configure."""

import base64

from harness import chart

AUTH = {"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password"}


def test_the_secret_holds_the_admin_password_and_a_generated_flask_key():
    secret = chart.render("standalone-submit", "4.1.1", AUTH).named("Secret", "-mlflow-auth")
    assert base64.b64decode(secret["data"]["admin-password"]).decode() == "a-long-password"
    assert len(base64.b64decode(secret["data"]["flask-secret-key"])) == 32


def test_the_key_names_follow_the_values():
    secret = chart.render("standalone-submit", "4.1.1", {
        **AUTH, "mlflow.auth.existingSecretKeys.adminPassword": "pw",
        "mlflow.auth.existingSecretKeys.flaskSecretKey": "fk"}).named("Secret", "-mlflow-auth")
    assert sorted(secret["data"]) == ["fk", "pw"]


def test_no_secret_without_auth_or_with_the_users_own():
    assert not [s for s in chart.render("standalone-submit", "4.1.1").of_kind("Secret")
                if s["metadata"]["name"].endswith("-mlflow-auth")]
    own = chart.render("standalone-submit", "4.1.1", {"mlflow.auth.enabled": "true",
                                                      "mlflow.auth.existingSecret": "mine"})
    assert not [s for s in own.of_kind("Secret") if s["metadata"]["name"].endswith("-mlflow-auth")]
