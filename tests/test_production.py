"""The production deployment's parts that need no service: balancer config, sizes, clients, certificates."""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509

from harness import timings
from harness.errors import ToolMissing
from harness.mlflow.bad_requests import BAD_REQUESTS
from harness.production.balancer import ReplicaTls, Tls, Upstream, render_config
from harness.production.certificates import CertificateAuthority
from harness.production.clients import ClientRecord, MetricClients, missing_steps, percentile
from harness.production.stack import body_size_bytes, replica_tls_of
from harness.production.users import files_holding
from harness.system import tools

REPO = Path(__file__).resolve().parent.parent


def test_balancer_checks_each_replica_and_refuses_large_bodies(tmp_path):
    config = render_config([Upstream("replica-1", 5001), Upstream("replica-2", 5002)], Upstream("store", 9000), 8443,
                           9443, tmp_path / "admin.sock", Tls(tmp_path / "server.pem"), None, 8 * 1024**2)
    assert "server replica-1 127.0.0.1:5001 check\n" in config
    assert "server replica-2 127.0.0.1:5002 check\n" in config
    assert f"bind 127.0.0.1:8443 ssl crt {tmp_path / 'server.pem'}" in config
    assert "bind 127.0.0.1:9443\n" in config
    assert "deny_status 413 if { req.hdr_val(content-length) gt 8388608 }" in config
    assert "http-check send meth GET uri /health hdr Host localhost" in config
    assert "server store 127.0.0.1:9000" in config


def test_with_tls_end_to_end_the_balancer_verifies_each_replica_and_serves_the_store_over_tls(tmp_path):
    replicas = ReplicaTls(tmp_path / "ca.pem", "mlflow.spec.svc")
    config = render_config([Upstream("replica-1", 5001)], Upstream("store", 9000), 8443, 9443,
                           tmp_path / "admin.sock", Tls(tmp_path / "edge.pem", tmp_path / "store.pem"), replicas, None)
    assert (f"server replica-1 127.0.0.1:5001 check ssl verify required ca-file {tmp_path / 'ca.pem'} "
            "verifyhost mlflow.spec.svc sni str(mlflow.spec.svc)") in config
    assert f"bind 127.0.0.1:9443 ssl crt {tmp_path / 'store.pem'}" in config


def test_in_its_pod_the_balancer_listens_on_the_pods_address_and_reaches_the_replicas_pods(tmp_path):
    config = render_config([Upstream("replica-1", 5000, "10.217.4.7")], Upstream("store", 9000, "10.217.4.3"), 8443,
                           9000, tmp_path / "admin.sock", None, None, None, listen="0.0.0.0")
    assert "bind 0.0.0.0:8443\n" in config and "bind 0.0.0.0:9000\n" in config
    assert "server replica-1 10.217.4.7:5000 check\n" in config and "server store 10.217.4.3:9000" in config


def test_the_balancer_does_what_the_ingress_annotations_ask_of_the_replicas(tmp_path):
    annotations = {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
                   "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
                   "nginx.ingress.kubernetes.io/proxy-ssl-secret": "spec/replica-certs",
                   "nginx.ingress.kubernetes.io/proxy-ssl-name": "spec-mlflow.spec.svc"}
    replica_tls = replica_tls_of(annotations, {"replica-certs": {"ca.crt": b"PEM"}}, tmp_path)
    assert replica_tls is not None and replica_tls.name == "spec-mlflow.spec.svc"
    assert replica_tls.ca_file.read_bytes() == b"PEM"
    assert replica_tls_of({}, {}, tmp_path) is None
    with pytest.raises(AssertionError, match="without verifying"):
        replica_tls_of({**annotations, "nginx.ingress.kubernetes.io/proxy-ssl-verify": "off"}, {}, tmp_path)


def test_balancer_without_tls_or_limit_binds_plain_http(tmp_path):
    config = render_config([Upstream("replica-1", 5001)], Upstream("store", 9000), 8080, 9443,
                           tmp_path / "admin.sock", None, None, None)
    assert "bind 127.0.0.1:8080\n" in config
    assert "413" not in config and "X-Forwarded-Proto http" in config


@pytest.mark.parametrize(("size", "expected"), [("8m", 8 * 1024**2), ("1g", 1024**3), ("512k", 512 * 1024),
                                                ("1024", 1024)])
def test_nginx_sizes(size, expected):
    assert body_size_bytes(size) == expected


def test_a_size_nginx_would_not_read_is_refused():
    with pytest.raises(ValueError, match="not an nginx size"):
        body_size_bytes("8 MB")


def test_percentiles():
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == pytest.approx(50.5)
    assert percentile(samples, 0.95) == pytest.approx(95.05)
    assert percentile([], 0.95) == 0.0


def test_clients_count_acknowledged_and_failed_steps():
    """A fake logger that fails every third step: the clients keep going and keep both counts."""
    lock = threading.Lock()
    calls: list[tuple[str, int]] = []

    def make_logger():
        def log(run_id, key, value, step):
            with lock:
                calls.append((run_id, step))
            if step % 3 == 2:
                raise ConnectionError("refused")
        return log

    clients = MetricClients([ClientRecord("a", "run-a"), ClientRecord("b", "run-b")], make_logger, steps_each=9)
    clients.start()
    clients.join()
    for record in clients.records:
        assert record.acknowledged == [0, 1, 3, 4, 6, 7]
        assert [failure.step for failure in record.failed] == [2, 5, 8]
    summary = clients.summary()
    assert (summary.requests, summary.failed) == (18, 6)


def test_paced_clients_wait_between_their_steps():
    """A client with a pause sends its next step no sooner than the pause after the last answer."""
    sent: list[float] = []

    def make_logger():
        return lambda run_id, key, value, step: sent.append(time.monotonic())

    clients = MetricClients([ClientRecord("a", "run-a")], make_logger, steps_each=4, pause_s=0.05)
    clients.start()
    clients.join()
    gaps = [later - earlier for earlier, later in zip(sent, sent[1:])]
    assert len(gaps) == 3 and min(gaps) >= 0.05, gaps


def test_a_step_acknowledged_but_not_stored_is_reported():
    record = ClientRecord("a", "run-a", acknowledged=[0, 1, 2, 3])
    assert missing_steps(record, {0, 1, 3}) == [2]
    assert missing_steps(record, {0, 1, 2, 3, 4}) == []


def test_the_server_certificate_verifies_against_its_ca_only(tmp_path):
    authority = CertificateAuthority()
    issued = authority.issue(["mlflow.spec.test", "localhost", "127.0.0.1"])
    server = x509.load_pem_x509_certificate(issued.certificate)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["mlflow.spec.test", "localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    trusting = ssl.create_default_context(cafile=str(authority.write(tmp_path / "ca.pem")))
    assert trusting.get_ca_certs()[0]["subject"][1][0][1] == "spec test CA"
    server.verify_directly_issued_by(x509.load_pem_x509_certificate(issued.ca))
    assert set(issued.secret()) == {"tls.crt", "tls.key", "ca.crt"}
    other = x509.load_pem_x509_certificate(CertificateAuthority("an unrelated CA").pem)
    with pytest.raises(ValueError):
        server.verify_directly_issued_by(other)
    pem = issued.write_pem(tmp_path / "server.pem")
    assert pem.read_bytes() == issued.certificate + issued.key and pem.stat().st_mode & 0o077 == 0


def test_files_holding_a_secret(tmp_path):
    (tmp_path / "clean.log").write_text("nothing here")
    (tmp_path / "leaky.log").write_text("password=s3cret-value!")
    assert files_holding("s3cret-value!", sorted(tmp_path.iterdir())) == [str(tmp_path / "leaky.log")]


def test_every_bad_request_in_the_feature_is_one_the_harness_can_send():
    feature = (REPO / "features" / "mlflow_bad_input.feature").read_text()
    rows = [line.split("|")[1].strip() for line in feature.splitlines()
            if line.strip().startswith("|") and "bad request" not in line]
    assert len(rows) >= 14
    assert sorted(rows) == sorted(BAD_REQUESTS), "feature rows and harness.mlflow.bad_requests differ"


@pytest.mark.parametrize("find", [tools.java, tools.haproxy, tools.postgres_bin_dir], ids=["java", "haproxy", "initdb"])
def test_a_missing_tool_is_one_line_that_says_how_to_install_it(find, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(tools.shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr(tools.glob, "glob", lambda pattern: [])
    with pytest.raises(ToolMissing) as raised:
        find()
    message = str(raised.value)
    assert "\n" not in message and ("apt-get install" in message or "make setup" in message), message


def test_the_overhead_ratio_is_wall_time_over_what_the_run_waited_on(tmp_path):
    ledger = {"wall_seconds": 300.0, "operations": {"Spark jobs": {"count": 2, "seconds": 100.0},
                                                     "MLflow API calls": {"count": 500, "seconds": 50.0}}}
    text = timings.overhead_text(ledger)
    assert "wall 300s / raw operations 150s = 2.00" in text
    assert "Spark jobs 100s (2)" in text and "MLflow API calls 50s (500)" in text


def test_the_ledger_sums_what_is_recorded(tmp_path):
    timings.record("a test kind", 1.5)
    timings.record("a test kind", 0.5)
    timings.write(tmp_path / "timings.json", 10.0)
    ledger = timings.read(tmp_path / "timings.json")
    assert ledger is not None and ledger["operations"]["a test kind"] == {"count": 2, "seconds": 2.0}
    assert timings.read(tmp_path / "absent.json") is None


def test_the_legacy_mlflow_environment_pins_a_sqlalchemy_it_can_import():
    from harness.mlflow.legacy import REQUIREMENTS

    assert "mlflow==2.14.3" in REQUIREMENTS
    assert all("==" in requirement for requirement in REQUIREMENTS), "every legacy requirement is pinned"
    assert any(r.startswith("sqlalchemy==2.0.") for r in REQUIREMENTS), "MLflow 2.14 breaks on SQLAlchemy 2.1"
