"""mlflow/pdb.yaml: a disruption budget only where there is a replica to spare, selecting the MLflow pods."""

from harness import chart


def test_two_replicas_keep_the_configured_minimum_available():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.replicas": "3",
                                                          "mlflow.podDisruptionBudget.minAvailable": "2"})
    budget = rendered.named("PodDisruptionBudget", "-mlflow")["spec"]
    assert budget["minAvailable"] == 2
    pod_labels = rendered.workload("mlflow")["spec"]["template"]["metadata"]["labels"]
    assert budget["selector"]["matchLabels"].items() <= pod_labels.items()


def test_one_replica_has_no_budget():
    assert chart.render("standalone-submit", "4.1.1").of_kind("PodDisruptionBudget") == []
