"""NOTES.txt, as `helm install` prints it: how to reach what this release runs, and when secrets were
generated, how GitOps users keep them."""

from harness import chart


def test_the_notes_name_the_service_and_the_way_to_run_jobs_of_the_mode():
    notes = chart.notes("k8s", "4.1.1")
    assert notes.startswith("Mode k8s, Spark 4.1.1 in namespace spec.")
    assert "port-forward svc/spec-spark-standalone-mlflow 5000:5000" in notes
    assert "Outside the cluster set MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD=false" in notes
    assert "exec -it deploy/spec-spark-standalone-spark-client -- /opt/spark/bin/spark-submit" in notes
    assert "Spark master" not in notes
    standalone = chart.notes("connect-standalone", "4.1.1")
    assert "Spark master: spark://spec-spark-standalone-master" in standalone
    assert "Spark Connect: sc://spec-spark-standalone-connect.spec.svc:15002" in standalone
    assert "spark-client" not in standalone


def test_the_notes_follow_the_prefix_the_ingress_and_the_login():
    notes = chart.notes("standalone-submit", "4.1.1", {
        "mlflow.staticPrefix": "/mlflow", "mlflow.ingress.enabled": "true", "mlflow.ingress.host": "m.example.org",
        "mlflow.auth.enabled": "true", "mlflow.auth.adminPassword": "a-long-password"})
    assert "then open http://localhost:5000/mlflow" in notes
    assert "or https://m.example.org" in notes
    assert "Sign in as admin; the password is in Secret spec-spark-standalone-mlflow-auth (key admin-password)" in notes
    assert "a-long-password" not in notes


def test_generated_secrets_are_named_with_the_gitops_path_and_existing_ones_are_not():
    generated = chart.notes("standalone-submit", "4.1.1")
    assert "for GitOps set mlflow.postgresql.existingSecret, s3.existingSecret." in generated
    own = chart.notes("standalone-submit", "4.1.1", {"mlflow.postgresql.existingSecret": "db",
                                                      "s3.existingSecret": "s3"})
    assert "Secrets were generated" not in own


def test_with_tls_to_the_replicas_the_notes_open_https_and_name_the_ca():
    notes = chart.notes("standalone-submit", "4.1.1", {"mlflow.tls.enabled": "true",
                                                       "mlflow.tls.existingSecret": "replica-certs"})
    assert "open https://localhost:5000" in notes and "ca.crt of Secret replica-certs" in notes
