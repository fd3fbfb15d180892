"""spark/client.yaml: in k8s mode, a pod to run spark-submit from, whose driver advertises the pod's IP
(executor pods cannot resolve pod names) and uses the driver's ServiceAccount."""

from harness import chart


def test_the_client_drives_spark_from_its_pod_ip():
    rendered = chart.render("k8s", "4.1.1")
    client = rendered.container("spark-client", "client")
    env = {e["name"]: e for e in client["env"]}
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert env["SPARK_LOCAL_IP"]["value"] == env["SPARK_LOCAL_HOSTNAME"]["value"] == "$(POD_IP)"
    assert rendered.pod_of("spark-client")["serviceAccountName"] == "spec-spark-standalone-spark"


def test_only_k8s_mode_has_a_client_pod():
    assert "spark-client" not in chart.render("connect-k8s", "4.1.1").workload_components()


def test_the_client_pods_resources_follow_the_values():
    """Issue 23: they were fixed in the template, so a larger driver could not be given room."""
    container = chart.render("k8s", "4.1.1", {"spark.client.resources.limits.memory": "4Gi"}).container(
        "spark-client", "client")
    assert container["resources"]["limits"] == {"memory": "4Gi"}
