"""minio/minio.yaml: the artifact store, its generated keys and its volume, all kept by `helm uninstall`."""

import base64

import pytest

from harness import chart


def test_the_volume_and_the_generated_keys_outlive_helm_uninstall():
    rendered = chart.render("standalone-submit", "4.1.1", {"minio.storage.size": "50Gi",
                                                          "minio.storage.storageClass": "fast"})
    claim = rendered.named("PersistentVolumeClaim", "-minio")
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert claim["spec"]["storageClassName"] == "fast"
    keys = rendered.named("Secret", "-s3")
    assert keys["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert {len(base64.b64decode(value)) for value in keys["data"].values()} == {32}


def test_an_existing_secret_replaces_the_generated_keys():
    rendered = chart.render("standalone-submit", "4.1.1", {"s3.existingSecret": "store-keys"})
    assert not [s for s in rendered.of_kind("Secret") if s["metadata"]["name"].endswith("-s3")]
    env = {e["name"]: e for e in rendered.container("minio", "minio")["env"]}
    assert env["MINIO_ROOT_USER"]["valueFrom"]["secretKeyRef"] == {"name": "store-keys", "key": "access-key"}


def test_minio_gets_a_kept_key_of_its_own_for_server_side_encryption():
    rendered = chart.render("standalone-submit", "4.1.1")
    secret = rendered.named("Secret", "-minio-kms")
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    name, key = base64.b64decode(secret["data"]["kms-key"]).decode().split(":")
    assert name and len(base64.b64decode(key)) == 32
    env = {e["name"]: e for e in rendered.container("minio", "minio")["env"]}
    assert env["MINIO_KMS_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "spec-spark-standalone-minio-kms",
                                                                        "key": "kms-key"}


def test_with_tls_minio_serves_its_certificate_from_its_certs_dir_and_probes_over_https():
    rendered = chart.render("standalone-submit", "4.1.1", {"minio.tls.enabled": "true",
                                                           "minio.tls.existingSecret": "store-certs"})
    pod = rendered.pod_of("minio")
    minio = pod["containers"][0]
    certs_dir = minio["args"][minio["args"].index("--certs-dir") + 1]
    assert chart.secret_files(pod, minio) == {f"{certs_dir}/public.crt": ("store-certs", "tls.crt"),
                                              f"{certs_dir}/private.key": ("store-certs", "tls.key")}
    assert minio["readinessProbe"]["httpGet"]["scheme"] == minio["livenessProbe"]["httpGet"]["scheme"] == "HTTPS"


def test_minio_tls_is_refused_with_iceberg_whose_s3a_client_ignores_the_ca_file():
    with pytest.raises(chart.RenderFailed, match="mode iceberg"):
        chart.render("iceberg", "4.1.1", {"minio.tls.enabled": "true", "minio.tls.existingSecret": "store-certs"})
