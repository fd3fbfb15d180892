"""`make bench`: time to a healthy local platform, MLflow API latencies, chart matrix render + validation,
the production deployment's throughput and failover gap, the last acceptance run's overhead ratio and Spark
matrix total, and (with BENCH_SPARK=4.1.1) one matrix row per mode with the job's timeline of phases and the
training workflow (environment build, the seed's script to FINISHED, model serving start and latency)."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import chart, timings
from harness.spark import training
from harness.config import RunConfig
from harness.matrix import all_cells
from harness.matrix_grid import MATRIX_JSON, totals_text
from harness.mlflow.api import MlflowApi
from harness.production.clients import percentile, rest_logger, start_clients
from harness.targets.local import LocalTarget
from harness.workflow.checks import dataframe_split, sample_rows
from harness.workflow.environments import ensure_environment
from harness.workflow.models import ModelServer, register
from harness.workflow.runner import Workflow
from harness.workflow.submission import Submission
from harness.world import unique_name

SEED_SCRIPT = Path(__file__).resolve().parent.parent / "features" / "data" / "train_random_forest.py"
REQUIREMENTS = ("scikit-learn",)

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


def spark_rows(target: LocalTarget, version: str) -> None:
    """One matrix row per mode that runs here, each job's own timeline of its phases (issue: matrix speed)."""
    api = MlflowApi(target.platform().mlflow_url)

    def iceberg_job(site):  # type: ignore[no-untyped-def]
        snapshot = training.create_iceberg_table(site)
        try:
            return training.train_on_snapshot(site, api.create_experiment(unique_name("bench")), snapshot)
        finally:
            training.drop_iceberg_table(site, snapshot.table)

    jobs = {
        "standalone-submit": lambda site: training.train(site, api.create_experiment(unique_name("bench")), 0.1),
        "connect-standalone": lambda site: training.train(site, api.create_experiment(unique_name("bench")), 0.1),
        "gpu": lambda site: training.probe_gpus(site, api.create_experiment(unique_name("bench"))),
        "iceberg": iceberg_job,
    }
    for mode, run in jobs.items():
        if target.skip_reason(mode, version):
            console.print(f"Spark {version} {mode}: skipped ({target.skip_reason(mode, version)})")
            continue
        site, started = timed(lambda: target.spark(mode, version))
        job = run(site)
        console.print(f"Spark {version} {mode}: cluster ready in {started:.1f}s, one job {job.seconds:.1f}s:")
        console.print(job.timeline_text(), markup=False)


def training_workflow(target: LocalTarget, version: str) -> None:
    """Seed 004's figures: environment build cold and cached, submission to FINISHED, serving."""
    api = MlflowApi(target.platform().mlflow_url)
    site = target.spark("standalone-submit", version)
    with tempfile.TemporaryDirectory() as scratch:
        cold, cold_s = timed(lambda: ensure_environment(site.runtime, REQUIREMENTS, Path(scratch) / "envs"))
        _, cached_s = timed(lambda: ensure_environment(site.runtime, REQUIREMENTS, Path(scratch) / "envs"))
        console.print(f"training: job environment ({', '.join(REQUIREMENTS)}) built in {cold_s:.1f}s cold, "
                      f"{cached_s * 1000:.0f} ms cached")
        workflow = Workflow(lambda v: target.spark("standalone-submit", v), api, Path(scratch))
        try:
            job = workflow.submit(Submission(SEED_SCRIPT, REQUIREMENTS, unique_name("bench"), version))
            state = workflow.runner_of(job).follow(job)
            console.print(f"training: the seed's script went SUBMITTED -> {state} in "
                          f"{job.timeline[-1].seconds:.1f}s (the seed's platform: 12 s)")
            name = unique_name("bench-model")
            api.set_model_alias(name, "champion", register(api.base_url, job.run_id, name))
            server = ModelServer(cold, api.base_url, f"models:/{name}@champion", Path(scratch) / "serve.log")
            body = dataframe_split(sample_rows(1))
            started = time.perf_counter()
            server.start()
            server.invoke(body)
            console.print(f"serving: mlflow models serve start to first prediction {time.perf_counter() - started:.1f}s")
            latencies = [timed(lambda: server.invoke(body))[1] * 1000 for _ in range(100)]
            console.print(f"serving: /invocations over 100 requests p50 {percentile(latencies, 0.5):.1f} ms, "
                          f"p95 {percentile(latencies, 0.95):.1f} ms")
            server.stop()
        finally:
            workflow.close()


def production_deployment(target: LocalTarget) -> None:
    """Seed 003's figures: throughput of one server and of two behind the balancer, failover gap."""
    stack, elapsed = timed(target.production_deployment)
    console.print(f"production deployment (2 replicas, balancer with TLS, own stores) healthy in {elapsed:.1f}s")
    admin = stack.client()
    experiment = admin.create_experiment(unique_name("bench"))
    one_server = stack.replica("replica-1").server.url
    table = Table(title="log-metric throughput (fixed 400 requests per row)")
    for column in ("through", "clients", "requests/s", "p50 ms", "p95 ms", "failed"):
        table.add_column(column)
    for label, make_api in (("one server (HTTP)", lambda: MlflowApi(one_server, auth=stack.admin)),
                            ("balancer, 2 replicas (HTTPS)", stack.client)):
        for count in (1, 8):
            clients = start_clients(admin, experiment, count, rest_logger(make_api), steps_each=400 // count)
            clients.join()
            summary = clients.summary()
            table.add_row(label, str(count), f"{summary.per_second:.0f}", f"{summary.p50_ms:.1f}",
                          f"{summary.p95_ms:.1f}", str(summary.failed))
    console.print(table)
    clients = start_clients(admin, experiment, 4, rest_logger(stack.client))
    clients.wait_acknowledged(20, timeout=30)
    killed_at = stack.kill_replica("replica-1")
    gap = stack.wait_marked_down("replica-1") - killed_at
    time.sleep(2)
    clients.stop()
    console.print(f"failover: replica-1 killed, taken out by the balancer after {gap * 1000:.0f} ms "
                  f"(window {stack.balancer.detection_window_s * 1000:.0f} ms); "
                  f"{len(clients.failures())} of {clients.summary().requests} requests failed")
    _, restart_s = timed(stack.heal)
    console.print(f"failover: replica-1 started again and back in rotation in {restart_s:.1f}s")


def suite_overhead() -> None:
    """The last acceptance run's wall time against the raw operations it waited on, and its matrix's total."""
    ledger = timings.read(timings.LEDGER)
    if ledger is None:
        console.print(f"suite overhead: no {timings.LEDGER} yet (run make acceptance first)")
        return
    console.print(timings.overhead_text(ledger))
    if "memory" in ledger:
        memory = ledger["memory"]
        console.print(f"memory peak of the last run: {memory['peak_gib']} GiB (sum of PSS) after "
                      f"{memory['after_seconds'] / 60:.0f} min; largest: "
                      + ", ".join(f"{name} {gib} GiB" for name, gib in memory["largest"]), markup=False)
    matrix = timings.LEDGER.parent / MATRIX_JSON
    if matrix.exists():
        console.print(totals_text(json.loads(matrix.read_text())), markup=False)


def main() -> None:
    chart_matrix()
    suite_overhead()
    target = LocalTarget(RunConfig(gpu="simulated"))  # the gpu row runs on simulated GPUs, as in make test
    try:
        _, elapsed = timed(target.platform)
        console.print(f"local platform (PostgreSQL, S3, MLflow) healthy in {elapsed:.1f}s")
        api_latencies(MlflowApi(target.platform().mlflow_url))
        production_deployment(target)
        if os.environ.get("BENCH_SPARK"):
            spark_rows(target, os.environ["BENCH_SPARK"])
            training_workflow(target, os.environ["BENCH_SPARK"])
    finally:
        target.close()


if __name__ == "__main__":
    main()
