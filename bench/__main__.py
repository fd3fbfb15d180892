"""`make bench`: time to a healthy local platform, MLflow API latencies, chart matrix render + validation,
and (with BENCH_SPARK=4.1.1) a Spark cluster start and one tracked spark-submit."""

from __future__ import annotations

import os
import statistics
import time

from rich.console import Console
from rich.table import Table

from harness import chart
from harness.spark import training
from harness.config import RunConfig
from harness.matrix import all_cells
from harness.mlflow.api import MlflowApi
from harness.targets.local import LocalTarget
from harness.world import unique_name

CALLS = 30
console = Console()


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def chart_matrix() -> None:
    seconds = []
    for mode, version in all_cells():
        _, elapsed = timed(lambda: [chart.validation_errors(chart.render(mode, version), kube)
                                    for kube in chart.KUBE_VERSIONS])
        seconds.append(elapsed)
    console.print(f"chart: render + strict validation (2 Kubernetes versions) of {len(seconds)} cells: "
                  f"{sum(seconds):.2f}s in all, median {statistics.median(seconds) * 1000:.0f} ms per cell")


def api_latencies(api: MlflowApi) -> None:
    experiment = api.create_experiment(unique_name("bench"))
    run = api.create_run(experiment).run_id
    calls = {
        "GET /health": api.health,
        "GET experiments/search": api.search_experiments,
        "POST runs/create": lambda: api.create_run(experiment),
        "POST runs/log-metric": lambda: api.log_metric(run, "m", 0.5),
        "POST runs/log-parameter": lambda: api.log_param(run, unique_name("p"), "v"),
        "GET runs/get": lambda: api.get_run(run),
        "GET registered-models/search": api.search_registered_models,
    }
    table = Table(title=f"MLflow API latency over {CALLS} calls (ms)")
    for column in ("endpoint", "median", "p90", "max"):
        table.add_column(column)
    for name, call in calls.items():
        samples = sorted(timed(call)[1] * 1000 for _ in range(CALLS))
        table.add_row(name, f"{statistics.median(samples):.1f}", f"{samples[int(CALLS * 0.9)]:.1f}",
                      f"{samples[-1]:.1f}")
    console.print(table)


def spark_submit(target: LocalTarget, version: str) -> None:
    api = MlflowApi(target.platform().mlflow_url)
    site, started = timed(lambda: target.spark("standalone-submit", version))
    console.print(f"Spark {version}: runtime ready and cluster up in {started:.1f}s")
    job, elapsed = timed(lambda: training.train(site, api.create_experiment(unique_name("bench")), 0.1))
    console.print(f"Spark {version}: LogisticRegression spark-submit tracked in MLflow in {elapsed:.1f}s")


def main() -> None:
    chart_matrix()
    target = LocalTarget(RunConfig())
    try:
        _, elapsed = timed(target.platform)
        console.print(f"local platform (PostgreSQL, S3, MLflow) healthy in {elapsed:.1f}s")
        api_latencies(MlflowApi(target.platform().mlflow_url))
        if os.environ.get("BENCH_SPARK"):
            spark_submit(target, os.environ["BENCH_SPARK"])
    finally:
        target.close()


if __name__ == "__main__":
    main()
