"""mlflow/ingress.yaml: the MLflow UI published under its host, with TLS, passing uploads up to the
configured body size."""

import pytest

from harness import chart


def _ingress(overrides: dict[str, str]) -> dict:
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.ingress.enabled": "true", **overrides})
    return rendered.named("Ingress", "-mlflow")


def test_the_ingress_routes_its_host_to_the_mlflow_service_with_tls():
    ingress = _ingress({"mlflow.ingress.host": "m.example.org", "mlflow.ingress.tls.enabled": "true",
                        "mlflow.ingress.className": "nginx"})["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": ["m.example.org"], "secretName": "spec-spark-standalone-mlflow-tls"}]
    rule = ingress["rules"][0]
    assert rule["host"] == "m.example.org"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "spec-spark-standalone-mlflow",
                                                              "port": {"name": "http"}}


def test_the_ingress_passes_uploads_up_to_the_configured_body_size():
    body_size = "nginx.ingress.kubernetes.io/proxy-body-size"
    assert _ingress({})["metadata"]["annotations"][body_size] == "1g"
    assert _ingress({"mlflow.ingress.maxBodySize": "8m"})["metadata"]["annotations"][body_size] == "8m"


def test_a_body_size_nginx_cannot_read_is_refused():
    with pytest.raises(chart.RenderFailed, match="maxBodySize"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.ingress.maxBodySize": "8 MB"})


def test_no_ingress_by_default():
    assert chart.render("standalone-submit", "4.1.1").of_kind("Ingress") == []


def test_the_mlops_api_is_published_under_mlops_by_an_ingress_of_its_own_on_the_same_host():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.ingress.enabled": "true", "mlops.enabled": "true",
                                                           "mlflow.ingress.tls.enabled": "true"})
    routes = [(rule["host"], path["path"], path["backend"]["service"]["name"], ingress["spec"]["tls"][0]["secretName"])
              for ingress in rendered.of_kind("Ingress") for rule in ingress["spec"]["rules"]
              for path in rule["http"]["paths"]]
    assert sorted(routes) == [
        ("mlflow.example.com", "/", "spec-spark-standalone-mlflow", "spec-spark-standalone-mlflow-tls"),
        ("mlflow.example.com", "/mlops", "spec-spark-standalone-mlops", "spec-spark-standalone-mlflow-tls")]
    assert [ingress["metadata"]["name"] for ingress in
            chart.render("standalone-submit", "4.1.1", {"mlflow.ingress.enabled": "true"}).of_kind("Ingress")] == \
        ["spec-spark-standalone-mlflow"]


def test_with_tls_to_the_replicas_the_ingress_re_encrypts_and_verifies_them_against_the_ca():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.ingress.enabled": "true", "mlops.enabled": "true", "mlflow.tls.enabled": "true",
        "mlflow.tls.existingSecret": "replica-certs"})
    annotations = rendered.named("Ingress", "-mlflow")["metadata"]["annotations"]
    assert {key: value for key, value in annotations.items() if "ssl" in key or "backend" in key} == {
        "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
        "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
        "nginx.ingress.kubernetes.io/proxy-ssl-secret": "spec/replica-certs",
        "nginx.ingress.kubernetes.io/proxy-ssl-name": "spec-spark-standalone-mlflow.spec.svc",
        "nginx.ingress.kubernetes.io/proxy-ssl-server-name": "on",
        "nginx.ingress.kubernetes.io/proxy-ssl-protocols": "TLSv1.2 TLSv1.3",
        "nginx.ingress.kubernetes.io/proxy-ssl-verify-depth": "2"}
    assert not any("ssl" in key or "backend" in key
                   for key in rendered.named("Ingress", "-mlops")["metadata"]["annotations"]), \
        "the MLOps API serves plain HTTP behind the Ingress"
    assert not any("backend-protocol" in key for key in _ingress({})["metadata"]["annotations"])
