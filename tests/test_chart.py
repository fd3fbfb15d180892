"""harness/chart: the checks must catch what they name, shown on hand-made objects (the chart's own templates
are tested in tests/chart/, one file per template)."""

import base64
import copy

import pytest

from harness import chart
from harness.chart.storage import buckets_created
from harness.errors import SuiteError
from harness.matrix import MODES


def _deployment(container: dict, pod_extra: dict | None = None) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x-mlflow", "labels": {"app.kubernetes.io/component": "mlflow"}},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [container], **(pod_extra or {})}}}}


SAFE_CONTAINER = {
    "name": "mlflow", "image": "img", "args": ["server", "--host=0.0.0.0", "--port=5000",
                                            "--backend-store-uri=postgresql+psycopg2://$(U):$(P)@$(H):5432/db"],
    "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
          "data": {"password": base64.b64encode(b"hunter2-is-long").decode()}}


def test_a_safe_pod_has_no_findings():
    rendered = chart.Rendered([SECRET, _deployment(SAFE_CONTAINER, {"automountServiceAccountToken": False})])
    assert chart.plaintext_secrets(rendered) == []
    assert chart.restricted_violations(rendered) == []
    assert chart.non_readonly_root_containers(rendered) == []
    assert chart.token_mounting_components(rendered) == set()


def test_a_secret_value_in_an_env_value_is_found():
    leaky = copy.deepcopy(SAFE_CONTAINER)
    leaky["env"] = [{"name": "DB", "value": "postgresql://u:hunter2-is-long@h/db"}]
    assert chart.plaintext_secrets(chart.Rendered([SECRET, _deployment(leaky)])) == [
        "Deployment/x-mlflow container mlflow env DB: holds the value of a Secret"]


def test_a_literal_password_in_a_config_map_is_found_but_a_reference_is_not():
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
              "data": {"ini": "password = abc123", "ok": "password=$(DB_PASSWORD)\nautomountServiceAccountToken: false"}}
    assert chart.plaintext_secrets(chart.Rendered([config])) == ["ConfigMap/c key ini: literal 'password = abc123'"]


def test_root_and_privilege_escalation_break_the_restricted_profile():
    bad = copy.deepcopy(SAFE_CONTAINER)
    bad["securityContext"].update(runAsUser=0, allowPrivilegeEscalation=True, capabilities={"drop": ["NET_RAW"]})
    found = chart.restricted_violations(chart.Rendered([_deployment(bad, {"hostNetwork": True})]))
    assert any("uid 0" in f for f in found) and any("allowPrivilegeEscalation" in f for f in found)
    assert any("drop ALL" in f for f in found) and any("host namespaces" in f for f in found)


def test_strict_validation_catches_an_unknown_field():
    doc = _deployment({**SAFE_CONTAINER, "imagePullPolcy": "Always"})
    errors = chart.validation_errors(chart.Rendered([doc]), "1.33.0")
    assert len(errors) == 1 and "imagePullPolcy" in errors[0]


def test_the_bucket_job_script_names_the_buckets_and_nothing_else_passes_silently():
    script = ('until mc alias set platform "$S3_ENDPOINT" "$A" "$S"; do sleep 3; done\n'
              "mc mb --ignore-existing platform/mlflow-artifacts\n")
    assert buckets_created(script) == ["mlflow-artifacts"]
    assert buckets_created(script.replace("mlflow-artifacts", "artefacts")) == ["artefacts"]
    with pytest.raises(SuiteError, match="mc anonymous"):
        buckets_created(script + "mc anonymous set download platform/mlflow-artifacts\n")
    with pytest.raises(SuiteError, match="creates no bucket"):
        buckets_created("echo nothing\n")


def test_spark_defaults_parse_by_key_whatever_the_spacing():
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x-spark-conf"}, "data": {
        "spark-defaults.conf": "spark.master   spark://m:7077\n# a comment\n\n"
                               "spark.sql.catalog.lake org.apache.iceberg.spark.SparkCatalog\n"
                               "spark.sql.catalog.lake.type\tjdbc\n"}}
    rendered = chart.Rendered([config])
    assert rendered.spark_conf()["spark.master"] == "spark://m:7077"
    assert chart.iceberg_catalogs(rendered) == {"lake": {"type": "jdbc"}}


def test_overrides_parse_like_helm_set():
    assert chart.parse_overrides("a.b=1, c=x=y") == {"a.b": "1", "c": "x=y"}


def test_default_value_passwords_are_found(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("db:\n  password: mlflow123\n  existingSecret: ''\nauth:\n  adminPassword: ''\n")
    assert chart.default_value_passwords(values) == ["db.password=mlflow123"]
    names = tmp_path / "names.yaml"
    names.write_text("auth:\n  existingSecretKeys: {adminPassword: admin-password}\n  adminPassword: hunter2\n")
    assert chart.default_value_passwords(names) == ["auth.adminPassword=hunter2"]


def test_the_chart_migrates_in_a_locked_init_container_and_a_pod_without_it_is_caught():
    rendered = chart.render("standalone-submit", "4.1.1", {})
    assert chart.migration_problems(rendered) == []
    pod = rendered.pod_of("mlflow")
    migration = next(c for c in pod["initContainers"] if c["name"] == "migrate-database")
    script = migration["args"][0]
    migration["args"][0] = script.replace("pg_advisory_lock", "pg_try_advisory_lock")
    assert chart.migration_problems(rendered) == ["migrate-database does not take pg_advisory_lock first"]
    pod["initContainers"].remove(migration)
    assert chart.migration_problems(rendered)[0].startswith("the MLflow pod has no migrate-database init container")


def test_the_readmes_cluster_sizes_are_what_the_chart_requests():
    """Issue 23: the README said "about 6 GiB" while connect-standalone requests 9.25 GiB and 3.2 CPUs."""
    readme = (chart.CHART_DIR.parents[1] / "README.md").read_text()
    for mode in MODES:
        memory, cpu = chart.requested(chart.render(mode, "4.1.1"))
        assert f"| `{mode}` | {memory:.2f} GiB | {cpu:.2f} |" in readme, (mode, memory, cpu)
