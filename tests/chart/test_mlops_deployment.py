"""mlops/deployment.yaml: the MLOps API's pod (seed 004): off by default, only beside a standalone master and
the chart's MLflow, its settings as the service reads them (numbers as whole numbers), the drivers reachable
by the pod's address, the login key only with MLflow's auth, and the pod as restricted as every other."""

import pytest

from harness import chart

ON = {"mlops.enabled": "true"}


def _container(overrides: dict[str, str] | None = None) -> dict:
    return chart.render("standalone-submit", "4.1.1", {**ON, **(overrides or {})}).container("mlops", "mlops-api")


def _env(container: dict) -> dict[str, str]:
    return chart.env_values(container)


def test_off_by_default():
    rendered = chart.render("standalone-submit", "4.1.1")
    assert "mlops" not in rendered.workload_components()


def test_the_service_reaches_mlflow_and_the_master_by_their_services_and_runs_on_the_charts_spark():
    container = _container({"spark.master.webUiPort": "8090", "mlflow.staticPrefix": "/mlflow"})
    env = _env(container)
    assert container["command"] == ["python3", "-m", "mlops_api"]
    assert container["image"] == "spark-mlflow-spec/mlops-api:4.1.1"
    assert env["MLOPS_MLFLOW_URL"] == "http://spec-spark-standalone-mlflow:5000/mlflow"
    assert env["MLOPS_SPARK_MASTER_URL"] == "spark://spec-spark-standalone-master:7077"
    assert env["MLOPS_SPARK_MASTER_WEBUI"] == "http://spec-spark-standalone-master:8090"
    assert env["MLOPS_SPARK_VERSION"] == "4.1.1" and env["SPARK_HOME"] == "/opt/spark"
    assert env["MLOPS_SPARK_PROPERTIES"] == "/etc/spark/conf/spark-defaults.conf"


def test_numbers_reach_the_service_as_whole_numbers():
    """helm's quote of a large number wrote 1.048576e+06, which the service refused at start (seen locally)."""
    env = _env(_container({"mlops.maxScriptBytes": "1048576", "mlops.maxRunningJobs": "3", "mlops.port": "8100"}))
    assert (env["MLOPS_MAX_SCRIPT_BYTES"], env["MLOPS_MAX_RUNNING_JOBS"], env["MLOPS_PORT"]) == ("1048576", "3", "8100")


def test_executors_reach_the_drivers_by_the_pods_address():
    env = _container()["env"]
    pod_ip = next(e for e in env if e["name"] == "POD_IP")
    assert pod_ip["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert _env(_container())["SPARK_LOCAL_IP"] == "$(POD_IP)"
    names = [e["name"] for e in env]
    assert names.index("POD_IP") < names.index("SPARK_LOCAL_IP")  # the kubelet expands only earlier names


def test_the_login_key_comes_from_a_secret_only_with_mlflows_auth():
    assert "MLOPS_SECRET_KEY" not in [e["name"] for e in _container()["env"]]
    assert _env(_container())["MLOPS_AUTH"] == "false"
    container = _container({"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password"})
    key = next(e for e in container["env"] if e["name"] == "MLOPS_SECRET_KEY")
    assert key["valueFrom"]["secretKeyRef"] == {"name": "spec-spark-standalone-mlops", "key": "secret-key"}
    assert _env(container)["MLOPS_AUTH"] == "true"


def test_the_pod_is_restricted_with_a_read_only_root_and_writable_emptydirs_only():
    rendered = chart.render("standalone-submit", "4.1.1", ON)
    assert chart.restricted_violations(rendered) == []
    assert not [c for c in chart.non_readonly_root_containers(rendered) if "mlops" in c]
    pod = rendered.pod_of("mlops")
    assert pod["securityContext"]["runAsUser"] == 185 and pod["automountServiceAccountToken"] is False
    assert chart.writable_mounts(pod, "mlops-api") == {"/opt/spark/work": "emptyDir", "/tmp": "emptyDir",
                                                       "/opt/spark/work-dir": "emptyDir",
                                                       "/opt/mlops/environments": "emptyDir",
                                                       "/opt/mlops/jobs": "emptyDir"}
    assert [c["name"] for c in pod["initContainers"]] == ["wait-for-database", "spark-conf"]


def test_probes_ask_the_services_health():
    container = _container()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}


@pytest.mark.parametrize("mode", ["k8s", "connect-k8s"])
def test_refused_without_a_standalone_master(mode):
    with pytest.raises(chart.RenderFailed, match="mlops.enabled=true runs jobs on the standalone master"):
        chart.render(mode, "4.1.1", ON)


def test_refused_without_the_charts_mlflow():
    with pytest.raises(chart.RenderFailed, match="set mlflow.enabled=true"):
        chart.render("standalone-submit", "4.1.1", {**ON, "mlflow.enabled": "false"})


def test_replicas_placement_and_resources_follow_the_values():
    rendered = chart.render("standalone-submit", "4.1.1", {**ON, "mlops.replicas": "2",
                                                            "mlops.nodeSelector.pool": "jobs",
                                                            "mlops.resources.limits.memory": "6Gi"})
    deployment = rendered.workload("mlops")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "jobs"}
    assert rendered.container("mlops", "mlops-api")["resources"]["limits"] == {"memory": "6Gi"}
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []


def test_with_tls_to_mlflow_the_service_calls_https_and_trusts_the_replicas_ca():
    rendered = chart.render("standalone-submit", "4.1.1", {**ON, "mlflow.tls.enabled": "true",
                                                           "mlflow.tls.existingSecret": "replica-certs"})
    container = rendered.container("mlops", "mlops-api")
    env = _env(container)
    assert env["MLOPS_MLFLOW_URL"] == env["MLFLOW_TRACKING_URI"] == "https://spec-spark-standalone-mlflow:5000"
    assert chart.secret_files(rendered.pod_of("mlops"), container)[env["MLFLOW_TRACKING_SERVER_CERT_PATH"]] == \
        ("replica-certs", "ca.crt")
