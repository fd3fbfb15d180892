"""Steps about the Helm chart: lint, render, validate, and what the rendered objects contain."""

import re
import secrets

from behave import then, when

from harness import chart
from harness.mlflow import promises
from support.reporting import attach_text
from support.scenario import world


@when("the chart is linted strictly with the CI values of {mode} mode")
def step_lint(context, mode):
    context.lint = chart.lint(mode)
    attach_text("helm lint", context.lint.stdout + context.lint.stderr)


@then("helm reports no lint failure")
def step_lint_clean(context):
    assert context.lint.returncode == 0, context.lint.stdout + context.lint.stderr
    assert "0 chart(s) failed" in context.lint.stdout, context.lint.stdout


@when("the chart is rendered for Spark {version} in {mode} mode")
def step_render(context, version, mode):
    context.mode, context.rendered = mode, chart.render(mode, version)


@when("the chart is rendered for Spark {version} in {mode} mode with basic auth on")
def step_render_with_auth(context, version, mode):
    # A password made here, so a leak of it anywhere in the output is found by value.
    password = secrets.token_urlsafe(16)
    context.mode = mode
    context.rendered = chart.render(mode, version, {"mlflow.auth.enabled": "true",
                                                    "mlflow.auth.adminPassword": password})


@when("the chart is rendered with {values}")
def step_render_with(context, values):
    try:
        context.rendered = chart.render("standalone-submit", "4.1.1", chart.parse_overrides(values))
        context.render_error = None
    except chart.RenderFailed as refused:
        context.render_error = str(refused)


@then("every object passes strict schema validation for Kubernetes {newest} and {oldest}")
def step_schema_valid(context, newest, oldest):
    for version in (newest, oldest):
        errors = chart.validation_errors(context.rendered, f"{version}.0")
        assert not errors, f"Kubernetes {version}: " + "\n".join(errors)


@then("the workloads of {mode} mode are rendered and no others")
def step_mode_workloads(context, mode):
    expected = chart.MODE_COMPONENTS[mode] | chart.PLATFORM_COMPONENTS
    assert context.rendered.workload_components() == expected, context.rendered.workload_components()


@then("every Spark container runs the image of Spark {version}")
def step_spark_image(context, version):
    images = {c["image"] for c in chart.containers_of(context.rendered, "spark-")}
    if chart.MODE_COMPONENTS[context.mode]:
        assert images and all(re.search(rf":{re.escape(version)}-", image) for image in images), images
    executor_image = context.rendered.spark_conf().get("spark.kubernetes.container.image", "")
    if context.mode in chart.RBAC_MODES:
        assert executor_image.startswith(f"apache/spark:{version}-"), executor_image


@then("GPU resources are requested only in gpu mode")
def step_gpu_only_in_gpu(context):
    requests, conf = chart.gpu_requests(context.rendered), context.rendered.spark_conf()
    gpu_conf = [key for key in conf if ".resource.gpu." in key]
    if context.mode == "gpu":
        assert requests and "spark.executor.resource.gpu.amount" in gpu_conf, (requests, conf)
    else:
        assert not requests and not gpu_conf, (requests, conf)


@then("the Iceberg catalog is configured only in iceberg mode")
def step_iceberg_only_in_iceberg(context):
    catalogs = chart.iceberg_catalogs(context.rendered)
    assert bool(catalogs) == (context.mode == "iceberg"), catalogs
    for settings in catalogs.values():
        assert settings["type"] == "jdbc" and settings["uri"].startswith("jdbc:postgresql://"), settings
        assert settings["warehouse"].startswith(f"s3://{chart.artifact_bucket(context.rendered)}/"), settings


@then("Spark-on-Kubernetes RBAC is rendered only in the k8s modes")
def step_rbac_only_in_k8s(context):
    kinds = {doc["kind"] for doc in context.rendered.docs}
    has_rbac = {"ServiceAccount", "Role", "RoleBinding"} <= kinds
    assert has_rbac == (context.mode in chart.RBAC_MODES), sorted(kinds)


def assert_no_findings(found):
    assert not found, "\n".join(found)


@then("no ConfigMap, environment value or argument holds a secret")
def step_no_plaintext_secret(context):
    assert_no_findings(chart.plaintext_secrets(context.rendered))


@then("every pod meets the Pod Security restricted profile")
def step_restricted(context):
    assert_no_findings(chart.restricted_violations(context.rendered))


@then("every container has a read-only root filesystem")
def step_read_only_root(context):
    assert_no_findings(chart.non_readonly_root_containers(context.rendered))


@then("only the pods that drive Spark on Kubernetes mount a service account token")
def step_token_mounts(context):
    mounting = chart.token_mounting_components(context.rendered)
    assert mounting == chart.KUBERNETES_DRIVERS.get(context.mode, set()), mounting


@then("the chart's default values file holds no password")
def step_default_values_clean(context):
    assert chart.default_value_passwords() == [], chart.default_value_passwords()


@then('rendering fails with a message containing "{message}"')
def step_render_refused(context, message):
    assert context.render_error is not None, "helm rendered the chart instead of refusing the values"
    attach_text("helm's message", context.render_error)
    assert message in context.render_error, context.render_error


@then("the MLflow pods prefer different nodes")
def step_anti_affinity(context):
    pod = context.rendered.named("Deployment", "-mlflow")["spec"]["template"]["spec"]
    terms = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert terms[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname", terms


@then("a PodDisruptionBudget keeps at least {count:d} MLflow pod available")
def step_pdb(context, count):
    pdb = context.rendered.named("PodDisruptionBudget", "-mlflow")
    assert pdb["spec"]["minAvailable"] == count, pdb["spec"]


@then('the MLflow server runs with "{argument}"')
def step_mlflow_argument(context, argument):
    assert argument in chart.mlflow_container(context.rendered)["args"]


@then("the MLflow admin password comes from a Secret")
def step_admin_password_from_secret(context):
    env = {e["name"]: e for e in chart.mlflow_container(context.rendered)["env"]}
    assert "secretKeyRef" in env["MLFLOW_AUTH_ADMIN_PASSWORD"]["valueFrom"], env["MLFLOW_AUTH_ADMIN_PASSWORD"]


@then('a ServiceMonitor scrapes "{path}" from the MLflow Service')
def step_service_monitor(context, path):
    monitor = context.rendered.named("ServiceMonitor", "-mlflow")
    assert monitor["spec"]["endpoints"][0]["path"] == path, monitor["spec"]


@then('an Ingress routes "{host}" to the MLflow Service over TLS')
def step_ingress(context, host):
    ingress = context.rendered.named("Ingress", "-mlflow")["spec"]
    assert ingress["rules"][0]["host"] == host and ingress["tls"][0]["hosts"] == [host], ingress
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"].endswith("-mlflow")


@then('the MLflow server accepts the host "{host}"')
def step_allowed_host(context, host):
    allowed = next(a for a in chart.mlflow_container(context.rendered)["args"] if a.startswith("--allowed-hosts="))
    assert host in allowed.split("=", 1)[1].split(","), allowed


@when("the running MLflow server is probed for what each of its arguments promises")
def step_probe_promises(context):
    platform = world(context).platform
    context.promises = promises.probe(platform)
    context.add_cleanup(promises.remove_probe_artifacts, platform)
    attach_text("server arguments and their promises", "\n".join(p.line() for p in context.promises))


@then("the server keeps the promise of every argument")
def step_promises_kept(context):
    broken = [p.line() for p in context.promises if not p.kept]
    assert context.promises and not broken, "\n".join(broken)


@then("the spark-client container sets SPARK_LOCAL_IP and SPARK_LOCAL_HOSTNAME to the pod's IP")
def step_client_advertises_ip(context):
    container = context.rendered.container("spark-client", "client")
    pod_ip = next(e for e in container["env"] if e["name"] == "POD_IP")
    assert pod_ip["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP", pod_ip
    env = chart.env_values(container)
    assert env.get("SPARK_LOCAL_IP") == env.get("SPARK_LOCAL_HOSTNAME") == "$(POD_IP)", env


@then("the executor pod template mounts a writable volume at /tmp")
def step_executor_tmp(context):
    template = context.rendered.executor_pod_template()["spec"]
    mounts = chart.writable_mounts(template, "spark-kubernetes-executor")
    assert mounts.get("/tmp") == "emptyDir", mounts


@then('the GPU workers tolerate the "{taint}" taint')
def step_gpu_tolerations(context, taint):
    tolerations = context.rendered.workload("spark-worker")["spec"]["template"]["spec"].get("tolerations", [])
    assert any(t["key"] == taint and t.get("operator") == "Exists" for t in tolerations), tolerations


@then("MinIO's volume claim is kept by helm uninstall")
def step_minio_pvc_kept(context):
    claim = context.rendered.named("PersistentVolumeClaim", "-minio")
    assert claim["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep", claim["metadata"]


@then('the MLflow server reads "{variable}" from key "{key}" of Secret "{secret}"')
def step_env_from_secret(context, variable, key, secret):
    env = {e["name"]: e for e in chart.mlflow_container(context.rendered)["env"]}
    assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": key}, env[variable]
