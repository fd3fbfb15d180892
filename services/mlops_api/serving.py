"""Predictions of registered models, answered by MLflow's own scoring server (`mlflow models serve`), one per
model version, started on first use in the environment the model was trained in and kept for the next
requests (the least recently used stops when more than the limit run)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import requests

from mlops_api.processes import stop_group

START_TIMEOUT_S = 180
LOOPBACK = "127.0.0.1"


class ServingFailed(Exception):
    """The scoring server did not start; the message ends with its log's last lines."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class ScoringServer:
    model_uri: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        stop_group(self.process, 10)


class ModelServers:
    def __init__(self, work_dir: Path, tracking_uri: str, limit: int = 2) -> None:
        self.work_dir = work_dir / "model-servers"
        self.tracking_uri = tracking_uri
        self.limit = limit
        self._servers: OrderedDict[str, ScoringServer] = OrderedDict()
        self._lock = threading.Lock()

    def _start(self, model_uri: str, python: Path, auth: tuple[str, str] | None) -> ScoringServer:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log_path = self.work_dir / f"{model_uri.replace('/', '_').replace(':', '')}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MLFLOW_DB", "PG", "MLOPS_"))}
        env.update(MLFLOW_TRACKING_URI=self.tracking_uri, PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}")
        if auth:
            env["MLFLOW_TRACKING_USERNAME"], env["MLFLOW_TRACKING_PASSWORD"] = auth
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [str(python), "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
                 "--host", LOOPBACK, "--port", str(port), "--workers", "1"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        server = ScoringServer(model_uri, port, process, log_path)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if requests.get(f"{server.url}/ping", timeout=2).ok:
                    return server
            except requests.RequestException:
                pass
            time.sleep(0.3)
        server.stop()
        last = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise ServingFailed(f"the scoring server of {model_uri} did not start: {last}")

    def server(self, model_uri: str, python: Path, auth: tuple[str, str] | None) -> ScoringServer:
        """The running scoring server of `model_uri`, started first when there is none."""
        with self._lock:
            if model_uri in self._servers:
                self._servers.move_to_end(model_uri)
                return self._servers[model_uri]
            server = self._start(model_uri, python, auth)
            self._servers[model_uri] = server
            while len(self._servers) > self.limit:
                self._servers.popitem(last=False)[1].stop()
            return server

    def predict(self, model_uri: str, python: Path, auth: tuple[str, str] | None, body: bytes,
                content_type: str) -> requests.Response:
        server = self.server(model_uri, python, auth)
        return requests.post(f"{server.url}/invocations", data=body, headers={"Content-Type": content_type},
                             timeout=60)

    def stop(self) -> None:
        with self._lock:
            for server in self._servers.values():
                server.stop()
            self._servers.clear()
