"""What each `mlflow server` argument the chart renders promises, observed on the running server.

An argument the suite has no probe for is reported as not kept, so a new flag in the chart needs a probe here
before the scenario passes again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
import requests

from harness.endpoints import Platform
from harness.mlflow.artifacts import bucket_keys

FOREIGN_HOST = "not-an-allowed-host.invalid"
FOREIGN_ORIGIN = "https://not-an-allowed-origin.invalid"
CREDENTIALS_IN_URI = re.compile(r"(://[^:/@]+:)[^@]+@")
PROBE_PREFIX = "spec-probes"


@dataclass(frozen=True)
class Promise:
    argument: str
    promise: str
    kept: bool
    evidence: str

    def line(self) -> str:
        """One line for the report; a password inside a URI is masked."""
        argument = CREDENTIALS_IN_URI.sub(r"\1***@", self.argument)
        return f"[{'kept' if self.kept else 'BROKEN'}] {argument}: {self.promise} -- {self.evidence}"


def uvicorn_workers(cmdlines: list[str]) -> int:
    """How many uvicorn worker processes a server's process tree holds (they are multiprocessing spawns)."""
    return sum(1 for line in cmdlines if "multiprocessing.spawn import spawn_main" in line)


def _split(argument: str) -> tuple[str, str]:
    flag, _, value = argument.partition("=")
    return flag, value


def _status(server: Platform, host: str) -> int:
    response = requests.get(f"{server.mlflow_url}/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                            headers={"Host": host}, timeout=10)
    return response.status_code


def example_host(pattern: str, port: str) -> str:
    """A Host header that the fnmatch pattern `pattern` accepts: a character class becomes its first
    character, `*` the server's port (e.g. "172.1[6-9].*" -> "172.16.5000")."""
    return re.sub(r"\[(.)[^\]]*\]", r"\1", pattern).replace("*", port)


def _allowed_hosts(server: Platform, argument: str, value: str) -> Promise:
    port = server.mlflow_url.rsplit(":", 1)[-1]
    hosts = [example_host(host, port) for host in value.split(",")]
    refused = [f"{host} -> {status}" for host in hosts if (status := _status(server, host)) == 403]
    foreign = _status(server, FOREIGN_HOST)
    kept = not refused and foreign == 403
    evidence = (f"{len(hosts)} allowed hosts accepted, {FOREIGN_HOST} -> {foreign}" if kept
                else f"refused: {refused}; {FOREIGN_HOST} -> {foreign} (must be 403)")
    return Promise(argument, "accepts requests for each allowed host and refuses any other", kept, evidence)


def origin_status(url: str, origin: str) -> int:
    """The status a browser's POST from `origin` gets (creating an experiment, as the UI does)."""
    response = requests.post(f"{url}/api/2.0/mlflow/experiments/create", headers={"Origin": origin},
                             json={"name": f"spec-cors-{uuid.uuid4().hex[:8]}"}, timeout=10)
    return response.status_code


def probe_answer(port: int, probe: dict[str, Any]) -> tuple[int, str]:
    """(status, body) of a kubelet httpGet probe sent to a server on loopback `port`, with its headers."""
    headers = {header["name"]: header["value"] for header in probe.get("httpHeaders", [])}
    response = requests.get(f"http://127.0.0.1:{port}{probe['path']}", headers=headers, timeout=10)
    return response.status_code, response.text.strip()


def scrape(url: str, path: str, host: str) -> requests.Response:
    """A GET shaped like Prometheus' scrape of a pod: addressed to the pod's IP in the Host header."""
    return requests.get(f"{url}{path}", headers={"Host": host}, timeout=10)


def _cors(server: Platform, argument: str, value: str) -> Promise:
    allowed = {origin: origin_status(server.mlflow_url, origin) for origin in value.split(",")}
    foreign = origin_status(server.mlflow_url, FOREIGN_ORIGIN)
    kept = all(status == 200 for status in allowed.values()) and foreign == 403
    return Promise(argument, "lets browsers on these origins save and refuses any other origin", kept,
                   f"allowed: {allowed}; {FOREIGN_ORIGIN} -> {foreign} (must be 403)")


def _backend(server: Platform, argument: str, value: str) -> Promise:
    name = f"spec-probe-{uuid.uuid4().hex[:8]}"
    requests.post(f"{server.mlflow_url}/api/2.0/mlflow/experiments/create", json={"name": name}, timeout=10)
    rows = server.backend_query("SELECT name FROM experiments WHERE name = %s", (name,))
    database = value.rsplit("/", 1)[-1]
    return Promise(argument, f"keeps what it is told in the PostgreSQL database {database}", rows == [(name,)],
                   f"an experiment created through the API is {'a' if rows else 'no'} row of experiments")


def _proxied_upload(server: Platform) -> tuple[str, int]:
    key = f"{PROBE_PREFIX}/{uuid.uuid4().hex}.txt"
    response = requests.put(f"{server.mlflow_url}/api/2.0/mlflow-artifacts/artifacts/{key}", data=b"probe", timeout=30)
    return key, response.status_code


def probe(server: Platform) -> list[Promise]:
    """Observe the promise of every argument the running server was started with."""
    found = []
    uploaded: tuple[str, int] | None = None
    for argument in server.server_args()[1:]:
        flag, value = _split(argument)
        if flag in ("--host", "--port"):
            health = requests.get(f"{server.mlflow_url}/health", timeout=10)
            found.append(Promise(argument, "listens where clients are sent", health.text.strip() == "OK",
                                 f"{server.mlflow_url}/health -> {health.status_code} {health.text.strip()[:40]}"))
        elif flag == "--backend-store-uri":
            found.append(_backend(server, argument, value))
        elif flag == "--serve-artifacts":
            uploaded = uploaded or _proxied_upload(server)
            found.append(Promise(argument, "takes artifact uploads through its own API", uploaded[1] == 200,
                                 f"PUT /api/2.0/mlflow-artifacts/artifacts/{uploaded[0]} -> {uploaded[1]}"))
        elif flag == "--artifacts-destination":
            uploaded = uploaded or _proxied_upload(server)
            bucket = value.removeprefix("s3://").split("/", 1)[0]
            keys = bucket_keys(server.s3_client(), bucket, PROBE_PREFIX)
            landed = any(key.endswith(uploaded[0]) for key in keys)
            found.append(Promise(argument, f"stores uploaded artifacts in the bucket {bucket}", landed,
                                 f"{uploaded[0]} {'is' if landed else 'is not'} a key of {bucket}"))
        elif flag == "--workers":
            workers = server.worker_processes()
            found.append(Promise(argument, f"serves with {value} worker processes", workers == int(value),
                                 f"{workers} uvicorn worker processes run"))
        elif flag == "--allowed-hosts":
            found.append(_allowed_hosts(server, argument, value))
        elif flag == "--cors-allowed-origins":
            found.append(_cors(server, argument, value))
        else:
            found.append(Promise(argument, "(unknown to the suite)", False,
                                 "no probe for this argument: add one in harness/mlflow/promises.py"))
    return found


def remove_probe_artifacts(server: Platform) -> None:
    client = server.s3_client()
    for key in bucket_keys(client, server.bucket, PROBE_PREFIX):
        client.delete_object(Bucket=server.bucket, Key=key)
