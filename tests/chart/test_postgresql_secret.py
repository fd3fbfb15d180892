"""postgresql/secret.yaml: a generated database password, kept by `helm uninstall`, unless a Secret of the
user's own is named."""

import base64

from harness import chart


def test_the_generated_password_is_random_and_kept():
    first, second = (chart.render("standalone-submit", "4.1.1").named("Secret", "-postgresql") for _ in range(2))
    assert first["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert len(base64.b64decode(first["data"]["password"])) == 32
    # Without a cluster (helm template) nothing can be looked up: each render draws a new one (NOTES says so).
    assert first["data"]["password"] != second["data"]["password"]


def test_an_existing_secret_is_used_instead():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.postgresql.existingSecret": "db-credentials"})
    assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("-postgresql")]
    env = {e["name"]: e for e in chart.mlflow_container(rendered)["env"]}
    assert env["MLFLOW_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "db-credentials", "key": "password"}
