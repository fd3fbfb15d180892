"""networkpolicy.yaml: off by default; on, only the release's pods and the listed peers reach the stores, the
Spark pods and the MLOps API."""

from harness import chart


def test_network_policies_admit_only_the_release_and_the_listed_peers():
    rendered = chart.render("k8s", "4.1.1", {
        "networkPolicy.enabled": "true",
        "networkPolicy.mlflowFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name": "ingress-nginx",
        "networkPolicy.sparkFrom[0].namespaceSelector.matchLabels.team": "data-science"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    policies = {doc["metadata"]["name"].rsplit("-", 1)[-1]: doc["spec"] for doc in rendered.of_kind("NetworkPolicy")}
    assert set(policies) == {"postgresql", "minio", "mlflow", "spark"}
    release = {"app.kubernetes.io/name": "spark-standalone", "app.kubernetes.io/instance": "spec"}
    for component, port in (("postgresql", 5432), ("minio", 9000), ("mlflow", 5000)):
        rule = policies[component]["ingress"][0]
        assert rule["from"][0] == {"podSelector": {"matchLabels": release}}, component
        assert rule["ports"] == [{"protocol": "TCP", "port": port}], component
    assert policies["mlflow"]["ingress"][0]["from"][1] == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    # The Spark pods admit the release's pods on any port and the listed Spark peers, nobody else.
    spark = policies["spark"]
    assert spark["podSelector"]["matchExpressions"][0]["values"] == [
        "spark-master", "spark-worker", "spark-connect", "spark-client", "spark-executor"]
    assert spark["ingress"] == [{"from": [{"podSelector": {"matchLabels": release}},
                                          {"namespaceSelector": {"matchLabels": {"team": "data-science"}}}]}]
    spark_components = {doc["metadata"]["labels"]["app.kubernetes.io/component"] for doc in rendered.docs
                        if doc["kind"] in ("Deployment", "StatefulSet")} - {"postgresql", "minio", "mlflow"}
    assert spark_components <= set(spark["podSelector"]["matchExpressions"][0]["values"])
    # Executors are pods of the release too, so the stores admit them.
    assert release.items() <= rendered.executor_pod_template()["metadata"]["labels"].items()


def test_no_network_policy_by_default():
    assert chart.render("standalone-submit", "4.1.1").of_kind("NetworkPolicy") == []


def test_the_mlops_api_admits_the_release_on_any_port_and_mlflows_peers_on_its_api_port():
    rendered = chart.render("standalone-submit", "4.1.1", {
        "networkPolicy.enabled": "true", "mlops.enabled": "true",
        "networkPolicy.mlflowFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name": "ingress-nginx"})
    assert chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []
    policy = rendered.named("NetworkPolicy", "-mlops")["spec"]
    labels = rendered.workload("mlops")["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    release = {"app.kubernetes.io/name": "spark-standalone", "app.kubernetes.io/instance": "spec"}
    assert policy["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": release}}]},  # executors reach its drivers on any port
        {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
         "ports": [{"protocol": "TCP", "port": 8000}]}]
    off = chart.render("standalone-submit", "4.1.1", {"networkPolicy.enabled": "true"})
    assert not [p for p in off.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("-mlops")]
