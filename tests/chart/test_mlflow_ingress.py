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


def test_the_mlops_api_is_published_under_mlops_when_it_is_on():
    paths = _ingress({"mlops.enabled": "true"})["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["backend"]["service"]["name"]) for p in paths] == [
        ("/mlops", "spec-spark-standalone-mlops"), ("/", "spec-spark-standalone-mlflow")]
    assert [p["path"] for p in _ingress({})["spec"]["rules"][0]["http"]["paths"]] == ["/"]
