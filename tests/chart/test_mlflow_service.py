"""mlflow/service.yaml: the MLflow Service on the configured port, selecting the MLflow pods only."""

from harness import chart


def test_the_service_serves_the_mlflow_pods_on_their_port():
    rendered = chart.render("connect-standalone", "4.1.1", {"mlflow.port": "5500"})
    service = rendered.named("Service", "-mlflow")["spec"]
    assert service["ports"] == [{"name": "http", "port": 5500, "targetPort": "http", "appProtocol": "http"}]
    for component in rendered.workload_components():
        labels = rendered.workload(component)["spec"]["template"]["metadata"]["labels"]
        assert (service["selector"].items() <= labels.items()) == (component == "mlflow"), component
    assert {"name": "http", "containerPort": 5500} in [
        {key: port[key] for key in ("name", "containerPort")} for port in chart.mlflow_container(rendered)["ports"]]


def test_no_service_without_mlflow():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.enabled": "false"})
    assert not [s for s in rendered.of_kind("Service") if s["metadata"]["name"].endswith("-mlflow")]


def test_with_tls_to_the_replicas_the_service_says_its_port_speaks_https():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true",
                                                           "mlflow.tls.existingSecret": "replica-certs"})
    assert rendered.named("Service", "-mlflow")["spec"]["ports"][0]["appProtocol"] == "https"
