"""Template-level tests of the chart (in the spirit of helm-unittest, which cannot be installed here): the
values that change a template, checked on `helm template` output."""

import pytest

from harness import chart
from harness.matrix import MODES


@pytest.mark.parametrize("mode", MODES)
def test_every_pod_pulls_with_the_charts_pull_secrets(mode):
    rendered = chart.render(mode, "4.1.1", {"imagePullSecrets[0].name": "regcred"})
    without = [name for name, pod in rendered.pods() if pod.get("imagePullSecrets") != [{"name": "regcred"}]]
    assert without == []
    if mode in chart.RBAC_MODES:
        assert rendered.executor_pod_template()["spec"]["imagePullSecrets"] == [{"name": "regcred"}]


def test_no_pull_secrets_by_default():
    assert all("imagePullSecrets" not in pod for _, pod in chart.render("k8s", "4.1.1").pods())


def test_a_change_to_spark_defaults_rolls_the_spark_pods():
    def checksums(overrides: dict[str, str]) -> dict[str, str]:
        rendered = chart.render("connect-standalone", "4.1.1", overrides)
        return {component: rendered.workload(component)["spec"]["template"]["metadata"]["annotations"]
                ["checksum/spark-conf"] for component in ("spark-master", "spark-worker", "spark-connect")}

    before, after = checksums({}), checksums({"spark.extraConf.spark\\.sql\\.shuffle\\.partitions": "8"})
    assert len(set(before.values())) == 1 and all(before[c] != after[c] for c in before)


def test_the_service_monitor_carries_the_labels_prometheus_selects_by():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.metrics.enabled": "true", "mlflow.metrics.serviceMonitor.enabled": "true",
        "mlflow.metrics.serviceMonitor.labels.release": "kube-prometheus"})
    assert rendered.named("ServiceMonitor", "-mlflow")["metadata"]["labels"]["release"] == "kube-prometheus"


def test_cors_origins_follow_the_ingress_and_the_extra_list():
    def cors(overrides: dict[str, str]) -> list[str]:
        args = chart.mlflow_container(chart.render("standalone-submit", "4.1.1", overrides))["args"]
        return [arg.split("=", 1)[1] for arg in args if arg.startswith("--cors-allowed-origins=")]

    assert cors({}) == []
    assert cors({"mlflow.ingress.enabled": "true", "mlflow.ingress.host": "m.example.org",
                 "mlflow.ingress.tls.enabled": "true"}) == ["https://m.example.org"]
    assert cors({"mlflow.corsAllowedOrigins[0]": "https://nb.example.org"}) == ["https://nb.example.org"]
    with pytest.raises(chart.RenderFailed, match="corsAllowedOrigins"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.corsAllowedOrigins[0]": "nb.example.org"})


def test_no_password_in_any_argument_of_the_mlflow_pod():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.auth.enabled": "true",
                                                           "mlflow.auth.adminPassword": "a-long-password"})
    pod = rendered.named("Deployment", "-mlflow")["spec"]["template"]["spec"]
    args = [arg for c in pod["containers"] + pod["initContainers"] for arg in c.get("args", [])]
    assert not [arg for arg in args if "MLFLOW_DB_PASSWORD" in arg or "PGPASSWORD" in arg]
    env = {e["name"] for e in chart.mlflow_container(rendered)["env"]}
    assert "PGPASSWORD" in env


def test_the_auth_database_is_created_by_the_mlflow_pod_not_by_a_first_boot_script():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.auth.enabled": "true",
                                                           "mlflow.auth.adminPassword": "a-long-password"})
    inits = [c["name"] for c in rendered.named("Deployment", "-mlflow")["spec"]["template"]["spec"]["initContainers"]]
    assert inits.index("create-auth-database") < inits.index("render-auth-config")
    assert not [doc for doc in rendered.of_kind("ConfigMap") if doc["metadata"]["name"].endswith("-postgresql-init")]
