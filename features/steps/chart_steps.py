"""Steps about the Helm chart: lint, render, validate, and what the rendered objects contain."""

import secrets

from behave import then, when

from harness import chart
from harness.chart import reading
from harness.mlflow import promises
from support.reporting import attach_text
from support.scenario import world


@when("the chart is linted strictly with the CI values of {mode} mode")
def step_lint(context, mode):
    lint = world(context).chart.lint = chart.lint(mode)
    attach_text("helm lint", lint.stdout + lint.stderr)


@then("helm reports no lint failure")
def step_lint_clean(context):
    lint = world(context).chart.lint
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "0 chart(s) failed" in lint.stdout, lint.stdout


@when("the chart is rendered for Spark {version} in {mode} mode")
def step_render(context, version, mode):
    state = world(context).chart
    state.mode, state.rendered = mode, chart.render(mode, version)


@when("the chart is rendered for Spark {version} in {mode} mode with basic auth on")
def step_render_with_auth(context, version, mode):
    # A password made here, so a leak of it anywhere in the output is found by value.
    values = {"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": secrets.token_urlsafe(16)}
    state = world(context).chart
    state.mode, state.rendered = mode, chart.render(mode, version, values)


@when("the chart is rendered with {values}")
def step_render_with(context, values):
    state = world(context).chart
    try:
        state.rendered = chart.render_default(chart.parse_overrides(values))
    except chart.RenderFailed as refused:
        state.render_error = str(refused)


@then("every object passes strict schema validation for Kubernetes {newest} and {oldest}")
def step_schema_valid(context, newest, oldest):
    for version in (newest, oldest):
        errors = chart.validation_errors(world(context).chart.rendered, f"{version}.0")
        assert not errors, f"Kubernetes {version}: " + "\n".join(errors)


@then("the workloads of {mode} mode are rendered and no others")
def step_mode_workloads(context, mode):
    rendered = world(context).chart.rendered
    expected = chart.MODE_COMPONENTS[mode] | chart.PLATFORM_COMPONENTS
    assert rendered.workload_components() == expected, rendered.workload_components()


@then("every Spark container runs the image of Spark {version}")
def step_spark_image(context, version):
    state = world(context).chart
    images = reading.spark_images(state.rendered)
    if chart.MODE_COMPONENTS[state.mode]:
        assert images and all(reading.runs_spark_version(image, version) for image in images), images
    executor = reading.executor_image(state.rendered)
    if state.mode in chart.RBAC_MODES:
        assert executor.startswith(f"apache/spark:{version}-"), f"the executors run {executor}"


@then("GPU resources are requested only in gpu mode")
def step_gpu_only_in_gpu(context):
    state = world(context).chart
    requests, settings = chart.gpu_requests(state.rendered), reading.gpu_settings(state.rendered)
    if state.mode == "gpu":
        assert requests and "spark.executor.resource.gpu.amount" in settings, (requests, settings)
    else:
        assert not requests and not settings, (requests, settings)


@then("the Iceberg catalog is configured only in iceberg mode")
def step_iceberg_only_in_iceberg(context):
    state = world(context).chart
    catalogs = chart.iceberg_catalogs(state.rendered)
    assert bool(catalogs) == (state.mode == "iceberg"), catalogs
    for settings in catalogs.values():
        assert settings["type"] == "jdbc" and settings["uri"].startswith("jdbc:postgresql://"), settings
        assert settings["warehouse"].startswith(f"s3://{chart.artifact_bucket(state.rendered)}/"), settings


@then("Spark-on-Kubernetes RBAC is rendered only in the k8s modes")
def step_rbac_only_in_k8s(context):
    state = world(context).chart
    has_rbac = reading.has_spark_rbac(state.rendered)
    assert has_rbac == (state.mode in chart.RBAC_MODES), reading.rendered_kinds(state.rendered)


def assert_no_findings(found):
    assert not found, "\n".join(found)


@then("no ConfigMap, environment value or argument holds a secret")
def step_no_plaintext_secret(context):
    assert_no_findings(chart.plaintext_secrets(world(context).chart.rendered))


@then("every pod meets the Pod Security restricted profile")
def step_restricted(context):
    assert_no_findings(chart.restricted_violations(world(context).chart.rendered))


@then("every container has a read-only root filesystem")
def step_read_only_root(context):
    assert_no_findings(chart.non_readonly_root_containers(world(context).chart.rendered))


@then("only the pods that drive Spark on Kubernetes mount a service account token")
def step_token_mounts(context):
    state = world(context).chart
    mounting = chart.token_mounting_components(state.rendered)
    assert mounting == chart.KUBERNETES_DRIVERS.get(state.mode, set()), mounting


@then("the chart's default values file holds no password")
def step_default_values_clean(context):
    assert chart.default_value_passwords() == [], chart.default_value_passwords()


@then('rendering fails with a message containing "{message}"')
def step_render_refused(context, message):
    refused = world(context).chart.render_error
    assert refused is not None, "helm rendered the chart instead of refusing the values"
    attach_text("helm's message", refused)
    assert message in refused, refused


@then("the MLflow pods prefer different nodes")
def step_anti_affinity(context):
    topology = reading.mlflow_anti_affinity_topology(world(context).chart.rendered)
    assert topology == "kubernetes.io/hostname", f"the MLflow pods spread over {topology}"


@then("a PodDisruptionBudget keeps at least {count:d} MLflow pod available")
def step_pdb(context, count):
    kept = reading.mlflow_pdb_min_available(world(context).chart.rendered)
    assert kept == count, f"minAvailable is {kept}"


@then('the MLflow server runs with "{argument}"')
def step_mlflow_argument(context, argument):
    arguments = chart.mlflow_container(world(context).chart.rendered)["args"]
    assert argument in arguments, arguments


@then("the MLflow admin password comes from a Secret")
def step_admin_password_from_secret(context):
    reference = reading.mlflow_secret_reference(world(context).chart.rendered, "MLFLOW_AUTH_ADMIN_PASSWORD")
    assert reference is not None, "MLFLOW_AUTH_ADMIN_PASSWORD is not read from a Secret"


@then('a ServiceMonitor scrapes "{path}" from the MLflow Service')
def step_service_monitor(context, path):
    scraped = reading.mlflow_service_monitor_path(world(context).chart.rendered)
    assert scraped == path, f"the ServiceMonitor scrapes {scraped}"


@then('an Ingress routes "{host}" to the MLflow Service over TLS')
def step_ingress(context, host):
    route = reading.mlflow_ingress_route(world(context).chart.rendered)
    assert route.host == host and route.tls_hosts == [host] and route.service.endswith("-mlflow"), route


@then('the MLflow server accepts the host "{host}"')
def step_allowed_host(context, host):
    allowed = reading.mlflow_allowed_hosts(world(context).chart.rendered)
    assert host in allowed, f"--allowed-hosts is {allowed}"


@when("the running MLflow server is probed for what each of its arguments promises")
def step_probe_promises(context):
    platform = world(context).platform
    found = world(context).chart.promises = promises.probe(platform)
    context.add_cleanup(promises.remove_probe_artifacts, platform)
    attach_text("server arguments and their promises", "\n".join(p.line() for p in found))


@then("the server keeps the promise of every argument")
def step_promises_kept(context):
    found = world(context).chart.promises
    broken = [p.line() for p in found if not p.kept]
    assert found and not broken, "\n".join(broken)


@then("the spark-client container sets SPARK_LOCAL_IP and SPARK_LOCAL_HOSTNAME to the pod's IP")
def step_client_advertises_ip(context):
    addresses = reading.client_addresses(world(context).chart.rendered)
    assert addresses == {"POD_IP": "status.podIP", "SPARK_LOCAL_IP": "$(POD_IP)",
                         "SPARK_LOCAL_HOSTNAME": "$(POD_IP)"}, addresses


@then("the executor pod template mounts a writable volume at /tmp")
def step_executor_tmp(context):
    volume = reading.executor_volume_at(world(context).chart.rendered, "/tmp")
    assert volume == "emptyDir", f"/tmp of the executors is {volume}"


@then('the GPU workers tolerate the "{taint}" taint')
def step_gpu_tolerations(context, taint):
    tolerations = reading.worker_tolerations(world(context).chart.rendered)
    assert reading.tolerates(tolerations, taint), tolerations


@then("MinIO's volume claim is kept by helm uninstall")
def step_minio_pvc_kept(context):
    assert reading.kept_by_uninstall(world(context).chart.rendered, "PersistentVolumeClaim", "-minio")


@then('the MLflow server reads "{variable}" from key "{key}" of Secret "{secret}"')
def step_env_from_secret(context, variable, key, secret):
    reference = reading.mlflow_secret_reference(world(context).chart.rendered, variable)
    assert reference == {"name": secret, "key": key}, f"{variable} comes from {reference}"
