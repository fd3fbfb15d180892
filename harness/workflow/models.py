"""Registered models: register a run's model, move an alias, load it back, and serve it with
`mlflow models serve` as a real process."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import mlflow
import requests

from harness.spark.jobs import JOBS_DIR
from harness.spark.site import JobRun, run_logged
from harness.system.ports import LOOPBACK, claim_port
from harness.system.process import ManagedProcess
from harness.workflow.environments import JobEnvironment

PREDICT = Path(__file__).resolve().parent / "jobs" / "predict.py"
SERVE_START_TIMEOUT_S = 120


@contextmanager
def tracking_at(tracking_uri: str) -> Iterator[None]:
    """MLflow's fluent API pointed at `tracking_uri` for the duration of a `with` block."""
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)


def register(tracking_uri: str, run_id: str, name: str, path: str = "model") -> str:
    """Register runs:/<run_id>/<path> under `name` with MLflow's own client; the new version's number."""
    with tracking_at(tracking_uri):
        version = mlflow.register_model(f"runs:/{run_id}/{path}", name)
    return str(version.version)


def client_env(tracking_uri: str) -> dict[str, str]:
    """A model client's environment: the tracking server, and no storage keys (artifacts come through it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MLFLOW_S3"))}
    env.update(MLFLOW_TRACKING_URI=tracking_uri, PYTHONPATH=str(JOBS_DIR))
    return env


def rows_split(columns: list[str], data: list[list[float]]) -> dict[str, Any]:
    """Rows in pandas' "split" orientation, the shape of MLflow's dataframe_split payload."""
    return {"columns": columns, "data": data}


def predict_in_process(environment: JobEnvironment, tracking_uri: str, model_uri: str, rows: dict[str, Any],
                       workdir: Path) -> JobRun:
    """Load `model_uri` with mlflow.pyfunc in the job's environment (a client with no storage keys) and
    predict `rows`."""
    rows_file = workdir / f"rows-{os.getpid()}-{abs(hash(model_uri))}.json"
    rows_file.write_text(json.dumps(rows))
    return run_logged(f"predict {model_uri}", [str(environment.python), str(PREDICT), model_uri, str(rows_file)],
                      workdir / f"predict-{rows_file.stem}.log", client_env(tracking_uri), SERVE_START_TIMEOUT_S)


@dataclass
class ModelServer:
    """`mlflow models serve` of one model URI on a free loopback port, in the job's environment."""

    environment: JobEnvironment
    tracking_uri: str
    model_uri: str
    log_path: Path
    port: int = 0
    _process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self.port = claim_port(None, f"the model server of {self.model_uri}")
        self._process = ManagedProcess(
            f"mlflow models serve {self.model_uri}",
            [str(self.environment.python), "-m", "mlflow", "models", "serve", "-m", self.model_uri,
             "--env-manager", "local", "--host", LOOPBACK, "--port", str(self.port), "--workers", "1"],
            self.log_path, env=self.environment.env(client_env(self.tracking_uri)))
        self._process.start()
        self._process.wait_ready(lambda: requests.get(f"{self.url}/ping", timeout=2).ok,
                                 f"the model server at {self.url}/ping", SERVE_START_TIMEOUT_S)

    def invoke(self, body: bytes | str, content_type: str = "application/json") -> requests.Response:
        return requests.post(f"{self.url}/invocations", data=body, headers={"Content-Type": content_type},
                             timeout=30)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
