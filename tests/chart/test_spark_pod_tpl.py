"""spark/_pod.tpl: what every Spark pod shares: the init container that completes spark-defaults.conf from
Secrets, the environment (MLflow's address under its prefix, extraEnv) and the volumes (extraVolumes)."""

import subprocess
from pathlib import Path

import pytest

from harness import chart

SPARK_CONTAINERS = (("spark-master", "master"), ("spark-worker", "worker"), ("spark-connect", "connect"))


def test_extra_environment_reaches_every_spark_container():
    rendered = chart.render("connect-standalone", "4.1.1", {"spark.extraEnv[0].name": "TZ",
                                                            "spark.extraEnv[0].value": "UTC"})
    for component, name in SPARK_CONTAINERS:
        assert chart.env_values(rendered.container(component, name))["TZ"] == "UTC", component


def test_extra_volumes_are_mounted_into_every_spark_pod():
    rendered = chart.render("connect-standalone", "4.1.1", {
        "spark.extraVolumes[0].name": "jars", "spark.extraVolumes[0].emptyDir.sizeLimit": "1Gi",
        "spark.extraVolumeMounts[0].name": "jars", "spark.extraVolumeMounts[0].mountPath": "/opt/extra-jars"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    for component, name in SPARK_CONTAINERS:
        assert {"name": "jars", "emptyDir": {"sizeLimit": "1Gi"}} in rendered.pod_of(component)["volumes"], component
        assert {"name": "jars", "mountPath": "/opt/extra-jars"} in rendered.container(component, name)["volumeMounts"]


def test_spark_pods_track_into_mlflow_under_its_prefix():
    rendered = chart.render("connect-standalone", "4.1.1", {"mlflow.staticPrefix": "/mlflow/"})
    for component, name in SPARK_CONTAINERS:
        assert chart.env_values(rendered.container(component, name))["MLFLOW_TRACKING_URI"] == \
            "http://spec-spark-standalone-mlflow:5000/mlflow", component
    alone = chart.render("standalone-submit", "4.1.1", {"mlflow.enabled": "false"})
    assert "MLFLOW_TRACKING_URI" not in chart.env_values(alone.container("spark-master", "master"))


def _run_spark_conf(init: dict, env: dict[str, str], tmp_path: Path) -> str:
    """The init container's script run by /bin/sh (dash, as in the image) on folders of the test."""
    (tmp_path / "defaults").mkdir()
    (tmp_path / "conf").mkdir()
    (tmp_path / "defaults" / "spark-defaults.conf").write_text("spark.master spark://m:7077\n")
    script = init["args"][0].replace("/etc/spark/defaults", str(tmp_path / "defaults")).replace(
        "/etc/spark/conf", str(tmp_path / "conf"))
    subprocess.run(["/bin/sh", "-c", script], env={"PATH": "/usr/bin:/bin", **env}, check=True, timeout=30,
                   cwd=tmp_path)
    return (tmp_path / "conf" / "spark-defaults.conf").read_text()


def test_only_iceberg_pods_append_the_catalog_password_from_its_secret_as_data(tmp_path):
    """Issue 23: `$(MLFLOW_DB_PASSWORD)` was expanded into the script's text by the kubelet, so a password with
    a quote, `$`, a backtick or a backslash broke it or ran as code."""
    init = chart.render("iceberg", "4.1.1").container("spark-master", "spark-conf")
    assert "$(MLFLOW_DB_PASSWORD)" not in init["args"][0]
    assert "MLFLOW_DB_PASSWORD" in {e["name"] for e in init["env"]}
    hostile = 'p"w$(touch pwned)`touch pwned2`\\n$HOME\'x'
    conf = _run_spark_conf(init, {"MLFLOW_DB_PASSWORD": hostile}, tmp_path)
    assert f"spark.sql.catalog.lakehouse.jdbc.password {hostile}" in conf.splitlines()
    assert not list(tmp_path.glob("pwned*"))
    plain = chart.render("standalone-submit", "4.1.1").container("spark-master", "spark-conf")
    assert "password" not in plain["args"][0] and {e["name"] for e in plain["env"]} == {"SPARK_AUTH_SECRET"}


@pytest.mark.parametrize("mode", ["standalone-submit", "connect-standalone", "gpu", "iceberg"])
def test_standalone_pods_append_the_clusters_spark_secret_as_data(mode, tmp_path):
    """Issue 23: Spark's ports had no authentication; every standalone pod now proves one shared secret."""
    rendered = chart.render(mode, "4.1.1", {"mlops.enabled": "true"})
    secret = rendered.named("Secret", "-spark-auth")
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    for component in ("spark-master", "spark-worker", "mlops", *(["spark-connect"] if "connect" in mode else [])):
        init = rendered.container(component, "spark-conf")
        assert {"name": "SPARK_AUTH_SECRET", "valueFrom": {"secretKeyRef": {
            "name": "spec-spark-standalone-spark-auth", "key": "secret"}}} in init["env"], component
    conf = _run_spark_conf(rendered.container("spark-master", "spark-conf"), {"SPARK_AUTH_SECRET": "a$b`c"}, tmp_path)
    assert "spark.authenticate.secret a$b`c" in conf.splitlines()


@pytest.mark.parametrize("mode, component, name", [("k8s", "spark-client", "spark-conf"),
                                                   ("connect-k8s", "spark-connect", "spark-conf")])
def test_drivers_on_kubernetes_name_their_pod_so_executors_are_owned_by_it(mode, component, name, tmp_path):
    """Issue 23: without spark.kubernetes.driver.pod.name executors and their ConfigMaps outlived a dead driver."""
    init = chart.render(mode, "4.1.1").container(component, name)
    assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in init["env"]
    conf = _run_spark_conf(init, {"POD_NAME": "spec-spark-client-7d9f-x2"}, tmp_path)
    assert conf.splitlines()[-1] == "spark.kubernetes.driver.pod.name spec-spark-client-7d9f-x2"


@pytest.mark.parametrize("mode", ["connect-standalone", "k8s", "connect-k8s"])
def test_every_spark_container_and_executor_can_write_the_images_working_directory(mode):
    """Issue 23: the image's WORKDIR /opt/spark/work-dir was read-only under readOnlyRootFilesystem, so
    SparkFiles, Connect's artifacts and a relative spark-warehouse failed."""
    rendered = chart.render(mode, "4.1.1")
    pods = [(name, pod) for name, pod in rendered.pods() if any(
        c.get("image", "").startswith("apache/spark") for c in pod["containers"])]
    assert pods
    for name, pod in pods:
        for container in pod["containers"]:
            assert chart.writable_mounts(pod, container["name"]).get("/opt/spark/work-dir") == "emptyDir", name
    if mode in chart.RBAC_MODES:
        executor = rendered.executor_pod_template()["spec"]
        assert chart.writable_mounts(executor, "spark-kubernetes-executor")["/opt/spark/work-dir"] == "emptyDir"


def test_with_tls_to_mlflow_every_spark_pod_calls_https_and_trusts_the_replicas_ca():
    rendered = chart.render("connect-standalone", "4.1.1", {"mlflow.tls.enabled": "true",
                                                            "mlflow.tls.existingSecret": "replica-certs"})
    for component, name in SPARK_CONTAINERS:
        container = rendered.container(component, name)
        env = chart.env_values(container)
        assert env["MLFLOW_TRACKING_URI"] == "https://spec-spark-standalone-mlflow:5000", component
        assert chart.secret_files(rendered.pod_of(component), container)[env["MLFLOW_TRACKING_SERVER_CERT_PATH"]] \
            == ("replica-certs", "ca.crt"), component
    assert "MLFLOW_TRACKING_SERVER_CERT_PATH" not in chart.env_values(
        chart.render("connect-standalone", "4.1.1").container("spark-master", "master"))
