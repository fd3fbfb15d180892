"""Calls whose answer a scenario checks as it comes: bad requests a client can send, by the name a feature gives
them, and tracking calls a fault or a permission should refuse.

Each bad request is built against a run that already holds one param and one metric, so a request that wrongly
succeeded would show as a changed run.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from harness.mlflow.api import API, ARTIFACTS_API, MlflowApi, Run

TAKEN_PARAM = ("alpha", "0.1")  # logged on the run before any bad request


@dataclass(frozen=True)
class Answer:
    status: int
    error_code: str  # "" when the body is not an MLflow error (a balancer's or the host check's page)
    body: str


@dataclass(frozen=True)
class BadRequestContext:
    api: MlflowApi
    run: Run
    experiment_name: str
    body_limit_bytes: int


def answer(api: MlflowApi, method: str, path: str, **kwargs: Any) -> Answer:
    """Send one request as is and keep whatever comes back (no exception for an error status)."""
    response = api.session.request(method, api.base_url + path, timeout=api.timeout, verify=api.verify, **kwargs)
    try:
        code = str(response.json().get("error_code", ""))
    except (ValueError, AttributeError):
        code = ""
    return Answer(response.status_code, code, response.text[:2000])


class AnsweredCalls:
    """Tracking calls whose answer a scenario checks as it comes (status, error code, body): an error status is
    the answer, not an exception."""

    def __init__(self, api: MlflowApi) -> None:
        self.api = api

    def read_experiment(self, experiment_id: str) -> Answer:
        return answer(self.api, "GET", f"{API}/experiments/get", params={"experiment_id": experiment_id})

    def create_run(self, experiment_id: str) -> Answer:
        return answer(self.api, "POST", f"{API}/runs/create", json={"experiment_id": experiment_id})

    def rename_experiment(self, experiment_id: str, new_name: str) -> Answer:
        return answer(self.api, "POST", f"{API}/experiments/update",
                      json={"experiment_id": experiment_id, "new_name": new_name})

    def search_experiments(self) -> Answer:
        return answer(self.api, "GET", f"{API}/experiments/search", params={"max_results": 5})

    def log_param(self, run_id: str, key: str, value: str) -> Answer:
        return answer(self.api, "POST", f"{API}/runs/log-parameter", json={"run_id": run_id, "key": key, "value": value})

    def log_metric(self, run_id: str, key: str, value: float, timestamp_ms: int) -> Answer:
        return answer(self.api, "POST", f"{API}/runs/log-metric", json={
            "run_id": run_id, "key": key, "value": value, "timestamp": timestamp_ms, "step": 0})

    def log_metric_literal(self, run_id: str, key: str, literal: str) -> Answer:
        """log-metric with `literal` written into the JSON as it is (NaN, 1e999, ...), which json.dumps would
        refuse or change."""
        body = ('{"run_id": "%s", "key": "%s", "value": %s, "timestamp": 1, "step": 0}' % (run_id, key, literal))
        return answer(self.api, "POST", f"{API}/runs/log-metric", data=body.encode(),
                      headers={"Content-Type": "application/json"})

    def upload_artifact(self, run: Run, path: str, data: bytes) -> Answer:
        return answer(self.api, "PUT", f"{ARTIFACTS_API}/{run.experiment_id}/{run.run_id}/artifacts/{path}", data=data)

    def upload_artifact_again(self, run: Run, path: str, data: bytes) -> tuple[Answer, str | None]:
        """The answer to an upload after the store's outage, and why a first try was dropped (None if it was not).
        The first upload after an outage can meet an S3 connection the server pooled before the cut: botocore
        raises ConnectionClosedError and the request is dropped unanswered (seen once in 4 runs). MLflow's client
        retries a dropped request; so does this, once."""
        try:
            return self.upload_artifact(run, path, data), None
        except requests.ConnectionError as dropped:
            return self.upload_artifact(run, path, data), str(dropped)


def upload_with_expect_continue(api: MlflowApi, path: str, size: int) -> Answer:
    """PUT `size` bytes the way curl sends a large file: headers with `Expect: 100-continue` first, the body
    only if the server says continue. A proxy refusing the size answers before any byte of the body moves."""
    url = urlsplit(api.base_url)
    context = ssl.create_default_context(cafile=api.verify) if isinstance(api.verify, str) else None
    connection = (http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=api.timeout)
                  if url.scheme == "https" else http.client.HTTPConnection(url.hostname, url.port, timeout=api.timeout))
    try:
        connection.putrequest("PUT", path)
        connection.putheader("Content-Length", str(size))
        connection.putheader("Expect", "100-continue")
        if isinstance(api.session.auth, tuple):
            token = base64.b64encode(":".join(api.session.auth).encode()).decode()
            connection.putheader("Authorization", f"Basic {token}")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return Answer(response.status, "", body[:2000])
    finally:
        connection.close()


def _post(path: str, body: dict[str, Any]) -> Callable[[BadRequestContext], Answer]:
    return lambda ctx: answer(ctx.api, "POST", f"{API}{path}", json=_fill(body, ctx))


def _get(path: str, params: dict[str, Any], **kwargs: Any) -> Callable[[BadRequestContext], Answer]:
    return lambda ctx: answer(ctx.api, "GET", f"{API}{path}", params=_fill(params, ctx), **kwargs)


def _fill(body: dict[str, Any], ctx: BadRequestContext) -> dict[str, Any]:
    """Put the run's id and the taken experiment name where the request template says RUN and EXPERIMENT."""
    text = json.dumps(body).replace('"RUN"', json.dumps(ctx.run.run_id))
    return dict(json.loads(text.replace('"EXPERIMENT"', json.dumps(ctx.experiment_name))))


def _metric(key: str, value: Any) -> dict[str, Any]:
    return {"run_id": "RUN", "key": key, "value": value, "timestamp": 1, "step": 0}


BAD_REQUESTS: dict[str, Callable[[BadRequestContext], Answer]] = {
    "a metric value that is not a number": _post("/runs/log-metric", _metric("loss", "abc")),
    "a metric value that is null": _post("/runs/log-metric", _metric("loss", None)),
    "an experiment name that is taken": _post("/experiments/create", {"name": "EXPERIMENT"}),
    "a run id that does not exist": _get("/runs/get", {"run_id": "0" * 32}),
    "an experiment id that does not exist": _get("/experiments/get", {"experiment_id": "987654321"}),
    "a metric key with illegal characters": _post("/runs/log-metric", _metric("bad key!*", 1)),
    "a metric key that climbs out with ../": _post("/runs/log-metric", _metric("../escape", 1)),
    "an artifact path climbing to ../../etc/passwd": lambda ctx: answer(
        ctx.api, "GET", f"{ARTIFACTS_API}/%2E%2E/%2E%2E/etc/passwd"),
    "a new value for a param already logged": _post("/runs/log-parameter", {
        "run_id": "RUN", "key": TAKEN_PARAM[0], "value": "0.2"}),
    "a param key longer than 250 characters": _post("/runs/log-parameter", {
        "run_id": "RUN", "key": "k" * 251, "value": "1"}),
    "a log-batch of 1001 metrics": _post("/runs/log-batch", {
        "run_id": "RUN", "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]}),
    "a log-batch of 101 params": _post("/runs/log-batch", {
        "run_id": "RUN", "params": [{"key": f"p{i}", "value": "1"} for i in range(101)]}),
    "malformed JSON": lambda ctx: answer(ctx.api, "POST", f"{API}/runs/log-metric", data=b'{"run_id": ',
                                         headers={"Content-Type": "application/json"}),
    "a negative max_results": _get("/experiments/search", {"max_results": -1}),
    "a run search asking for 100000 results": _post("/runs/search", {
        "experiment_ids": ["0"], "max_results": 100000}),
    "a run filter with an unknown comparator": _post("/runs/search", {
        "experiment_ids": ["0"], "filter": "metrics.loss >>> 1"}),
    "a Host header naming another site": _get("/experiments/search", {"max_results": 1},
                                              headers={"Host": "attacker.example.com"}),
    "a GET on the POST-only log-metric endpoint": lambda ctx: answer(ctx.api, "GET", f"{API}/runs/log-metric"),
    "wrong credentials": lambda ctx: answer(ctx.api, "GET", f"{API}/experiments/search",
                                            params={"max_results": 1}, auth=("admin", "not-the-password")),
    "an artifact upload over the body-size limit": lambda ctx: upload_with_expect_continue(
        ctx.api, f"{ARTIFACTS_API}/{ctx.run.experiment_id}/{ctx.run.run_id}/artifacts/too-big.bin",
        ctx.body_limit_bytes + 1),
}


def send_bad_request(name: str, ctx: BadRequestContext) -> Answer:
    if name not in BAD_REQUESTS:
        raise KeyError(f"no bad request named {name!r}; known: {sorted(BAD_REQUESTS)}")
    return BAD_REQUESTS[name](ctx)
