"""Seed 003's production deployment, run here: the chart rendered with production values (two replicas, basic
auth, metrics, an Ingress with TLS and a body-size limit, HTTPS to the replicas and to the object store), each
replica a real MLflow server started with the chart's arguments and serving TLS with the certificate of its
Secret, HAProxy in front doing what the Service and the Ingress (re-encrypting, verifying) do on a cluster.

It has a PostgreSQL and an S3 store of its own, so the faults scenarios inject here (a dead replica, the
database gone, the store cut off) never touch the platform the other features share. One CA of the run's own
signs every certificate, as a cert-manager CA issuer would.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness import chart, progress
from harness.chart import artifact_bucket
from harness.chart.local_containers import chart_pod
from harness.chart.storage import bucket_job_script, buckets_created
from harness.mlflow.api import MlflowApi
from harness.mlflow.server import MlflowServer
from harness.mlflow.variant import ChartPod, pod_from_chart
from harness.production.balancer import S3_BACKEND, Balancer, ReplicaTls, ServerState, Tls, Upstream
from harness.production.certificates import CertificateAuthority
from harness.stores.postgres import PostgresService
from harness.stores.s3 import S3Service
from harness.system.pods import Pod, PodNetwork
from harness.system.ports import LOOPBACK, claim_port
from harness.system.waiting import wait_for
from harness.waits import REPLICAS_READY_S

INGRESS_HOST = "mlflow.spec.test"
STORE_HOST = "minio.spec.test"
REPLICA_TLS_SECRET = "mlflow-replica-tls"
STORE_TLS_SECRET = "store-tls"
PRODUCTION_VALUES = {
    "mlflow.replicas": "2",
    "mlflow.auth.enabled": "true",
    "mlflow.metrics.enabled": "true",
    "mlflow.ingress.enabled": "true",
    "mlflow.ingress.host": INGRESS_HOST,
    "mlflow.ingress.tls.enabled": "true",
    "mlflow.ingress.maxBodySize": "8m",
    "mlflow.tls.enabled": "true",
    "mlflow.tls.existingSecret": REPLICA_TLS_SECRET,
    "minio.tls.enabled": "true",
    "minio.tls.existingSecret": STORE_TLS_SECRET,
}
BODY_SIZE_ANNOTATION = "nginx.ingress.kubernetes.io/proxy-body-size"
NGINX = "nginx.ingress.kubernetes.io/"
NGINX_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def body_size_bytes(size: str) -> int:
    """An ingress-nginx size ("8m", "1g", "512k", "1024") in bytes."""
    found = re.fullmatch(r"(\d+)([kmg]?)", size.strip().lower())
    if not found:
        raise ValueError(f"not an nginx size: {size!r}")
    return int(found.group(1)) * NGINX_SIZE_UNITS[found.group(2)]


def replica_tls_of(annotations: dict[str, str], secrets: dict[str, dict[str, bytes]],
                   folder: Path) -> ReplicaTls | None:
    """What the Ingress's annotations ask of the connection to the replicas, for the balancer: None when it
    speaks plain HTTP to them; else the CA file (ca.crt of the Secret proxy-ssl-secret names) and the name their
    certificate must hold (proxy-ssl-name)."""
    if annotations.get(f"{NGINX}backend-protocol") != "HTTPS":
        return None
    if annotations.get(f"{NGINX}proxy-ssl-verify") != "on":
        raise AssertionError(f"the Ingress re-encrypts to the replicas without verifying them: {annotations}")
    secret = annotations[f"{NGINX}proxy-ssl-secret"].split("/", 1)[1]
    ca_file = folder / f"{secret}-ca.crt"
    ca_file.write_bytes(secrets[secret]["ca.crt"])
    return ReplicaTls(ca_file, annotations[f"{NGINX}proxy-ssl-name"])


@dataclass
class Replica:
    name: str
    server: MlflowServer


class ProductionStack:
    def __init__(self, workdir: Path, name: str = "production", end_to_end_tls: bool = True,
                 extra_values: dict[str, str] | None = None, pods: PodNetwork | None = None) -> None:
        """`end_to_end_tls` False: TLS at the Ingress only, plain HTTP to the replicas and the store (what the
        chart does without mlflow.tls and minio.tls), for comparing what end-to-end TLS costs; `extra_values`
        on top of the production values (single sign-on's, for one). With `pods` it is a release of its own:
        each replica, the database and the store in a pod, the balancer in the Ingress controller's pod, which
        the store's Service name leads to (its gate to S3)."""
        self.folder = workdir / name
        self.folder.mkdir()
        values = PRODUCTION_VALUES if end_to_end_tls else {
            key: value for key, value in PRODUCTION_VALUES.items() if not key.startswith(("mlflow.tls.", "minio.tls."))}
        self.values = {**values, **(extra_values or {})}
        self.end_to_end_tls = end_to_end_tls
        self.pods = pods
        self.release = self.folder.name  # its namespace of names, with pods
        stores = chart.render_default()
        self.postgres = PostgresService(self.folder, stores.service_port("postgresql") if pods else None,
                                        chart_pod(pods, stores, "postgresql", self.release) if pods else None)
        self.s3 = S3Service(self.folder, stores.service_port("minio") if pods else None,
                            pods.pod(f"{self.release}-minio-0", *stores.run_as("minio"), self.release) if pods else None)
        # The Ingress controller's pod (root without capabilities: it reads the run's certificates), at which
        # the store's Service name arrives: its gate to S3 stands between the servers and the store.
        self._store_service = stores.service_of("minio")
        self._ingress_pod = pods.pod(f"{self.release}-ingress-0", 0, 0, self.release,
                                     [self._store_service]) if pods else None
        self._store_service_port = stores.service_port("minio")
        self.replicas: list[Replica] = []
        self.balancer: Balancer | None = None
        self.authority = CertificateAuthority()
        self.tls_folder = self.folder / "tls"
        self.ca_path = self.authority.write(self.tls_folder / "ca.pem")
        self.secrets: dict[str, dict[str, bytes]] = {}  # what the cluster holds: the Secrets cert-manager wrote
        self.replica_tls: ReplicaTls | None = None
        self.replica_names: list[str] = []  # what the replicas' certificate names
        self.pod: ChartPod | None = None
        self._store_endpoint = ""  # where the servers reach the store
        self.database_password = ""
        self._impostors: set[str] = set()  # replicas serving a certificate from another CA

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> None:
        with progress.step("starting the production deployment's PostgreSQL and S3 store"):
            self.postgres.start()
            database = self.postgres.create_database("mlflow", "mlflow")
            self.database_password = database.password
            self.s3.start()
        edge = self.authority.issue([INGRESS_HOST, "localhost", LOOPBACK])
        gate = self._ingress_pod
        store = self.authority.issue([STORE_HOST, "localhost", LOOPBACK, *(
            [self._store_service, gate.address] if gate else [])])
        tls = Tls(edge.write_pem(self.tls_folder / "edge.pem"),
                  store.write_pem(self.tls_folder / "store.pem") if self.end_to_end_tls else None)
        ports = [claim_port(None, "an MLflow replica") for _ in range(int(self.values["mlflow.replicas"]))]
        if gate is not None:
            gate.readable, gate.writable = (self.tls_folder,), (self.folder / "balancer",)
        (self.folder / "balancer").mkdir(exist_ok=True)
        self.balancer = Balancer(self.folder / "balancer", Upstream("store", self.s3.port, self.s3.host), tls, gate,
                                 self._store_service_port if gate else None)
        storage_env = {**self.s3.server_env(), "MLFLOW_S3_ENDPOINT_URL": self.balancer.s3_endpoint}
        self.pod = pod = pod_from_chart(self.values, database, storage_env, self.folder,
                                        pod_for=lambda rendered: self._replica_pod(rendered, 1))
        annotations = pod.rendered.named("Ingress", "-mlflow")["metadata"]["annotations"]
        # The replicas' certificate names what the Ingress verifies, and the address the balancer reaches them at.
        self.replica_names = [annotations.get(f"{NGINX}proxy-ssl-name", INGRESS_HOST), "localhost", LOOPBACK]
        self.secrets = {REPLICA_TLS_SECRET: self.authority.issue(self.replica_names).secret(),
                        STORE_TLS_SECRET: store.secret()}
        pod.mount_secrets(self.secrets)
        self.replica_tls = replica_tls_of(annotations, self.secrets, self.tls_folder)
        self.s3.create_buckets(buckets_created(bucket_job_script(pod.rendered)))
        if pod.replicas != len(ports):
            raise AssertionError(f"the chart rendered {pod.replicas} replicas for mlflow.replicas={len(ports)}")
        self.replicas = [Replica(f"replica-{i}", self._replica_server(pod, i, port)) for i, port in enumerate(ports, 1)]
        self._store_endpoint = self.replicas[0].server.env["MLFLOW_S3_ENDPOINT_URL"]
        with progress.step(f"starting {len(self.replicas)} MLflow replicas together, as a Deployment does"):
            pool = ThreadPoolExecutor(len(self.replicas))
            try:
                for replica in self.replicas:  # from this thread, which outlives them (see MlflowServer.launch)
                    replica.server.launch()
                list(pool.map(lambda replica: replica.server.wait_started(), self.replicas))
            except BaseException:
                # Interrupted: stop the replicas first, so the threads waiting for them give up at once,
                # then once more for one a thread started meanwhile.
                self._stop_replicas()
                pool.shutdown(wait=True, cancel_futures=True)
                self._stop_replicas()
                raise
            pool.shutdown()
        with progress.step("starting HAProxy (the Service and the TLS Ingress) in front of them"):
            self.balancer.start([self._upstream(replica) for replica in self.replicas], self.body_limit_bytes,
                                self.replica_tls)

    def _replica_pod(self, rendered: chart.Rendered, ordinal: int) -> Pod | None:
        return chart_pod(self.pods, rendered, "mlflow", self.release, ordinal=ordinal) if self.pods else None

    def _replica_server(self, pod: ChartPod, ordinal: int, port: int) -> MlflowServer:
        """Replica `ordinal` on loopback `port`: its own process there, or its pod's port forwarded to it."""
        replica_pod = self._replica_pod(pod.rendered, ordinal)
        name = f"mlflow-replica-{ordinal}"
        return pod.server_in(replica_pod, port, name) if replica_pod else pod.server(port, name)

    @staticmethod
    def _upstream(replica: Replica) -> Upstream:
        """Where the balancer reaches a replica: its pod's address, as a Service's endpoints are."""
        server = replica.server
        if server.pod is not None and server.pod_port is not None:
            return Upstream(replica.name, server.pod_port, server.pod.address)
        return Upstream(replica.name, server.port)

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
        """A CA that signed nothing the deployment serves: a client trusting only it must refuse the servers."""
        return CertificateAuthority("an unrelated CA").write(self.tls_folder / "unrelated-ca.pem")

    def replica_url(self, name: str) -> str:
        """A replica's own address, as a pod's IP is reached inside the cluster (not through the balancer)."""
        return self.replica(name).server.url

    @property
    def store_endpoint(self) -> str:
        """Where the servers reach the object store (the S3 endpoint of their environment)."""
        return self._store_endpoint

    @property
    def store_endpoint_here(self) -> str:
        """The same endpoint as this machine reaches it (its gate's pod address with pods)."""
        return self._balancer().s3_endpoint

    def store_connections(self) -> int:
        """Connections the store's TLS endpoint has taken since the deployment started."""
        return self._balancer().sessions_at(S3_BACKEND)

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

    def balancer_state(self, name: str) -> ServerState:
        return self._balancer().states()[name]

    def wait_down_for_tls(self, name: str) -> ServerState:
        """Wait until the balancer holds `name` down for its TLS handshake (a failed layer-6 check), past the
        connection failures of a restart; the balancer's view of it then."""
        def refused() -> ServerState:
            state = self.balancer_state(name)
            if state.status != "DOWN" or not state.last_check.startswith("L6"):
                raise LookupError(f"the balancer sees {state}")
            return state

        return wait_for(refused, f"the balancer to refuse {name}'s TLS handshake", REPLICAS_READY_S, interval=0.05)

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

    def serve_certificate_of_another_ca(self, name: str) -> None:
        """Restart replica `name` with a certificate for the same names but from a CA the deployment never
        trusted (as when its Secret is replaced by one from elsewhere): the other replicas keep theirs."""
        impostor = CertificateAuthority("an impostor CA").issue(self.replica_names)
        self._pod().mount_secrets({**self.secrets, REPLICA_TLS_SECRET: impostor.secret()})
        self._impostors.add(name)
        replica = self.replica(name)
        replica.server.stop()
        replica.server.start()

    def heal(self) -> None:
        """Undo whatever a scenario broke: database and store back, the genuine certificate served, every
        replica running and in rotation."""
        if not self.postgres.running():
            self.postgres.start()
        balancer = self._balancer()
        balancer.restore_s3()
        if self._impostors:
            self._pod().mount_secrets(self.secrets)
        for replica in self.replicas:
            if replica.name in self._impostors:
                replica.server.stop()
                self._impostors.discard(replica.name)
            if not replica.server.running():
                replica.server.start()
            balancer.set_state(replica.name, "ready")
            balancer.wait_status(replica.name, "UP", REPLICAS_READY_S)

    def _pod(self) -> ChartPod:
        assert self.pod is not None, "the production deployment is not started"
        return self.pod

    def _balancer(self) -> Balancer:
        assert self.balancer is not None, "the production deployment is not started"
        return self.balancer

    def replica(self, name: str) -> Replica:
        for replica in self.replicas:
            if replica.name == name:
                return replica
        raise LookupError(f"no replica {name}; the deployment has {[r.name for r in self.replicas]}")
