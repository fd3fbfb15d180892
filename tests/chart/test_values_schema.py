"""values.schema.json: typos and values of the wrong shape are refused before any template renders, with
helm's message naming the value; every default value is declared, so only typos are refused."""

import json

import pytest
import yaml

from harness import chart


@pytest.mark.parametrize(("overrides", "message"), [
    ({"spark.version": "3.4.0"}, "value must be one of '3.5.7', '3.5.8', '4.1.0', '4.1.1'"),
    ({"mode": "yarn"}, "value must be one of 'k8s', 'connect-k8s'"),
    ({"mlflow.replica": "3"}, "additional properties 'replica' not allowed"),
    ({"mlflow.urlPrefix": "/x"}, "additional properties 'urlPrefix' not allowed"),
    ({"mlflow.tolerations.key": "dedicated"}, "tolerations"),
    ({"mlflow.extraEnv[0].value": "x"}, "name"),
    ({"mlflow.extraVolumeMounts[0].name": "ca"}, "mountPath"),
    ({"mlflow.corsAllowedOrigins[0]": "nb.example.org"}, "corsAllowedOrigins"),
    ({"mlflow.ingress.maxBodySize": "8 MB"}, "maxBodySize"),
    ({"spark.iceberg.jars[0]": "iceberg.jar"}, "jars"),
    ({"backup.enabled": "true", "backup.schedule": "hourly"}, "schedule"),
])
def test_a_value_of_the_wrong_shape_is_refused_with_its_name(overrides, message):
    with pytest.raises(chart.RenderFailed, match=message.replace("(", r"\(")):
        chart.render("standalone-submit", "4.1.1", overrides)


def test_an_unsupported_version_is_refused_before_helm_runs():
    with pytest.raises(Exception, match="unknown Spark version '3.4.0'"):
        chart.render("standalone-submit", "3.4.0")


def test_the_schema_declares_every_default_value_so_only_typos_are_refused():
    schema = json.loads((chart.CHART_DIR / "values.schema.json").read_text())
    missing = []

    def walk(node_schema: dict, values: dict, path: str) -> None:
        if node_schema.get("additionalProperties") is not False:
            return  # a free-form map (images, extraConf, resources, ...)
        for key, value in values.items():
            declared = node_schema.get("properties", {}).get(key)
            if declared is None:
                missing.append(f"{path}{key}")
            elif isinstance(value, dict):
                walk(declared, value, f"{path}{key}.")

    walk(schema, yaml.safe_load((chart.CHART_DIR / "values.yaml").read_text()), "")
    assert missing == []
    assert schema["additionalProperties"] is False and schema["properties"]["mlflow"]["additionalProperties"] is False


def test_an_umbrella_charts_global_values_are_accepted():
    """Issue 23: the strict root refused `global`, which Helm passes to every dependency of an umbrella chart."""
    rendered = chart.render("standalone-submit", "4.1.1", {"global.imageRegistry": "registry.example"})
    assert rendered.workload("mlflow")
