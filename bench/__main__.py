"""`make bench`: time to a healthy local platform, MLflow API latencies, chart matrix render + validation,
the production deployment's throughput and failover gap, what single sign-on costs a request against basic
auth, backup and restore at a realistic size (seed 003's RTO and RPO; BENCH_DR_SCALE shrinks it), the last
acceptance run's overhead ratio and Spark matrix total, what a pod of the local target costs, the MLOps API's latencies and job throughput (seed 004), and (with BENCH_SPARK=4.1.1) one matrix
row per mode with the job's timeline of phases."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import chart, timings
from harness.config import RunConfig
from harness.matrix import SPARK_VERSIONS, all_cells
from harness.matrix_grid import MATRIX_JSON, totals_text
from harness.mlflow.api import MlflowApi
from harness.mlflow.backup import BackupJob, newest_good
from harness.mlflow.dataset import DatasetSize, bucket_size, table_counts, write_dataset
from harness.names import unique_name
from harness.production.clients import percentile, rest_logger, start_clients
from harness.production.identity import IdentityProvider
from harness.production.sso import SsoDeployment, sso_values
from harness.production.stack import ProductionStack
from harness.spark import training
from harness.spark.chart_settings import daemon_settings
from harness.spark.runtimes import ensure_runtime
from harness.spark.standalone import SparkStandalone
from harness.stores.postgres import PostgresService
from harness.stores.s3 import S3Service
from harness.system import pods, tools
from harness.system.pods import PodNetwork
from harness.system.ports import LOOPBACK
from harness.targets.local import LocalTarget
from harness.workflow.api import MlopsApi, Upload, overlap_of_slots
from harness.workflow.checks import dataframe_split, sample_rows

DATA = Path(__file__).resolve().parent.parent / "features" / "data"
SEED_SCRIPT, QUICK_SCRIPT = DATA / "train_random_forest.py", DATA / "logs_one_metric.py"
REQUIREMENTS = ("scikit-learn",)
ARTIFACT_BUCKET = "mlflow-artifacts"  # the chart's mlflow.artifactBucket

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


def mlops_api(target: LocalTarget) -> None:
    """Seed 004's figures on the MLOps API's endpoints: latencies, the seed's script to completed (warm), and
    20 uploads at once with 2 job slots."""
    service, started_s = timed(target.mlops_api)
    api = MlopsApi(service.url)
    console.print(f"MLOps API: healthy {started_s:.1f}s after asked (its Spark {service.spark_version} included)")
    experiment, model = unique_name("bench"), unique_name("bench-model")
    seed = Upload(SEED_SCRIPT, experiment, REQUIREMENTS, model, 600)
    api.follow(api.submit(seed), 900)  # warms the environment
    job_id, submitted_s = timed(lambda: api.submit(seed))
    job = api.follow(job_id, 900)
    console.print(f"MLOps API: the seed's script uploaded -> {job.status} in "
                  f"{(job.history[-1].at - job.history[0].at).total_seconds():.1f}s warm (the seed's platform: 12 s)")
    quick = Upload(QUICK_SCRIPT, experiment)
    started = time.perf_counter()
    batch = [api.submit(quick) for _ in range(20)]
    ended = [api.follow(job_id, 900) for job_id in batch]
    console.print(f"MLOps API: 20 uploads at once with {api.status().body['job_store']['max_running_jobs']} job "
                  f"slots: {sum(job.status == 'completed' for job in ended)} completed, "
                  f"{sum(not job.ended for job in ended)} lost, in {time.perf_counter() - started:.0f}s; "
                  f"most slots held at once {overlap_of_slots(ended)}")
    for _ in range(200):
        api.job(job_id)
    for _ in range(100):
        api.models()
        api.status()
    api.predict(model, dataframe_split(sample_rows(1)), version=job.model_version)  # starts the scoring server
    for _ in range(100):
        api.predict(model, dataframe_split(sample_rows(1)), version=job.model_version)
    table = Table(title="MLOps API latencies (seed 004's figures and this issue's goals)")
    for column in ("endpoint", "calls", "p50 ms", "p95 ms", "seed", "goal p95"):
        table.add_column(column)
    for endpoint, seed_figure, goal in (("POST /mlops/training/upload", "~200 ms", "20 ms"),
                                        ("GET /mlops/training/jobs/{id}", "<50 ms", "5 ms"),
                                        ("GET /mlops/models", "~100 ms", "20 ms"),
                                        ("GET /mlops/status", "~35 s", "100 ms"),
                                        ("POST /mlops/models/{name}/predict", "-", "-")):
        samples = api.latencies_ms[endpoint][-200:]
        table.add_row(endpoint, str(len(samples)), f"{percentile(samples, 0.5):.1f}",
                      f"{percentile(samples, 0.95):.1f}", seed_figure, goal)
    console.print(table)


def production_deployment(target: LocalTarget) -> None:
    """Seed 003's figures: throughput of one server and of two behind the balancer, failover gap."""
    stack, elapsed = timed(target.production_deployment)
    console.print(f"production deployment (2 replicas, HTTPS end to end, own stores) healthy in {elapsed:.1f}s")
    admin = stack.client()
    experiment = admin.create_experiment(unique_name("bench"))
    one_server = stack.replica_url("replica-1")
    edge_only = ProductionStack(target.workdir, "production-edge-tls", end_to_end_tls=False, pods=target.pods)
    try:
        edge_only.start()
        edge_admin = edge_only.client()
        table = Table(title="log-metric throughput (fixed 400 requests per row)")
        for column in ("through", "clients", "requests/s", "p50 ms", "p95 ms", "failed"):
            table.add_column(column)
        for label, through_admin, make_api in (
                ("one replica (HTTPS)", admin,
                 lambda: MlflowApi(one_server, auth=stack.admin, verify=str(stack.ca_path))),
                ("balancer, TLS at the edge only", edge_admin, edge_only.client),
                ("balancer, TLS end to end", admin, stack.client)):
            through_experiment = through_admin.create_experiment(unique_name("bench"))
            for count in (1, 8):
                clients = start_clients(through_admin, through_experiment, count, rest_logger(make_api),
                                        steps_each=400 // count)
                clients.join()
                summary = clients.summary()
                table.add_row(label, str(count), f"{summary.per_second:.0f}", f"{summary.p50_ms:.1f}",
                              f"{summary.p95_ms:.1f}", str(summary.failed))
        console.print(table)
    finally:
        edge_only.stop()
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


def single_sign_on(target: LocalTarget) -> None:
    """Seed 003's SSO: what checking a token costs a request against a basic-auth login, through the balancer of
    a production deployment each (HTTPS end to end, the chart's defaults), and how often the servers fetched the
    identity provider's keys."""
    basic = target.production_deployment()
    provider = IdentityProvider(target.pods.gateway if target.pods else LOOPBACK)
    provider.start()
    sso_stack = ProductionStack(target.workdir, "production-sso-defaults",
                                extra_values=sso_values(provider, quick_rotation=False), pods=target.pods)
    try:
        sso_stack.start()
        sso = SsoDeployment(provider, sso_stack)
        table = Table(title="log-metric through the balancer, HTTPS end to end (fixed 400 requests per row)")
        for column in ("auth", "clients", "requests/s", "p50 ms", "p95 ms", "failed"):
            table.add_column(column)
        requests = 0
        for label, admin, make_api in (
                ("basic (login, cached hash)", basic.client(), basic.client),
                ("sso (token, cached keys)", sso.client("bench@example.org"),
                 lambda: sso.client("bench@example.org"))):
            experiment = admin.create_experiment(unique_name("bench"))
            for count in (1, 8):
                clients = start_clients(admin, experiment, count, rest_logger(make_api), steps_each=400 // count)
                clients.join()
                summary = clients.summary()
                requests += summary.requests if label.startswith("sso") else 0
                table.add_row(label, str(count), f"{summary.per_second:.0f}", f"{summary.p50_ms:.1f}",
                              f"{summary.p95_ms:.1f}", str(summary.failed))
        console.print(table)
        console.print(f"single sign-on: the identity provider's keys were fetched {provider.jwks_fetches} times for "
                      f"{requests} token-bearing requests ({provider.jwks_fetches * 1000 / max(requests, 1):.1f} "
                      "per 1,000: each server process fetches them once and keeps them 300 s)")
    finally:
        sso_stack.stop()
        provider.stop()


def disaster_recovery(target: LocalTarget) -> None:
    """Seed 003's RTO and RPO at a realistic size (BENCH_DR_SCALE=1.0: 2,000 runs, 1,000,000 metric points, 300
    model versions, 1 GiB of artifacts): the chart's backup Job into a store apart, its platform destroyed, the
    chart's restore Job onto new stores, and what came back counted in the database and the bucket."""
    size = DatasetSize.scaled(float(os.environ.get("BENCH_DR_SCALE", "1.0")))
    values = {"backup.store.endpointUrl": "http://backup-store.example:9000", "backup.prefix": "backups/bench"}
    own = target.own_platform(values)
    assert own.database is not None
    _, write_s = timed(lambda: write_dataset(MlflowApi(own.url), own.s3.client(), ARTIFACT_BUCKET, size))
    before = {**table_counts(own.postgres, own.database.name), "artifact objects, bytes": bucket_size(
        own.s3.client(), ARTIFACT_BUCKET)}
    job = BackupJob.rendered_with(values)
    _, backup_s = timed(lambda: target.run_backup_job(job, platform=own))
    _, again_s = timed(lambda: target.run_backup_job(job, platform=own))
    newest = newest_good(target.backups(job))
    dumps = sum(recorded["bytes"] for recorded in newest.manifest["files"].values())
    own.destroy()
    restored = target.restored_platform(job, "latest", own.database)
    assert restored.database is not None
    after = {**table_counts(restored.postgres, restored.database.name), "artifact objects, bytes": bucket_size(
        restored.s3.client(), ARTIFACT_BUCKET)}
    console.print(f"disaster recovery at {size.as_text()} (written in {write_s:.0f}s):\n"
                  f"  backup {backup_s:.1f}s (dumps {dumps / 1024 ** 2:.1f} MiB, artifacts "
                  f"{newest.manifest['artifacts']['bytes'] / 1024 ** 2:.0f} MiB mirrored), the next one "
                  f"{again_s:.1f}s (copied {newest.manifest['artifacts']['copied']} objects)\n"
                  f"  restore from total loss (RTO) {restored.seconds:.1f}s; RPO at most "
                  f"{(job.longest_gap().total_seconds() + backup_s) / 60:.1f} min with {job.schedule!r}\n"
                  f"  came back: {'everything' if after == before else 'NOT everything'} {after}", markup=False)


def pod_isolation() -> None:
    """What a pod costs (harness/system/pods.py): its namespace and veth pair, a process started in its sandbox
    against the same process started plainly, and a Spark master and worker started in pods against plainly."""
    if (why := pods.isolation_unavailable()) is not None:
        console.print(f"pod isolation: not measured, it is off here ({why})")
        return
    with tempfile.TemporaryDirectory() as folder:
        network = PodNetwork.create(Path(folder), (tools.CACHE_DIR, Path(sys.base_prefix), Path(__file__).parents[1]))
        try:
            made = [timed(lambda n=n: network.pod(f"bench-{n}", 185, 185, "bench"))[1] for n in range(10)]
            pod = network.pods["bench-0"]
            plain = [timed(lambda: subprocess.run(["true"], check=True))[1] for _ in range(10)]
            sandboxed = [timed(lambda: subprocess.run(pod.command(["true"]), check=True))[1] for _ in range(10)]
            console.print(f"pod isolation: a pod's namespace and veth pair {statistics.median(made) * 1000:.0f} ms; "
                          f"a process started in its sandbox {statistics.median(sandboxed) * 1000:.0f} ms against "
                          f"{statistics.median(plain) * 1000:.1f} ms plainly (median of 10)")
            for in_pods in (False, True):
                runtime = ensure_runtime(SPARK_VERSIONS[-1])
                settings = daemon_settings(chart.render_default(), None, None, "bench", in_pods)
                cluster = SparkStandalone(runtime, Path(folder) / ("pods" if in_pods else "plain"), settings,
                                          network if in_pods else None)
                try:
                    _, elapsed = timed(cluster.start)
                finally:
                    cluster.stop()
                console.print(f"  Spark {runtime.version} master and worker {'in pods' if in_pods else 'plainly'}: "
                              f"registered in {elapsed:.1f}s")
            os.chmod(folder, 0o755)  # PostgreSQL started plainly runs as the postgres user
            for in_pods in (False, True):
                stores = Path(folder) / ("stores-in-pods" if in_pods else "stores-plain")
                postgres = PostgresService(stores, pod=network.pod("bench-postgresql-0", 999, 999, "bench")
                                           if in_pods else None)
                s3 = S3Service(stores, pod=network.pod("bench-minio-0", 1000, 1000, "bench") if in_pods else None)
                try:
                    _, postgres_s = timed(postgres.start)
                    _, s3_s = timed(s3.start)
                finally:
                    postgres.stop()
                    s3.stop()
                console.print(f"  PostgreSQL (initdb included) and the S3 server {'in pods' if in_pods else 'plainly'}: "
                              f"ready in {postgres_s:.1f}s and {s3_s:.1f}s")
        finally:
            network.close()


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
    pod_isolation()
    target = LocalTarget(RunConfig(gpu="simulated"))  # the gpu row runs on simulated GPUs, as in make test
    try:
        _, elapsed = timed(target.platform)
        console.print(f"local platform (PostgreSQL, S3, MLflow) healthy in {elapsed:.1f}s")
        api_latencies(MlflowApi(target.platform().mlflow_url))
        production_deployment(target)
        single_sign_on(target)
        mlops_api(target)
        disaster_recovery(target)
        if os.environ.get("BENCH_SPARK"):
            spark_rows(target, os.environ["BENCH_SPARK"])
    finally:
        target.close()


if __name__ == "__main__":
    main()
