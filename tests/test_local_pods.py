"""The chart's pods made local: a Secret's files written where the container mounts them (as the kubelet
would), a pod's own environment from the render and its Secrets, the chart's TLS arguments making the MLflow
server an HTTPS one, and its probe asking as the kubelet's."""

import http.server
import ssl
import threading

import pytest

from harness import chart
from harness.chart.local_containers import mount_secrets, pod_env, volume_folder
from harness.errors import ServiceFailed
from harness.mlflow.server import MlflowServer
from harness.production.certificates import CertificateAuthority
from harness.system.ports import LOOPBACK, claim_port

POD = {"volumes": [{"name": "server-tls", "secret": {"secretName": "replica-tls", "items": [
    {"key": "tls.crt", "path": "tls.crt"}, {"key": "tls.key", "path": "tls.key"}]}},
    {"name": "tmp", "emptyDir": {}}]}
CONTAINER = {"volumeMounts": [{"name": "server-tls", "mountPath": "/etc/mlflow-tls"},
                              {"name": "tmp", "mountPath": "/tmp"}]}
TLS_ARGS = ["server", "--port=5000", "--uvicorn-opts=--ssl-keyfile=/k --ssl-certfile=/c"]


def test_a_secrets_items_become_private_files_where_the_container_reads_them(tmp_path):
    mount_secrets(POD, CONTAINER, {}, tmp_path, {"replica-tls": {"tls.crt": b"CERT", "tls.key": b"KEY"}})
    folder = volume_folder(tmp_path, "/etc/mlflow-tls")
    assert (folder / "tls.crt").read_bytes() == b"CERT" and (folder / "tls.key").read_bytes() == b"KEY"
    assert (folder / "tls.key").stat().st_mode & 0o077 == 0


def test_a_secret_the_local_target_was_not_given_is_named(tmp_path):
    with pytest.raises(ServiceFailed, match="key tls.key of the Secret replica-tls at /etc/mlflow-tls/tls.key"):
        mount_secrets(POD, CONTAINER, {}, tmp_path, {"replica-tls": {"tls.crt": b"CERT"}})


def test_the_charts_tls_arguments_make_the_server_an_https_one(tmp_path):
    assert MlflowServer(tmp_path, TLS_ARGS, 5000, {}).url == f"https://{LOOPBACK}:5000"
    assert MlflowServer(tmp_path, ["server", "--static-prefix=/m"], 5000, {}).url == f"http://{LOOPBACK}:5000/m"


def test_the_probe_asks_over_https_without_checking_the_certificate_as_the_kubelets_does(tmp_path):
    port = claim_port(None, "a stand-in server")
    issued = CertificateAuthority("a CA nobody trusts").issue(["elsewhere.example"])
    pem = issued.write_pem(tmp_path / "server.pem")

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's protocol
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *_):  # the test's output stays its own
            return None

    server = http.server.HTTPServer((LOOPBACK, port), Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert MlflowServer(tmp_path, [*TLS_ARGS[:1], f"--port={port}", TLS_ARGS[2]], port, {}).healthy()
    finally:
        server.shutdown()
        server.server_close()


def test_a_pods_own_environment_keeps_the_rendered_values_and_fills_each_secret_reference():
    container = {"name": "mlflow", "env": [
        {"name": "MLFLOW_DB_HOST", "value": "spec-spark-standalone-postgresql"},
        {"name": "MLFLOW_DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "DB_URL", "value": "postgresql://$(MLFLOW_DB_HOST)"}]}
    env = pod_env(container, {"MLFLOW_DB_PASSWORD": "s3cret", "MLFLOW_DB_HOST": "127.0.0.1"})
    assert env == {"MLFLOW_DB_HOST": "spec-spark-standalone-postgresql", "MLFLOW_DB_PASSWORD": "s3cret",
                   "DB_URL": "postgresql://spec-spark-standalone-postgresql"}
    with pytest.raises(ServiceFailed, match="CreateContainerConfigError: the container mlflow reads "
                                            "MLFLOW_DB_PASSWORD from a Secret key"):
        pod_env(container, {})


def test_the_charts_server_in_a_pod_listens_where_the_chart_says_and_is_reached_through_a_forward(tmp_path):
    rendered = chart.render_default()
    args = chart.mlflow_server_args(rendered, {"MLFLOW_DB_USER": "u", "MLFLOW_DB_HOST": "h", "MLFLOW_DB_PORT": "1",
                                               "MLFLOW_DB_NAME": "n"})
    assert "--host=0.0.0.0" in args and f"--port={chart.mlflow_container_port(rendered)}" in args
    assert rendered.service_of("mlflow") == "spec-spark-standalone-mlflow"
    assert rendered.run_as("postgresql") == (999, 999) and rendered.run_as("mlflow") == (1000, 1000)
