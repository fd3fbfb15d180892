"""Template-level tests of the chart (in the spirit of helm-unittest, which cannot be installed here): the
values that change a template, checked on `helm template` output."""

import pytest
import yaml

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


def test_replicas_migrate_the_schema_one_at_a_time_before_the_server_starts():
    """Two replicas starting on a new database each ran MLflow's migrations and one failed on the other's
    tables: a PostgreSQL advisory lock around `mlflow db upgrade` in an init container serialises them."""
    pod = chart.render("standalone-submit", "4.1.1", {"mlflow.replicas": "2", "mlflow.auth.enabled": "true",
                                                      "mlflow.auth.adminPassword": "a-long-password"})
    spec = pod.named("Deployment", "-mlflow")["spec"]["template"]["spec"]
    inits = [init["name"] for init in spec["initContainers"]]
    assert inits[-1] == "migrate-database" and inits.index("create-auth-database") < inits.index("migrate-database")
    script = spec["initContainers"][-1]["args"][0]
    assert "pg_advisory_lock" in script and '"db", "upgrade"' in script
    assert "mlflow_auth" in script, "the auth database is migrated under the same lock"


def test_a_rolling_update_keeps_every_replica_until_its_successor_is_ready():
    deployment = chart.render("standalone-submit", "4.1.1", {"mlflow.replicas": "2"}).named("Deployment", "-mlflow")
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    pod = deployment["spec"]["template"]["spec"]
    pause = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep" and int(pause[1]) < pod["terminationGracePeriodSeconds"]


def test_the_ingress_passes_uploads_up_to_the_configured_body_size():
    def annotations(overrides: dict[str, str]) -> dict[str, str]:
        rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.ingress.enabled": "true", **overrides})
        return rendered.named("Ingress", "-mlflow")["metadata"]["annotations"]

    assert annotations({})["nginx.ingress.kubernetes.io/proxy-body-size"] == "1g"
    assert annotations({"mlflow.ingress.maxBodySize": "8m"})["nginx.ingress.kubernetes.io/proxy-body-size"] == "8m"


def test_a_body_size_nginx_cannot_read_is_refused():
    with pytest.raises(chart.RenderFailed, match="maxBodySize"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.ingress.maxBodySize": "8 MB"})


PLACED = {  # workload component -> its values prefix
    "mlflow": "mlflow", "postgresql": "mlflow.postgresql", "minio": "minio", "spark-master": "spark.master",
    "spark-worker": "spark.worker", "spark-connect": "spark.connect", "spark-client": "spark.client",
}


@pytest.mark.parametrize(("mode", "component"), [("connect-standalone", c) for c in PLACED if c != "spark-client"]
                         + [("k8s", "spark-client")])
def test_each_workload_goes_where_its_values_place_it(mode, component):
    prefix = PLACED[component]
    rendered = chart.render(mode, "4.1.1", {
        f"{prefix}.nodeSelector.pool": "ml", f"{prefix}.tolerations[0].key": "dedicated",
        f"{prefix}.tolerations[0].operator": "Exists",
        f"{prefix}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
        ".matchExpressions[0].key": "zone",
        f"{prefix}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
        ".matchExpressions[0].operator": "Exists",
        f"{prefix}.podAnnotations.team": "forecasting"})
    template = rendered.workload(component)["spec"]["template"]
    pod = template["spec"]
    assert pod["nodeSelector"] == {"pool": "ml"}
    assert {"key": "dedicated", "operator": "Exists"} in pod["tolerations"]
    assert "nodeAffinity" in pod["affinity"]
    assert template["metadata"]["annotations"]["team"] == "forecasting"
    placed = [name for name, other in rendered.pods() if "nodeSelector" in other]
    assert len(placed) == 1, f"only {component} was placed, yet {placed} carry a nodeSelector"


def test_gpu_workers_keep_the_gpu_toleration_beside_their_own():
    rendered = chart.render("gpu", "4.1.1", {"spark.worker.tolerations[0].key": "spot",
                                            "spark.worker.tolerations[0].operator": "Exists"})
    tolerations = rendered.workload("spark-worker")["spec"]["template"]["spec"]["tolerations"]
    assert tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                           {"key": "spot", "operator": "Exists"}]


def test_an_mlflow_affinity_replaces_the_default_spread_of_replicas():
    default = chart.render("standalone-submit", "4.1.1", {"mlflow.replicas": "2"})
    assert "podAntiAffinity" in default.workload("mlflow")["spec"]["template"]["spec"]["affinity"]
    mine = chart.render("standalone-submit", "4.1.1", {
        "mlflow.replicas": "2", "mlflow.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
        ".weight": "1", "mlflow.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
        ".podAffinityTerm.topologyKey": "zone"})
    assert list(mine.workload("mlflow")["spec"]["template"]["spec"]["affinity"]) == ["podAffinity"]


def test_tolerations_that_are_not_a_list_are_refused():
    with pytest.raises(chart.RenderFailed, match="tolerations"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.tolerations.key": "dedicated"})


def test_the_drivers_service_account_carries_its_annotations():
    rendered = chart.render("k8s", "4.1.1", {
        "spark.kubernetes.serviceAccountAnnotations.eks\\.amazonaws\\.com/role-arn": "arn:aws:iam::1:role/spark"})
    account = rendered.named("ServiceAccount", "-spark")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/spark"}
    assert "annotations" not in chart.render("k8s", "4.1.1").named("ServiceAccount", "-spark")["metadata"]


def test_a_static_prefix_moves_the_probes_the_scrape_and_every_client_with_it():
    rendered = chart.render("connect-standalone", "4.1.1", {
        "mlflow.staticPrefix": "/mlflow/", "mlflow.metrics.enabled": "true",
        "mlflow.metrics.serviceMonitor.enabled": "true"})
    container = chart.mlflow_container(rendered)
    assert "--static-prefix=/mlflow" in container["args"]
    assert {container[probe]["httpGet"]["path"] for probe in ("startupProbe", "readinessProbe", "livenessProbe")} \
        == {"/mlflow/health"}
    assert rendered.named("ServiceMonitor", "-mlflow")["spec"]["endpoints"][0]["path"] == "/mlflow/metrics"
    assert chart.env_values(rendered.container("spark-connect", "connect"))["MLFLOW_TRACKING_URI"].endswith(":5000/mlflow")
    test_pod = rendered.of_kind("Pod")[0]["spec"]["containers"][0]
    assert chart.env_values(test_pod)["MLFLOW_URL"].endswith(":5000/mlflow")


def test_without_a_static_prefix_nothing_moves():
    container = chart.mlflow_container(chart.render("standalone-submit", "4.1.1"))
    assert not any(arg.startswith("--static-prefix") for arg in container["args"])
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_extra_environment_and_arguments_reach_their_containers():
    rendered = chart.render("connect-standalone", "4.1.1", {
        "mlflow.extraArgs[0]": "--uvicorn-opts=--timeout-keep-alive=30",
        "mlflow.extraEnv[0].name": "MLFLOW_LOGGING_LEVEL", "mlflow.extraEnv[0].value": "DEBUG",
        "spark.extraEnv[0].name": "TZ", "spark.extraEnv[0].value": "UTC"})
    mlflow = chart.mlflow_container(rendered)
    assert mlflow["args"][-1] == "--uvicorn-opts=--timeout-keep-alive=30"
    assert chart.env_values(mlflow)["MLFLOW_LOGGING_LEVEL"] == "DEBUG"
    for component, name in (("spark-master", "master"), ("spark-worker", "worker"), ("spark-connect", "connect")):
        assert chart.env_values(rendered.container(component, name))["TZ"] == "UTC", component


def test_an_environment_entry_without_a_name_is_refused():
    with pytest.raises(chart.RenderFailed, match="name"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.extraEnv[0].value": "x"})


def test_network_policies_admit_only_the_release_and_the_listed_peers():
    rendered = chart.render("k8s", "4.1.1", {
        "networkPolicy.enabled": "true",
        "networkPolicy.mlflowFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name": "ingress-nginx"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    policies = {doc["metadata"]["name"].rsplit("-", 1)[-1]: doc["spec"] for doc in rendered.of_kind("NetworkPolicy")}
    assert set(policies) == {"postgresql", "minio", "mlflow"}
    release = {"app.kubernetes.io/name": "spark-standalone", "app.kubernetes.io/instance": "spec"}
    for component, port in (("postgresql", 5432), ("minio", 9000), ("mlflow", 5000)):
        rule = policies[component]["ingress"][0]
        assert rule["from"][0] == {"podSelector": {"matchLabels": release}}, component
        assert rule["ports"] == [{"protocol": "TCP", "port": port}], component
    assert policies["mlflow"]["ingress"][0]["from"][1] == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    # Executors are pods of the release too, so the stores admit them.
    assert release.items() <= rendered.executor_pod_template()["metadata"]["labels"].items()


def test_no_network_policy_by_default():
    assert chart.render("standalone-submit", "4.1.1").of_kind("NetworkPolicy") == []


def test_extra_volumes_are_mounted_where_their_values_say():
    rendered = chart.render("connect-standalone", "4.1.1", {
        "mlflow.extraVolumes[0].name": "ca", "mlflow.extraVolumes[0].configMap.name": "corporate-ca",
        "mlflow.extraVolumeMounts[0].name": "ca", "mlflow.extraVolumeMounts[0].mountPath": "/etc/ssl/corporate",
        "spark.extraVolumes[0].name": "jars", "spark.extraVolumes[0].emptyDir.sizeLimit": "1Gi",
        "spark.extraVolumeMounts[0].name": "jars", "spark.extraVolumeMounts[0].mountPath": "/opt/extra-jars"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    assert {"name": "ca", "configMap": {"name": "corporate-ca"}} in \
        rendered.workload("mlflow")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "ca", "mountPath": "/etc/ssl/corporate"} in chart.mlflow_container(rendered)["volumeMounts"]
    for component, name in (("spark-master", "master"), ("spark-worker", "worker"), ("spark-connect", "connect")):
        pod = rendered.workload(component)["spec"]["template"]["spec"]
        assert {"name": "jars", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"], component
        mounts = rendered.container(component, name)["volumeMounts"]
        assert {"name": "jars", "mountPath": "/opt/extra-jars"} in mounts, component


def test_a_mount_without_a_path_is_refused():
    with pytest.raises(chart.RenderFailed, match="mountPath"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.extraVolumeMounts[0].name": "ca"})


def test_the_backup_cronjob_is_off_by_default_and_restricted_when_on():
    assert chart.render("standalone-submit", "4.1.1").of_kind("CronJob") == []
    rendered = chart.render("standalone-submit", "4.1.1", {
        "backup.enabled": "true", "backup.retention": "7", "backup.bucket": "mlflow-backups",
        "backup.nodeSelector.pool": "ops"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    assert chart.restricted_violations(rendered) == []
    cronjob = rendered.named("CronJob", "-backup")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = rendered.pod_of("backup")
    assert pod["nodeSelector"] == {"pool": "ops"} and pod["automountServiceAccountToken"] is False
    upload = chart.env_values(pod["containers"][0])
    assert (upload["BACKUP_BUCKET"], upload["BACKUP_RETENTION"]) == ("mlflow-backups", "7")
    # The password reaches pg_dump from the Secret, never as an argument.
    assert not any("PASSWORD" in arg for arg in pod["initContainers"][0]["args"])


def test_backups_need_mlflow_and_a_sane_schedule():
    with pytest.raises(chart.RenderFailed, match="needs mlflow.enabled=true"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "mlflow.enabled": "false"})
    with pytest.raises(chart.RenderFailed, match="schedule"):
        chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true", "backup.schedule": "hourly"})


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


def test_spark_35_connect_takes_its_server_jar_from_the_pod_when_given():
    def args(overrides: dict[str, str]) -> list[str]:
        return chart.render("connect-standalone", "3.5.8", overrides).container("spark-connect", "connect")["args"]

    assert "org.apache.spark:spark-connect_2.12:3.5.8" in args({})
    offline = args({"spark.connect.jars[0]": "/opt/jars/spark-connect_2.12-3.5.8.jar"})
    assert "--packages" not in offline
    assert offline[offline.index("--jars") + 1] == "/opt/jars/spark-connect_2.12-3.5.8.jar"


def test_every_image_value_has_one_shape():
    values = yaml.safe_load((chart.CHART_DIR / "values.yaml").read_text())

    def images(node, path=""):
        for key, value in node.items() if isinstance(node, dict) else ():
            if key.lower().endswith("image"):
                yield f"{path}{key}", value
            else:
                yield from images(value, f"{path}{key}.")

    found = dict(images(values))
    assert len(found) == 6, found
    assert {path: sorted(value) for path, value in found.items() if set(value) - {"repository", "tag"}} == {
        path: ["pullPolicy", "repository", "tag"] for path in found if path != "spark.kubernetes.executorImage"}


@pytest.mark.parametrize("mode", MODES)
def test_every_container_pulls_by_its_images_policy(mode):
    rendered = chart.render(mode, "4.1.1", {"spark.image.pullPolicy": "Always", "mlflow.image.pullPolicy": "Always",
                                            "mlflow.postgresql.image.pullPolicy": "Always",
                                            "minio.image.pullPolicy": "Always",
                                            "minio.clientImage.pullPolicy": "Always", "backup.enabled": "true"})
    others = [f"{name} {c['name']}: {c.get('imagePullPolicy')}" for name, pod in rendered.pods()
              for c in pod["containers"] + pod.get("initContainers", []) if c.get("imagePullPolicy") != "Always"]
    assert others == []
