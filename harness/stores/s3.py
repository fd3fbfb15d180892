"""An S3 protocol server (moto_server): the artifact store of the local target. In the chart's MinIO pod (its
uid, its port, on the pods' bridge) when the run has pods, else on a loopback port."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from harness.system.pods import Pod
from harness.system.ports import LOOPBACK, claim_port
from harness.system.process import ManagedProcess
from harness.waits import S3_START_S

# moto accepts any key pair; these exist so the server side is configured exactly like a real S3 client.
ACCESS_KEY = "spec-access-key"
SECRET_KEY = "spec-secret-key"
REGION = "us-east-1"
SERVICE_PORT = 9000  # the chart's Service port, where a pod of its own listens


class S3Service:
    def __init__(self, workdir: Path, port: int | None = None, pod: Pod | None = None) -> None:
        self.pod = pod
        self.host = pod.address if pod else LOOPBACK
        # Where it listens: in its pod, `port` (the chart's Service port by default); else a free loopback one.
        self.port = (port or SERVICE_PORT) if pod else claim_port(port, "the S3 server")
        self.log_path = workdir / "logs" / "s3.log"
        self._process: ManagedProcess | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        moto = Path(sys.executable).with_name("moto_server")
        listen = "0.0.0.0" if self.pod else LOOPBACK
        self._process = ManagedProcess("S3 server (moto)", [str(moto), "-H", listen, "-p", str(self.port)],
                                       self.log_path, pod=self.pod)
        self._process.start()
        self._process.wait_ready(lambda: requests.get(self.endpoint, timeout=2).ok,
                                 f"S3 server at {self.endpoint}", S3_START_S)

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION,
                            config=Config(retries={"max_attempts": 2}))

    def create_buckets(self, names: list[str]) -> None:
        client = self.client()
        for name in names:
            client.create_bucket(Bucket=name)

    def server_env(self) -> dict[str, str]:
        """What a server (MLflow, Spark) needs to reach this store."""
        return {"MLFLOW_S3_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}

    def stop(self) -> None:
        if self._process:
            self._process.stop()
            self._process = None
