"""What one scenario knows: the platform's endpoints, its own experiment, the last run and the last call."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

from harness.endpoints import Platform
from harness.mlflow.api import MlflowApi, Run
from harness.names import unique_name


@dataclass
class LatencyReport:
    endpoint: str
    calls: int
    median_ms: float
    min_ms: float
    max_ms: float

    def as_text(self) -> str:
        return (f"{self.endpoint}: median {self.median_ms:.1f} ms over {self.calls} calls "
                f"(min {self.min_ms:.1f}, max {self.max_ms:.1f})")


@dataclass
class ScenarioWorld:
    """Created fresh for every scenario, so scenarios never see each other's experiments or runs."""

    platform: Platform
    scenario_name: str
    api: MlflowApi = field(init=False)
    run: Run | None = None
    calls: dict[str, Callable[[], Any]] = field(default_factory=dict)
    experiment_name: str = ""
    _experiment_id: str | None = None

    def __post_init__(self) -> None:
        self.api = MlflowApi(self.platform.mlflow_url)

    @property
    def experiment_id(self) -> str:
        """The scenario's own experiment, created on first use."""
        if self._experiment_id is None:
            self.experiment_name = unique_name(self.scenario_name)
            self._experiment_id = self.api.create_experiment(self.experiment_name)
        return self._experiment_id

    def new_run(self) -> Run:
        self.run = self.api.create_run(self.experiment_id, unique_name("run"))
        return self.run

    def current_run(self) -> Run:
        if self.run is None:
            raise AssertionError("no run yet in this scenario: a step must create one first")
        return self.run

    def remember_call(self, endpoint: str, call: Callable[[], Any]) -> Any:
        """Make `call` to `endpoint` once and keep it, so a later step can repeat it to measure latency."""
        self.calls[endpoint] = call
        return call()

    def measure(self, endpoint: str, calls: int) -> LatencyReport:
        """Repeat the scenario's call to `endpoint` and report the latencies of that endpoint alone."""
        if endpoint not in self.calls:
            raise AssertionError(f"no call to {endpoint} in this scenario to measure; made: {sorted(self.calls)}")
        keys = [k for k in self.api.latencies_ms if k.endswith(endpoint)]
        if len(keys) != 1:
            raise AssertionError(f"expected the calls to reach {endpoint} once, timed endpoints: {keys}")
        key = keys[0]
        self.api.latencies_ms[key].clear()
        for _ in range(calls):
            self.calls[endpoint]()
        samples = self.api.latencies_ms[key]
        return LatencyReport(key, len(samples), statistics.median(samples), min(samples), max(samples))
