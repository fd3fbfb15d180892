"""spark/auth-secret.yaml: the standalone cluster's spark.authenticate secret, generated and kept, unless a
Secret of the user's own is named; none in the Kubernetes modes, where Spark makes one per application."""

import base64

import pytest

from harness import chart


def test_the_generated_secret_is_random_and_kept():
    first, second = (chart.render("standalone-submit", "4.1.1").named("Secret", "-spark-auth") for _ in range(2))
    assert first["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert len(base64.b64decode(first["data"]["secret"])) == 32
    assert first["data"]["secret"] != second["data"]["secret"]


@pytest.mark.parametrize("mode", ["k8s", "connect-k8s"])
def test_on_kubernetes_spark_makes_each_applications_secret_and_none_is_rendered(mode):
    rendered = chart.render(mode, "4.1.1")
    assert rendered.spark_conf()["spark.authenticate"] == "true"
    assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("-spark-auth")]
    assert "spark.authenticate.secret" not in rendered.spark_defaults()


def test_an_existing_spark_secret_is_used_instead_and_authentication_can_be_turned_off():
    rendered = chart.render("standalone-submit", "4.1.1", {"spark.security.existingSecret": "spark-shared"})
    assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("-spark-auth")]
    init = rendered.container("spark-worker", "spark-conf")
    assert init["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "spark-shared", "key": "secret"}
    off = chart.render("standalone-submit", "4.1.1", {"spark.security.authenticate": "false",
                                                      "spark.security.encryption": "false"})
    assert "spark.authenticate" not in off.spark_conf() and "env" not in off.container("spark-master", "spark-conf")
    with pytest.raises(chart.RenderFailed, match="encryption=true needs spark.security.authenticate=true"):
        chart.render("standalone-submit", "4.1.1", {"spark.security.authenticate": "false"})
