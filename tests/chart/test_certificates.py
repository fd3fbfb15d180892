"""certificates.yaml: cert-manager Certificates for the servers that speak TLS inside the cluster (mlflow.tls,
minio.tls), naming their Service in every spelling, into the Secret their pods mount."""

import pytest

from harness import chart

ISSUED = {"mlflow.tls.enabled": "true", "mlflow.tls.certManager.enabled": "true",
          "mlflow.tls.certManager.issuerRef.name": "platform-ca", "minio.tls.enabled": "true",
          "minio.tls.certManager.enabled": "true", "minio.tls.certManager.issuerRef.name": "platform-ca",
          "minio.tls.certManager.issuerRef.kind": "ClusterIssuer"}


def test_each_server_gets_a_certificate_for_its_service_names_into_the_secret_its_pod_mounts():
    rendered = chart.render("standalone-submit", "4.1.1", ISSUED)
    certificates = {doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc["spec"]
                    for doc in rendered.of_kind("Certificate")}
    assert certificates["mlflow"]["dnsNames"] == [
        "spec-spark-standalone-mlflow", "spec-spark-standalone-mlflow.spec",
        "spec-spark-standalone-mlflow.spec.svc", "spec-spark-standalone-mlflow.spec.svc.cluster.local", "localhost"]
    assert certificates["mlflow"]["issuerRef"] == {"name": "platform-ca", "kind": "Issuer"}
    assert certificates["minio"]["issuerRef"] == {"name": "platform-ca", "kind": "ClusterIssuer"}
    mlflow_pod = rendered.pod_of("mlflow")
    mounted = chart.secret_files(mlflow_pod, chart.mlflow_container(rendered))
    assert mounted["/etc/mlflow-tls/tls.crt"] == (certificates["mlflow"]["secretName"], "tls.crt")
    minio = rendered.pod_of("minio")
    assert chart.secret_files(minio, minio["containers"][0])["/etc/minio/certs/public.crt"] == \
        (certificates["minio"]["secretName"], "tls.crt")


def test_no_certificate_without_cert_manager_or_tls():
    assert chart.render("standalone-submit", "4.1.1").of_kind("Certificate") == []
    own = chart.render("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true",
                                                      "mlflow.tls.existingSecret": "mine"})
    assert own.of_kind("Certificate") == []


@pytest.mark.parametrize("component", ["mlflow", "minio"])
def test_tls_without_a_certificate_source_is_refused(component):
    with pytest.raises(chart.RenderFailed, match=f"{component}.tls.existingSecret"):
        chart.render("standalone-submit", "4.1.1", {f"{component}.tls.enabled": "true"})
    with pytest.raises(chart.RenderFailed, match=f"{component}.tls.certManager.issuerRef.name"):
        chart.render("standalone-submit", "4.1.1", {f"{component}.tls.enabled": "true",
                                                    f"{component}.tls.certManager.enabled": "true"})
