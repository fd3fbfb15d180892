"""spark/_pod.tpl: what every Spark pod shares: the init container that completes spark-defaults.conf from
Secrets, the environment (MLflow's address under its prefix, extraEnv) and the volumes (extraVolumes)."""

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


def test_only_iceberg_pods_append_the_catalog_password_from_its_secret():
    init = chart.render("iceberg", "4.1.1").container("spark-master", "spark-conf")
    assert "spark.sql.catalog.lakehouse.jdbc.password $(MLFLOW_DB_PASSWORD)" in init["args"][0]
    assert "MLFLOW_DB_PASSWORD" in {e["name"] for e in init["env"]}
    plain = chart.render("standalone-submit", "4.1.1").container("spark-master", "spark-conf")
    assert "password" not in plain["args"][0] and "env" not in plain
