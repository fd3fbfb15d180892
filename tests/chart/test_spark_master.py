"""spark/master.yaml: the standalone master on its ports, rendered only where Spark runs its own cluster."""

from harness import chart


def test_the_master_listens_on_the_ports_of_its_values():
    rendered = chart.render("standalone-submit", "4.1.1", {"spark.master.port": "7177", "spark.master.webUiPort": "8180"})
    assert rendered.container("spark-master", "master")["args"] == ["--port", "7177", "--webui-port", "8180"]
    service_ports = {port["name"]: port["port"] for port in rendered.named("Service", "-master")["spec"]["ports"]}
    assert sorted(service_ports.values()) == [7177, 8180]
    assert rendered.spark_conf()["spark.master"] == "spark://spec-spark-standalone-master:7177"


def test_no_master_when_kubernetes_schedules_spark():
    assert {"spark-master", "spark-worker"}.isdisjoint(chart.render("k8s", "4.1.1").workload_components())
