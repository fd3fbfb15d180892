"""networkpolicy.yaml: off by default; on, only the release's pods and the listed peers reach the stores."""

from harness import chart


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
