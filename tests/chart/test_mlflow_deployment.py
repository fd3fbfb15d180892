"""mlflow/deployment.yaml: the MLflow server's pod: its arguments (CORS, prefix, extra options), where the
database password goes (never an argument), the init containers that create and migrate the databases one
replica at a time, rolling updates without a gap, and the spread of replicas."""

import pytest

from harness import chart


def test_the_server_proxies_artifacts_to_the_bucket():
    args = chart.mlflow_container(chart.render("standalone-submit", "4.1.1"))["args"]
    assert "--serve-artifacts" in args and "--artifacts-destination=s3://mlflow-artifacts" in args
    assert not any(arg.startswith("--default-artifact-root") for arg in args)


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


def test_an_mlflow_affinity_replaces_the_default_spread_of_replicas():
    default = chart.render("standalone-submit", "4.1.1", {"mlflow.replicas": "2"})
    assert "podAntiAffinity" in default.workload("mlflow")["spec"]["template"]["spec"]["affinity"]
    mine = chart.render("standalone-submit", "4.1.1", {
        "mlflow.replicas": "2", "mlflow.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
        ".weight": "1", "mlflow.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
        ".podAffinityTerm.topologyKey": "zone"})
    assert list(mine.workload("mlflow")["spec"]["template"]["spec"]["affinity"]) == ["podAffinity"]


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


def test_extra_arguments_and_environment_reach_the_server():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.extraArgs[0]": "--uvicorn-opts=--timeout-keep-alive=30",
        "mlflow.extraEnv[0].name": "MLFLOW_LOGGING_LEVEL", "mlflow.extraEnv[0].value": "DEBUG"})
    mlflow = chart.mlflow_container(rendered)
    assert mlflow["args"][-1] == "--uvicorn-opts=--timeout-keep-alive=30"
    assert chart.env_values(mlflow)["MLFLOW_LOGGING_LEVEL"] == "DEBUG"


def test_extra_volumes_are_mounted_into_the_server():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "mlflow.extraVolumes[0].name": "ca", "mlflow.extraVolumes[0].configMap.name": "corporate-ca",
        "mlflow.extraVolumeMounts[0].name": "ca", "mlflow.extraVolumeMounts[0].mountPath": "/etc/ssl/corporate"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    assert {"name": "ca", "configMap": {"name": "corporate-ca"}} in rendered.pod_of("mlflow")["volumes"]
    assert {"name": "ca", "mountPath": "/etc/ssl/corporate"} in chart.mlflow_container(rendered)["volumeMounts"]


def test_with_a_restore_the_pod_waits_for_its_tables_before_anything_may_create_them():
    plain = [c["name"] for c in chart.render("standalone-submit", "4.1.1").pod_of("mlflow")["initContainers"]]
    assert "wait-for-restore" not in plain
    pod = chart.render("standalone-submit", "4.1.1", {"restore.enabled": "true"}).pod_of("mlflow")
    names = [c["name"] for c in pod["initContainers"]]
    assert names.index("wait-for-database") < names.index("wait-for-restore") < names.index("migrate-database")
    assert "alembic_version" in pod["initContainers"][names.index("wait-for-restore")]["args"][0]


SSO = {"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password", "mlflow.auth.mode": "sso",
       "mlflow.auth.adminUsername": "admin@example.org", "mlflow.auth.sso.issuer": "https://team.cloudflareaccess.com",
       "mlflow.auth.sso.audience": "aud-tag"}


def test_in_sso_mode_the_auth_app_calls_the_chart_module_configured_for_the_issuer():
    certs = "https://team.cloudflareaccess.com/cdn-cgi/access/certs"
    rendered = chart.render_default({**SSO, "mlflow.auth.sso.jwksUrl": certs})
    config = rendered.container("mlflow", "render-auth-config")["args"][0]
    assert "authorization_function = mlflow_sso:authenticate_request_sso" in config
    assert "admin_username = admin@example.org" in config
    server = chart.mlflow_container(rendered)
    env = chart.env_values(server)
    assert env["PYTHONPATH"] == "/opt/mlflow-sso/module:/opt/mlflow-sso/lib"
    assert {key: env[key] for key in env if key.startswith("MLFLOW_SSO_")} == {
        "MLFLOW_SSO_ISSUER": "https://team.cloudflareaccess.com", "MLFLOW_SSO_AUDIENCE": "aud-tag",
        "MLFLOW_SSO_JWKS_URL": certs, "MLFLOW_SSO_EMAIL_CLAIM": "email",
        "MLFLOW_SSO_JWKS_CACHE_SECONDS": "300", "MLFLOW_SSO_KEY_REFRESH_COOLDOWN_SECONDS": "10"}
    mounts = {m["mountPath"]: m["name"] for m in server["volumeMounts"]}
    assert mounts["/opt/mlflow-sso/module"] == "sso-module" and mounts["/opt/mlflow-sso/lib"] == "sso-lib"
    volumes = {v["name"]: v for v in rendered.pod_of("mlflow")["volumes"]}
    assert volumes["sso-module"]["configMap"]["name"].endswith("-mlflow-sso") and "emptyDir" in volumes["sso-lib"]


def test_in_sso_mode_the_admin_is_the_email_as_tokens_carry_it_and_a_new_module_restarts_the_servers():
    rendered = chart.render_default({**SSO, "mlflow.auth.adminUsername": "Ops@Example.org"})
    assert "admin_username = ops@example.org" in rendered.container("mlflow", "render-auth-config")["args"][0]
    annotations = rendered.named("Deployment", "-mlflow")["spec"]["template"]["metadata"]["annotations"]
    assert len(annotations["checksum/mlflow-sso"]) == 64


def test_the_requirements_install_goes_through_the_proxy_or_index_of_mlflow_extra_env():
    install = chart.render_default({**SSO, "mlflow.extraEnv[0].name": "PIP_INDEX_URL",
                                    "mlflow.extraEnv[0].value": "https://pypi.internal/simple"}) \
        .container("mlflow", "install-sso-requirements")
    assert chart.env_values(install)["PIP_INDEX_URL"] == "https://pypi.internal/simple"


def test_in_sso_mode_an_init_container_installs_pyjwt_unless_the_image_has_it():
    install = chart.render_default(SSO).container("mlflow", "install-sso-requirements")
    assert install["command"] == ["python", "-m", "pip"] and install["args"][-1] == "PyJWT==2.15.1"
    assert "/opt/mlflow-sso/lib" in install["args"]
    inits = [c["name"] for c in chart.render_default({**SSO, "mlflow.auth.sso.requirements": ""})
             .pod_of("mlflow")["initContainers"]]
    assert "install-sso-requirements" not in inits


def test_with_basic_auth_nothing_of_sso_is_rendered():
    rendered = chart.render_default({"mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password"})
    assert "authenticate_request_basic_auth" in rendered.container("mlflow", "render-auth-config")["args"][0]
    assert not [e for e in chart.mlflow_container(rendered)["env"] if e["name"].startswith("MLFLOW_SSO_")]
    assert "install-sso-requirements" not in [c["name"] for c in rendered.pod_of("mlflow")["initContainers"]]


@pytest.mark.parametrize(("values", "message"), [
    ({"mlflow.auth.mode": "sso"}, "needs mlflow.auth.enabled=true"),
    ({**SSO, "mlflow.auth.sso.audience": ""}, "needs mlflow.auth.sso.issuer .* and mlflow.auth.sso.audience"),
    ({**SSO, "mlflow.auth.sso.issuer": ""}, "needs mlflow.auth.sso.issuer"),
    ({"mlflow.auth.mode": "oidc"}, "value must be one of 'basic', 'sso'"),
    ({**SSO, "mlflow.auth.adminUsername": "admin"}, "set mlflow.auth.adminUsername to the admin's email"),
    ({**SSO, "mlops.enabled": "true"}, "the MLOps API logs in to MLflow with a password"),
])
def test_sso_without_what_it_needs_is_refused_with_what_to_set(values, message):
    with pytest.raises(chart.RenderFailed, match=message):
        chart.render_default(values)


def test_with_tls_the_replicas_serve_https_with_the_secrets_certificate_and_probe_over_https():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true",
                                                           "mlflow.tls.existingSecret": "replica-certs"})
    server = chart.mlflow_container(rendered)
    assert "--uvicorn-opts=--ssl-keyfile=/etc/mlflow-tls/tls.key --ssl-certfile=/etc/mlflow-tls/tls.crt" in \
        server["args"]
    assert chart.secret_files(rendered.pod_of("mlflow"), server) == {
        "/etc/mlflow-tls/tls.crt": ("replica-certs", "tls.crt"), "/etc/mlflow-tls/tls.key": ("replica-certs", "tls.key")}
    assert {server[probe]["httpGet"]["scheme"] for probe in ("startupProbe", "readinessProbe", "livenessProbe")} \
        == {"HTTPS"}
    plain = chart.mlflow_container(chart.render("standalone-submit", "4.1.1"))
    assert plain["readinessProbe"]["httpGet"]["scheme"] == "HTTP"
    assert not any(arg.startswith("--uvicorn-opts") for arg in plain["args"])


def test_with_minio_tls_the_server_trusts_its_ca_for_the_artifact_store():
    rendered = chart.render("standalone-submit", "4.1.1", {"minio.tls.enabled": "true",
                                                           "minio.tls.existingSecret": "store-certs"})
    server = chart.mlflow_container(rendered)
    env = chart.env_values(server)
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "https://spec-spark-standalone-minio:9000"
    assert chart.secret_files(rendered.pod_of("mlflow"), server)[env["AWS_CA_BUNDLE"]] == ("store-certs", "ca.crt")


def test_tls_refuses_a_second_uvicorn_opts_that_would_replace_its_certificate():
    with pytest.raises(chart.RenderFailed, match="leave it out of extraArgs"):
        chart.render("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true", "mlflow.tls.existingSecret": "c",
                                                    "mlflow.extraArgs[0]": "--uvicorn-opts=--timeout-keep-alive 30"})
    pod = chart.render("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true", "mlflow.tls.existingSecret": "c"})
    key_volume = next(v for v in pod.pod_of("mlflow")["volumes"] if v["name"] == "server-tls")
    assert key_volume["secret"]["defaultMode"] == 0o440, "the key is readable by the pod's group (fsGroup) only"
