"""Artifacts as a client with no storage credentials logs and reads them: proof that the server proxies both ways."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.waits import CLIENT_DOWNLOAD_S

# Any of these in a client's environment would let it reach the bucket without the server.
STORAGE_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                           "MLFLOW_S3_ENDPOINT_URL", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")

# MLflow 3's client downloads an artifact through a presigned URL of the store whenever the server offers one,
# and a server proxying an S3 destination always does: a URL of the store's in-cluster address, which a client
# outside the cluster cannot reach (pod isolation showed it: the download retried for minutes). With this
# setting the client streams through the server, as NOTES.txt tells users outside the cluster (uploads of 500 MiB
# and more likewise). Only clients outside the pods get it: the suite's, and the MLOps API's here; Spark's drivers
# are in the cluster.
OUTSIDE_CLIENT_ENV = {"MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD": "false", "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "false"}


_LOG_ARTIFACT = """
import sys
from mlflow import MlflowClient
tracking_uri, run_id, path = sys.argv[1:4]
MlflowClient(tracking_uri).log_artifact(run_id, path)
"""
_READ_ARTIFACT = """
import sys
from mlflow.artifacts import download_artifacts
tracking_uri, run_id, path, folder = sys.argv[1:5]
print(open(download_artifacts(run_id=run_id, artifact_path=path, dst_path=folder, tracking_uri=tracking_uri)).read(),
      end="")
"""


def storage_credentials_in(env: dict[str, str]) -> list[str]:
    """The variables in `env` that would hand a client keys or an endpoint for the bucket."""
    return [var for var in STORAGE_CREDENTIAL_VARS if var in env and not var.endswith("_FILE")]


def client_env_without_storage_credentials(workdir: Path) -> dict[str, str]:
    env = {**{k: v for k, v in os.environ.items() if k not in STORAGE_CREDENTIAL_VARS}, **OUTSIDE_CLIENT_ENV}
    # An empty credentials file and HOME keep boto3 from finding keys anywhere else.
    env["HOME"] = str(workdir)
    env["AWS_SHARED_CREDENTIALS_FILE"] = env["AWS_CONFIG_FILE"] = str(workdir / "no-credentials")
    assert not storage_credentials_in(env)
    return env


def log_file_as_client(tracking_uri: str, run_id: str, file: Path, env: dict[str, str]) -> None:
    """Upload `file` to the run from a separate process that sees only `env`."""
    done = subprocess.run([sys.executable, "-c", _LOG_ARTIFACT, tracking_uri, run_id, str(file)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise AssertionError(f"the client could not log {file.name}: {done.stderr.strip()[-800:]}")


def read_file_as_client(tracking_uri: str, run_id: str, name: str, folder: Path, env: dict[str, str]) -> str:
    """The text of the run's artifact `name` as a separate process that sees only `env` downloads it."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([sys.executable, "-c", _READ_ARTIFACT, tracking_uri, run_id, name, str(folder)],
                              env=env, capture_output=True, text=True, timeout=CLIENT_DOWNLOAD_S, check=False)
    except subprocess.TimeoutExpired as late:
        said = (late.stderr or b"").decode(errors="replace").strip()[-800:]
        raise AssertionError(f"the client had not downloaded {name} after {CLIENT_DOWNLOAD_S}s: {said}") from None
    if done.returncode != 0:
        raise AssertionError(f"the client could not download {name}: {done.stderr.strip()[-800:]}")
    return done.stdout


def bucket_keys(s3_client: Any, bucket: str, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys
