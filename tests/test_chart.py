"""harness/chart.py: the checks must catch what they name (hand-made objects), and the real chart renders."""

import base64
import copy

import pytest

from harness import chart


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
    assert chart.token_mounting_pods(rendered) == []


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


def test_argument_mismatches_allow_only_references_host_and_port():
    rendered = chart.Rendered([_deployment(SAFE_CONTAINER)])
    same = ["server", "--host=127.0.0.1", "--port=6000", "--backend-store-uri=postgresql+psycopg2://me:pw@lo:5432/db"]
    assert chart.argument_mismatches(rendered, same) == []
    changed = [*same[:3], "--backend-store-uri=sqlite:///mlflow.db"]
    assert len(chart.argument_mismatches(rendered, changed)) == 1
    assert "arguments" in chart.argument_mismatches(rendered, same + ["--workers=4"])[0]


def test_overrides_parse_like_helm_set():
    assert chart.parse_overrides("a.b=1, c=x=y") == {"a.b": "1", "c": "x=y"}


def test_default_value_passwords_are_found(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("db:\n  password: mlflow123\n  existingSecret: ''\nauth:\n  adminPassword: ''\n")
    assert chart.default_value_passwords(values) == ["db.password=mlflow123"]


def test_the_real_chart_renders_the_mlflow_server_with_proxied_artifacts():
    rendered = chart.render("standalone-submit", "4.1.1")
    args = chart.mlflow_container(rendered)["args"]
    assert "--serve-artifacts" in args and "--artifacts-destination=s3://mlflow-artifacts" in args
    assert not any(arg.startswith("--default-artifact-root") for arg in args)


def test_an_unsupported_version_is_refused_before_helm_runs():
    with pytest.raises(Exception, match="unknown Spark version '3.4.0'"):
        chart.render("standalone-submit", "3.4.0")
