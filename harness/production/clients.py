"""Clients that log metrics in a loop, each into a run of its own, and remember what the server acknowledged.

A fault scenario runs them in the background, breaks something, stops them and then compares: every step a
client saw acknowledged must be in its run's metric history. Failed requests are kept with the time they
failed, so a report can say how long a switch-over took and how many requests it cost.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

from mlflow import MlflowClient

from harness.mlflow.api import MlflowApi

METRIC_KEY = "load"


class MetricLogger(Protocol):
    def __call__(self, run_id: str, key: str, value: float, step: int) -> None: ...


@dataclass(frozen=True)
class FailedRequest:
    at: float  # time.monotonic() when it failed
    step: int
    error: str
    sent: float = 0.0  # time.monotonic() when the call began


@dataclass
class ClientRecord:
    name: str
    run_id: str
    acknowledged: list[int] = field(default_factory=list)
    failed: list[FailedRequest] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class LoadSummary:
    requests: int
    failed: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_text(self) -> str:
        return (f"{self.requests} requests in {self.seconds:.1f} s ({self.per_second:.0f}/s), {self.failed} failed, "
                f"p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms")


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(fraction * 100) - 1]


class MetricClients:
    """`records` (name, run id) clients, each a thread calling its own logger (made by `make_logger`, so no
    two threads share a connection) for steps 0, 1, 2... until stopped or `steps_each` is reached."""

    def __init__(self, records: list[ClientRecord], make_logger: Callable[[], MetricLogger],
                 steps_each: int | None = None, pause_s: float = 0.0) -> None:
        self.records = records
        self._make_logger = make_logger
        self._steps_each = steps_each
        self._pause_s = pause_s
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = self._ended = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._threads = [threading.Thread(target=self._loop, args=(record,), name=f"client-{record.name}",
                                          daemon=True) for record in self.records]
        for thread in self._threads:
            thread.start()

    def _loop(self, record: ClientRecord) -> None:
        log = self._make_logger()
        step = 0
        while not self._stopping.is_set() and (self._steps_each is None or step < self._steps_each):
            began, sent = time.perf_counter(), time.monotonic()
            try:
                log(record.run_id, METRIC_KEY, float(step), step)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding to count, never a crash
                record.failed.append(FailedRequest(time.monotonic(), step, f"{type(exc).__name__}: {exc}"[:300], sent))
            else:
                record.acknowledged.append(step)
                record.latencies_ms.append((time.perf_counter() - began) * 1000)
            step += 1
            if self._pause_s:
                time.sleep(self._pause_s)

    def acknowledged_count(self) -> int:
        return sum(len(record.acknowledged) for record in self.records)

    def wait_acknowledged(self, more_than: int, timeout: float) -> None:
        """Block until the clients together have more than `more_than` acknowledged steps (they are moving)."""
        deadline = time.monotonic() + timeout
        while self.acknowledged_count() <= more_than:
            if time.monotonic() > deadline:
                raise AssertionError(f"the clients got no more than {more_than} acknowledgements in {timeout:.0f} s; "
                                     f"failures: {[r.failed[-1].error for r in self.records if r.failed][:3]}")
            time.sleep(0.05)

    def join(self, timeout: float = 600) -> None:
        """Wait for clients with a step limit to finish."""
        for thread in self._threads:
            thread.join(timeout)
        self._ended = time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        self.join(120)

    def failures(self) -> list[FailedRequest]:
        return sorted((f for record in self.records for f in record.failed), key=lambda f: f.at)

    def summary(self) -> LoadSummary:
        latencies = [ms for record in self.records for ms in record.latencies_ms]
        requests = sum(len(record.acknowledged) + len(record.failed) for record in self.records)
        return LoadSummary(requests, len(self.failures()), (self._ended or time.monotonic()) - self._started,
                           percentile(latencies, 0.5), percentile(latencies, 0.95))


def missing_steps(record: ClientRecord, stored_steps: set[int]) -> list[int]:
    """Steps the server acknowledged to this client that its run does not hold."""
    return [step for step in record.acknowledged if step not in stored_steps]


def rest_logger(make_api: Callable[[], MlflowApi]) -> Callable[[], MetricLogger]:
    """Loggers that call log-metric once per step with no retry: every failure reaches the count."""

    def make() -> MetricLogger:
        api = make_api()
        return lambda run_id, key, value, step: api.log_metric(run_id, key, value, step)

    return make


def mlflow_client_logger(tracking_uri: str) -> Callable[[], MetricLogger]:
    """Loggers that use MLflow's own client, with its retries and backoff (MLFLOW_HTTP_REQUEST_MAX_RETRIES)."""

    def make() -> MetricLogger:
        client = MlflowClient(tracking_uri)
        return lambda run_id, key, value, step: client.log_metric(run_id, key, value, step=step)

    return make


@contextmanager
def mlflow_client_env(auth: tuple[str, str], ca_path: Path | None = None) -> Iterator[None]:
    """The environment MLflow's client reads its login and CA from, set for the duration only."""
    values = {"MLFLOW_TRACKING_USERNAME": auth[0], "MLFLOW_TRACKING_PASSWORD": auth[1]}
    if ca_path is not None:
        values["MLFLOW_TRACKING_SERVER_CERT_PATH"] = str(ca_path)
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_clients(api: MlflowApi, experiment_id: str, count: int, make_logger: Callable[[], MetricLogger],
                  steps_each: int | None = None, pause_s: float = 0.0) -> MetricClients:
    """`count` clients, each with a new run in `experiment_id`, started; each waits `pause_s` after a step."""
    records = [ClientRecord(f"client-{i}", api.create_run(experiment_id, f"client-{i}").run_id)
               for i in range(1, count + 1)]
    clients = MetricClients(records, make_logger, steps_each, pause_s)
    clients.start()
    return clients


def lost_acknowledged(api: MlflowApi, clients: MetricClients) -> dict[str, list[int]]:
    """Per client, the acknowledged steps its run does not hold (an empty dict: nothing lost)."""
    lost = {}
    for record in clients.records:
        stored = {int(metric["step"]) for metric in api.metric_history(record.run_id, METRIC_KEY)}
        missing = missing_steps(record, stored)
        if missing:
            lost[record.name] = missing
    return lost


def run_logged_by_mlflow_client(url: str, auth: tuple[str, str], ca_path: Path, experiment_id: str,
                                metrics: dict[str, float]) -> str:
    """The id of a run MLflow's own client creates at `url` with `metrics`, its login and the CA it trusts read
    from its environment variables as a user would set them."""
    with mlflow_client_env(auth, ca_path):
        client = MlflowClient(url)
        run_id = str(client.create_run(experiment_id).info.run_id)
        for key, value in metrics.items():
            client.log_metric(run_id, key, value)
    return run_id
