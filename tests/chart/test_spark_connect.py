"""spark/connect.yaml: the Spark Connect server, its server jar fetched or (air-gapped) taken from the pod,
tracking into the release's MLflow."""

from harness import chart


def test_spark_35_connect_takes_its_server_jar_from_the_pod_when_given():
    def args(overrides: dict[str, str]) -> list[str]:
        return chart.render("connect-standalone", "3.5.8", overrides).container("spark-connect", "connect")["args"]

    assert "org.apache.spark:spark-connect_2.12:3.5.8" in args({})
    offline = args({"spark.connect.jars[0]": "/opt/jars/spark-connect_2.12-3.5.8.jar"})
    assert "--packages" not in offline
    assert offline[offline.index("--jars") + 1] == "/opt/jars/spark-connect_2.12-3.5.8.jar"


def test_spark_41_connect_needs_no_package():
    args = chart.render("connect-standalone", "4.1.1").container("spark-connect", "connect")["args"]
    assert "--packages" not in args


def test_the_connect_server_listens_where_its_values_say_and_tracks_into_mlflow():
    rendered = chart.render("connect-standalone", "4.1.1", {"spark.connect.port": "15100",
                                                            "spark.connect.driverMemory": "3g"})
    connect = rendered.container("spark-connect", "connect")
    assert "spark.connect.grpc.binding.port=15100" in connect["args"]
    assert connect["args"][connect["args"].index("--driver-memory") + 1] == "3g"
    assert chart.env_values(connect)["MLFLOW_TRACKING_URI"] == "http://spec-spark-standalone-mlflow:5000"
    assert chart.render("standalone-submit", "4.1.1").workload_components().isdisjoint({"spark-connect"})


def test_a_connect_driver_on_kubernetes_binds_before_its_name_resolves_and_runs_alone():
    """Issue 23: spark.driver.host named the headless Service with no bind address, which fell back to that
    name, unresolvable until the pod was Ready: the server could not bind."""
    rendered = chart.render("connect-k8s", "4.1.1")
    args = rendered.container("spark-connect", "connect")["args"]
    assert "spark.driver.bindAddress=0.0.0.0" in args
    assert rendered.named("Service", "-connect-driver")["spec"]["publishNotReadyAddresses"] is True
    assert rendered.workload("spark-connect")["spec"]["strategy"] == {"type": "Recreate"}


def test_a_connect_driver_beside_a_standalone_master_advertises_its_pods_address():
    """Issue 23: it advertised the pod's host name, which the worker pods cannot resolve."""
    container = chart.render("connect-standalone", "4.1.1").container("spark-connect", "connect")
    assert "spark.driver.host=$(POD_IP)" in container["args"]
    names = [e["name"] for e in container["env"]]
    assert names[0] == "POD_IP" and container["env"][0]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}



def test_switching_between_the_connect_modes_keeps_the_clients_service_as_it_is():
    """Issue 23: `-connect` was headless in connect-k8s and not in connect-standalone; clusterIP cannot change,
    so `helm upgrade` from one mode to the other failed. The driver's headless Service has a name of its own."""
    standalone, on_k8s = (chart.render(mode, "4.1.1").named("Service", "-connect")["spec"]
                          for mode in ("connect-standalone", "connect-k8s"))
    assert standalone == on_k8s and "clusterIP" not in standalone
    driver = chart.render("connect-k8s", "4.1.1").named("Service", "-connect-driver")["spec"]
    assert driver["clusterIP"] == "None"
    assert "spark.driver.host=spec-spark-standalone-connect-driver.spec.svc" in chart.render(
        "connect-k8s", "4.1.1").container("spark-connect", "connect")["args"]
