"""The `mlflow server` process, started with the argument list the Helm chart renders."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

import requests

from harness.ports import LOOPBACK
from harness.process import ManagedProcess

START_TIMEOUT_S = 90


class MlflowServer:
    def __init__(self, workdir: Path, server_args: Sequence[str], port: int, env: dict[str, str]) -> None:
        self.server_args = list(server_args)
        self.port = port
        self.log_path = workdir / "logs" / "mlflow-server.log"
        self._env = {**os.environ, **env}
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def argv(self) -> list[str]:
        return [str(Path(sys.executable).with_name("mlflow")), *self.server_args]

    def start(self) -> None:
        self._process = ManagedProcess("MLflow server", self.argv, self.log_path, env=self._env)
        self._process.start()
        self._process.wait_ready(self.healthy, f"MLflow /health at {self.url}", START_TIMEOUT_S)

    def healthy(self) -> bool:
        response = requests.get(f"{self.url}/health", timeout=2)
        return response.status_code == 200 and response.text.strip() == "OK"

    def stop(self) -> None:
        if self._process:
            self._process.stop()
            self._process = None
