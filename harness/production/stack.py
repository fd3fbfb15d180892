"""Seed 003's production deployment, run here: the chart rendered with production values (two replicas, basic
auth, metrics, an Ingress with TLS and a body-size limit), each replica a real MLflow server started with the
chart's arguments, HAProxy in front doing what the Service and the Ingress do on a cluster.

It has a PostgreSQL and an S3 store of its own, so the faults scenarios inject here (a dead replica, the
database gone, the store cut off) never touch the platform the other features share.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.chart import artifact_bucket
from harness.chart.storage import bucket_job_script, buckets_created
from harness.mlflow.api import MlflowApi
from harness.mlflow.server import MlflowServer
from harness.mlflow.variant import ChartPod, pod_from_chart
from harness.production.balancer import Balancer, Upstream
from harness.production.certificates import Certificates, issue, unrelated_ca
from harness.stores.postgres import PostgresService
from harness.stores.s3 import S3Service
from harness.system.ports import LOOPBACK, claim_port
from harness.system.waiting import wait_for
from harness.waits import REPLICAS_READY_S

INGRESS_HOST = "mlflow.spec.test"
PRODUCTION_VALUES = {
    "mlflow.replicas": "2",
    "mlflow.auth.enabled": "true",
    "mlflow.metrics.enabled": "true",
    "mlflow.ingress.enabled": "true",
    "mlflow.ingress.host": INGRESS_HOST,
    "mlflow.ingress.tls.enabled": "true",
    "mlflow.ingress.maxBodySize": "8m",
}
BODY_SIZE_ANNOTATION = "nginx.ingress.kubernetes.io/proxy-body-size"
NGINX_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def body_size_bytes(size: str) -> int:
    """An ingress-nginx size ("8m", "1g", "512k", "1024") in bytes."""
    found = re.fullmatch(r"(\d+)([kmg]?)", size.strip().lower())
    if not found:
        raise ValueError(f"not an nginx size: {size!r}")
    return int(found.group(1)) * NGINX_SIZE_UNITS[found.group(2)]


@dataclass
class Replica:
    name: str
    server: MlflowServer


class ProductionStack:
    def __init__(self, workdir: Path) -> None:
        self.folder = workdir / "production"
        self.folder.mkdir()
        self.postgres = PostgresService(self.folder)
        self.s3 = S3Service(self.folder)
        self.replicas: list[Replica] = []
        self.balancer: Balancer | None = None
        self.certificates: Certificates | None = None
        self.pod: ChartPod | None = None
        self.database_password = ""

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> None:
        with progress.step("starting the production deployment's PostgreSQL and S3 store"):
            self.postgres.start()
            database = self.postgres.create_database("mlflow", "mlflow")
            self.database_password = database.password
            self.s3.start()
        self.certificates = issue(self.folder / "tls", [INGRESS_HOST, "localhost", LOOPBACK])
        ports = [claim_port(None, "an MLflow replica") for _ in range(int(PRODUCTION_VALUES["mlflow.replicas"]))]
        self.balancer = Balancer(self.folder, [Upstream(f"replica-{i}", port) for i, port in enumerate(ports, 1)],
                                 self.s3.port, self.certificates.server_pem_path)
        storage_env = {**self.s3.server_env(), "MLFLOW_S3_ENDPOINT_URL": self.balancer.s3_endpoint}
        self.pod = pod = pod_from_chart(PRODUCTION_VALUES, database, storage_env, self.folder)
        self.s3.create_buckets(buckets_created(bucket_job_script(pod.rendered)))
        if pod.replicas != len(ports):
            raise AssertionError(f"the chart rendered {pod.replicas} replicas for mlflow.replicas={len(ports)}")
        self.replicas = [Replica(f"replica-{i}", pod.server(port, f"mlflow-replica-{i}"))
                         for i, port in enumerate(ports, 1)]
        with progress.step(f"starting {len(self.replicas)} MLflow replicas together, as a Deployment does"):
            pool = ThreadPoolExecutor(len(self.replicas))
            try:
                list(pool.map(lambda replica: replica.server.start(), self.replicas))
            except BaseException:
                # Interrupted: stop the replicas first, so the threads waiting for them give up at once,
                # then once more for one a thread started meanwhile.
                self._stop_replicas()
                pool.shutdown(wait=True, cancel_futures=True)
                self._stop_replicas()
                raise
            pool.shutdown()
        with progress.step("starting HAProxy (the Service and the TLS Ingress) in front of them"):
            self.balancer.start(self.body_limit_bytes)

    def _stop_replicas(self) -> None:
        for replica in self.replicas:
            replica.server.stop()

    def stop(self) -> None:
        self._stop_replicas()
        if self.balancer is not None:
            self.balancer.stop()
        self.s3.stop()
        self.postgres.stop()

    # -- what clients see --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.balancer is not None
        return self.balancer.url

    @property
    def body_limit_bytes(self) -> int:
        """The largest request body the rendered Ingress lets through (its proxy-body-size annotation)."""
        assert self.pod is not None
        annotations = self.pod.rendered.named("Ingress", "-mlflow")["metadata"]["annotations"]
        return body_size_bytes(annotations[BODY_SIZE_ANNOTATION])

    @property
    def ca_path(self) -> Path:
        assert self.certificates is not None
        return self.certificates.ca_path

    @property
    def admin(self) -> tuple[str, str]:
        assert self.pod is not None and self.pod.admin is not None
        return self.pod.admin

    def client(self, auth: tuple[str, str] | None = None) -> MlflowApi:
        """A client through the Ingress over HTTPS, trusting the deployment's CA; the admin's by default."""
        return MlflowApi(self.url, auth=auth or self.admin, verify=str(self.ca_path))

    def stored_object(self, key: str) -> bytes:
        """An object of the artifact bucket, read from the store itself (not through the servers)."""
        assert self.pod is not None
        body = self.s3.client().get_object(Bucket=artifact_bucket(self.pod.rendered), Key=key)["Body"]
        return bytes(body.read())

    def unrelated_ca(self) -> Path:
        return unrelated_ca(self.folder / "tls")

    # -- faults and operations -------------------------------------------------------------------
    def kill_replica(self, name: str) -> float:
        """SIGKILL a replica's whole process group; returns when the signal went (time.monotonic())."""
        killed_at = time.monotonic()
        self.replica(name).server.kill()
        return killed_at

    def start_replica(self, name: str) -> None:
        """Start a stopped replica and wait until the balancer sends to it again."""
        replica = self.replica(name)
        replica.server.start()
        self._balancer().wait_status(name, "UP", REPLICAS_READY_S)

    def wait_marked_down(self, name: str) -> float:
        """Wait until the balancer has taken `name` out; returns when it saw that (time.monotonic())."""
        self._balancer().wait_status(name, "DOWN", REPLICAS_READY_S)
        return time.monotonic()

    def rolling_restart(self) -> None:
        """Each replica in turn, as the chart's RollingUpdate does (maxUnavailable 0, a preStop pause): out of
        the balancer, its requests finished, stopped gracefully, started, healthy and back in."""
        balancer = self._balancer()
        for replica in self.replicas:
            balancer.set_state(replica.name, "drain")
            wait_for(lambda: balancer.states()[replica.name].current_sessions == 0,
                     f"{replica.name} to finish its requests", REPLICAS_READY_S, interval=0.05)
            replica.server.stop()
            replica.server.start()
            balancer.set_state(replica.name, "ready")
            balancer.wait_status(replica.name, "UP", REPLICAS_READY_S)

    def server_pids(self) -> dict[str, set[int]]:
        return {replica.name: replica.server.pids() for replica in self.replicas}

    def stop_database(self) -> None:
        self.postgres.stop()

    def start_database(self) -> None:
        self.postgres.start()

    def cut_storage(self) -> None:
        """The S3 store becomes unreachable from the servers (its objects stay)."""
        self._balancer().cut_s3()

    def restore_storage(self) -> None:
        self._balancer().restore_s3()

    def heal(self) -> None:
        """Undo whatever a scenario broke: database and store back, every replica running and in rotation."""
        if not self.postgres.running():
            self.postgres.start()
        balancer = self._balancer()
        balancer.restore_s3()
        for replica in self.replicas:
            if not replica.server.running():
                replica.server.start()
            balancer.set_state(replica.name, "ready")
            balancer.wait_status(replica.name, "UP", REPLICAS_READY_S)

    def _balancer(self) -> Balancer:
        assert self.balancer is not None, "the production deployment is not started"
        return self.balancer

    def replica(self, name: str) -> Replica:
        for replica in self.replicas:
            if replica.name == name:
                return replica
        raise LookupError(f"no replica {name}; the deployment has {[r.name for r in self.replicas]}")
