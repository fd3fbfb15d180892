"""The REST client against a fake HTTP server (a harness unit test: the real server is in the features)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from harness.mlflow.api import ApiError, MlflowApi
from harness.names import unique_name
from harness.world import LatencyReport


class FakeMlflow(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        if self.path.startswith("/api/2.0/mlflow/runs/get"):
            self._send(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run 'x' not found"})
        else:
            self._send(200, {"run": {"info": {"run_id": "r1", "experiment_id": "7", "status": "FINISHED"},
                                     "data": {"params": [{"key": "a", "value": "1"}],
                                              "metrics": [{"key": "m", "value": 0.5}]}}})

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        self._send(200, {"experiment_id": "42", "echo": body})


@pytest.fixture(scope="module")
def fake_url():
    server = HTTPServer(("127.0.0.1", 0), FakeMlflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_errors_keep_mlflow_error_code(fake_url):
    api = MlflowApi(fake_url)
    with pytest.raises(ApiError) as raised:
        api.get_run("x")
    assert raised.value.status == 404
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_every_call_is_timed_by_endpoint(fake_url):
    api = MlflowApi(fake_url)
    for _ in range(3):
        assert api.create_experiment("e") == "42"
    assert len(api.latencies_ms["POST /api/2.0/mlflow/experiments/create"]) == 3
    assert all(ms > 0 for ms in api.latencies_ms["POST /api/2.0/mlflow/experiments/create"])


def test_unique_names_are_slugs_and_differ():
    first, second = unique_name("The UI: lists experiments!"), unique_name("The UI: lists experiments!")
    assert first != second and first.startswith("the-ui-lists-experiments-")


def test_latency_report_reads_like_a_sentence():
    text = LatencyReport("GET /health", 10, 1.25, 1.0, 3.0).as_text()
    assert text == "GET /health: median 1.2 ms over 10 calls (min 1.0, max 3.0)"
