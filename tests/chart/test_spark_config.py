"""spark/config.yaml: spark-defaults.conf for every Spark pod and driver (the mode's master, GPU amounts, the
Iceberg catalog and where its jars come from, extraConf), and the executor pod template of the k8s modes.
A change to it rolls the Spark pods."""

import pytest

from harness import chart


def test_the_master_follows_the_mode():
    assert chart.render("standalone-submit", "4.1.1").spark_conf()["spark.master"] == \
        "spark://spec-spark-standalone-master:7077"
    rendered = chart.render("k8s", "4.1.1", {"spark.kubernetes.executorInstances": "5"})
    k8s = rendered.spark_conf()
    assert k8s["spark.master"] == "k8s://https://kubernetes.default.svc:443"
    assert k8s["spark.executor.instances"] == "5" and k8s["spark.kubernetes.namespace"] == "spec"
    assert k8s["spark.kubernetes.container.image"] == rendered.container("spark-client", "client")["image"]


def test_the_executor_image_can_differ_from_the_drivers():
    conf = chart.render("k8s", "4.1.1", {"spark.kubernetes.executorImage.repository": "acme/spark-gpu",
                                        "spark.kubernetes.executorImage.tag": "7"}).spark_conf()
    assert conf["spark.kubernetes.container.image"] == "acme/spark-gpu:7"


def test_gpu_amounts_are_set_only_in_gpu_mode():
    conf = chart.render("gpu", "4.1.1", {"spark.gpu.executorAmount": "2", "spark.gpu.taskAmount": "0.5"}).spark_conf()
    assert (conf["spark.executor.resource.gpu.amount"], conf["spark.task.resource.gpu.amount"]) == ("2", "0.5")
    assert not any("gpu" in key for key in chart.render("standalone-submit", "4.1.1").spark_conf())


def test_extra_conf_lands_in_spark_defaults():
    conf = chart.render("standalone-submit", "4.1.1",
                        {"spark.extraConf.spark\\.sql\\.shuffle\\.partitions": "8"}).spark_conf()
    assert conf["spark.sql.shuffle.partitions"] == "8"


def test_executors_on_kubernetes_get_a_writable_tmp_and_no_token():
    template = chart.render("k8s", "4.1.1").executor_pod_template()["spec"]
    assert template["automountServiceAccountToken"] is False
    assert template["containers"][0]["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"},
                                                         {"name": "work-dir", "mountPath": "/opt/spark/work-dir"}]
    assert template["volumes"] == [{"name": "tmp", "emptyDir": {}}, {"name": "work-dir", "emptyDir": {}}]
    assert "executor-pod.yaml" not in chart.render("standalone-submit", "4.1.1").named("ConfigMap", "-spark-conf")["data"]


def test_iceberg_without_the_charts_database_is_refused():
    with pytest.raises(chart.RenderFailed, match="mode iceberg keeps its catalog in the chart's PostgreSQL"):
        chart.render("iceberg", "4.1.1", {"mlflow.enabled": "false"})


def test_the_iceberg_catalog_reads_the_charts_database_and_bucket():
    catalog = chart.iceberg_catalogs(chart.render("iceberg", "4.1.1", {"spark.iceberg.catalogName": "lake"}))["lake"]
    assert catalog["uri"] == "jdbc:postgresql://spec-spark-standalone-postgresql:5432/mlflow"
    assert catalog["warehouse"] == "s3://mlflow-artifacts/warehouse"
    assert "password" not in " ".join(catalog), "the password is appended from its Secret at start"


@pytest.mark.parametrize("version", ["3.5.7", "4.1.1"])
def test_iceberg_fetches_the_runtime_built_for_its_spark_line(version):
    packages = chart.render("iceberg", version).spark_conf()["spark.jars.packages"].split(",")
    runtime = next(p for p in packages if ":iceberg-spark-runtime-" in p)
    assert runtime.split(":")[1].startswith(f"iceberg-spark-runtime-{version[:3]}_"), runtime


def test_air_gapped_iceberg_loads_jars_from_the_pod_and_fetches_nothing():
    conf = chart.render("iceberg", "4.1.1", {
        "spark.iceberg.jars[0]": "/opt/jars/iceberg-spark-runtime.jar",
        "spark.iceberg.jars[1]": "/opt/jars/postgresql.jar"}).spark_conf()
    assert conf["spark.jars"] == "/opt/jars/iceberg-spark-runtime.jar,/opt/jars/postgresql.jar"
    assert "spark.jars.packages" not in conf
    with pytest.raises(chart.RenderFailed, match="jars"):
        chart.render("iceberg", "4.1.1", {"spark.iceberg.jars[0]": "iceberg.jar"})


def test_a_change_to_spark_defaults_rolls_the_spark_pods():
    def checksums(overrides: dict[str, str]) -> dict[str, str]:
        rendered = chart.render("connect-standalone", "4.1.1", overrides)
        return {component: rendered.workload(component)["spec"]["template"]["metadata"]["annotations"]
                ["checksum/spark-conf"] for component in ("spark-master", "spark-worker", "spark-connect")}

    before, after = checksums({}), checksums({"spark.extraConf.spark\\.sql\\.shuffle\\.partitions": "8"})
    assert len(set(before.values())) == 1 and all(before[c] != after[c] for c in before)
