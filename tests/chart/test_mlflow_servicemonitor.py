"""mlflow/servicemonitor.yaml: Prometheus scrapes /metrics (under the static prefix) with the labels its
selector wants."""

import pytest

from harness import chart

METRICS = {"mlflow.metrics.enabled": "true", "mlflow.metrics.serviceMonitor.enabled": "true"}


def test_the_service_monitor_carries_the_labels_prometheus_selects_by():
    rendered = chart.render("standalone-submit", "4.1.1", {
        **METRICS, "mlflow.metrics.serviceMonitor.labels.release": "kube-prometheus",
        "mlflow.metrics.serviceMonitor.interval": "15s"})
    monitor = rendered.named("ServiceMonitor", "-mlflow")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus"
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "15s"}]


def test_the_scrape_path_moves_with_the_static_prefix():
    rendered = chart.render("standalone-submit", "4.1.1", {**METRICS, "mlflow.staticPrefix": "/mlflow"})
    assert rendered.named("ServiceMonitor", "-mlflow")["spec"]["endpoints"][0]["path"] == "/mlflow/metrics"


def test_a_monitor_without_metrics_is_refused():
    with pytest.raises(chart.RenderFailed, match="needs mlflow.metrics.enabled=true"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.metrics.serviceMonitor.enabled": "true"})


def test_with_tls_to_the_replicas_prometheus_scrapes_over_https_verifying_them():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.metrics.enabled": "true", "mlflow.metrics.serviceMonitor.enabled": "true",
        "mlflow.tls.enabled": "true", "mlflow.tls.existingSecret": "replica-certs"})
    endpoint = rendered.named("ServiceMonitor", "-mlflow")["spec"]["endpoints"][0]
    assert endpoint["scheme"] == "https"
    assert endpoint["tlsConfig"] == {"ca": {"secret": {"name": "replica-certs", "key": "ca.crt"}},
                                     "serverName": "spec-spark-standalone-mlflow.spec.svc"}
