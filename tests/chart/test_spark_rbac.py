"""spark/rbac.yaml: in the k8s modes the driver's ServiceAccount (with its annotations, for IRSA or workload
identity) may manage pods in the release's namespace; no RBAC where Spark runs its own cluster."""

from harness import chart


def test_the_drivers_service_account_carries_its_annotations():
    rendered = chart.render("k8s", "4.1.1", {
        "spark.kubernetes.serviceAccountAnnotations.eks\\.amazonaws\\.com/role-arn": "arn:aws:iam::1:role/spark"})
    account = rendered.named("ServiceAccount", "-spark")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/spark"}
    assert "annotations" not in chart.render("k8s", "4.1.1").named("ServiceAccount", "-spark")["metadata"]


def test_the_driver_may_manage_its_executor_pods_and_nothing_more():
    rendered = chart.render("connect-k8s", "4.1.1")
    rules = rendered.named("Role", "-spark")["rules"]
    assert {resource for rule in rules for resource in rule["resources"]} == {
        "pods", "pods/log", "services", "configmaps", "persistentvolumeclaims"}
    assert all(rule["apiGroups"] == [""] for rule in rules), "core objects only: no secrets, no other API group"
    assert [rule["verbs"] for rule in rules if rule["resources"] == ["pods/log"]] == [["get"]]
    binding = rendered.named("RoleBinding", "-spark")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "spec-spark-standalone-spark", "namespace": "spec"}]
    assert chart.render("standalone-submit", "4.1.1").of_kind("Role") == []
