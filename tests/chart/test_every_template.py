"""What every template keeps: the chart's pull secrets and each image's pull policy on every pod, one shape
for every image value, and placement values reaching exactly the workload they name."""

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


def test_every_image_value_has_one_shape():
    values = yaml.safe_load((chart.CHART_DIR / "values.yaml").read_text())

    def images(node, path=""):
        for key, value in node.items() if isinstance(node, dict) else ():
            if key.lower().endswith("image"):
                yield f"{path}{key}", value
            else:
                yield from images(value, f"{path}{key}.")

    found = dict(images(values))
    assert len(found) == 8, found
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
