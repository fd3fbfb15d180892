"""mlops/service.yaml: the MLOps API's Service on its port, selecting its pods only."""

from harness import chart


def test_the_service_serves_the_mlops_pods_on_their_port():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlops.enabled": "true", "mlops.port": "8100"})
    service = rendered.named("Service", "-mlops")["spec"]
    assert service["ports"] == [{"name": "http", "port": 8100, "targetPort": "http"}]
    for component in rendered.workload_components():
        labels = rendered.workload(component)["spec"]["template"]["metadata"]["labels"]
        assert (service["selector"].items() <= labels.items()) == (component == "mlops"), component


def test_no_service_when_off():
    rendered = chart.render("standalone-submit", "4.1.1")
    assert not [s for s in rendered.of_kind("Service") if s["metadata"]["name"].endswith("-mlops")]
