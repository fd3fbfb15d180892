"""HAProxy in front of the MLflow replicas: what the chart's Service (health-checked endpoints) and Ingress
(TLS, body-size limit) do on a cluster. It also stands between the servers and the S3 store, so a scenario
can cut the store off from MLflow without losing what the store holds (moto keeps objects in memory)."""

from __future__ import annotations

import csv
import io
import socket
from dataclasses import dataclass
from pathlib import Path

from harness.system import tools
from harness.system.forward import AddressForward
from harness.system.pods import Pod
from harness.system.ports import LOOPBACK, claim_port
from harness.system.process import ManagedProcess
from harness.system.waiting import wait_for

# Health checks every CHECK_INTERVAL_MS, a replica is out after FALL failed checks: the chart's readiness
# probe (every 10 s, 3 failures) made fast enough for a scenario; `inter`/`fall` keep their meaning.
CHECK_INTERVAL_MS = 500
FALL = 2
RISE = 2
CHECK_TIMEOUT_MS = 1000
MLFLOW_BACKEND = "mlflow"
S3_BACKEND = "s3"
S3_SERVER = "store"
FRONTEND_POD_PORT = 8443  # the Ingress controller's HTTPS port in its pod


@dataclass(frozen=True)
class Upstream:
    name: str
    port: int
    host: str = LOOPBACK  # a pod's address when the replicas run in pods


@dataclass(frozen=True)
class ReplicaTls:
    """How the Ingress re-encrypts to the replicas (ingress-nginx's backend-protocol HTTPS, proxy-ssl-verify,
    proxy-ssl-secret, proxy-ssl-name): the CA their certificates must chain to, the name they must hold."""

    ca_file: Path
    name: str

    def server_options(self) -> str:
        return f"ssl verify required ca-file {self.ca_file} verifyhost {self.name} sni str({self.name})"


@dataclass(frozen=True)
class Tls:
    """The certificates the balancer serves: the Ingress's, and the store's (its gate to S3 stands for a store
    that serves HTTPS) when there is one."""

    edge_pem: Path
    store_pem: Path | None = None


@dataclass(frozen=True)
class ServerState:
    name: str
    status: str  # UP, DOWN, MAINT, DRAIN, "UP 1/2" while rising...
    sessions_total: int
    current_sessions: int
    last_check: str  # e.g. "L7OK", "L6RSP" (a TLS handshake the balancer refused), "L4CON"


def render_config(replicas: list[Upstream], store: Upstream, frontend_port: int, s3_gate_port: int,
                  admin_socket: Path, tls: Tls | None, replica_tls: ReplicaTls | None,
                  max_body_bytes: int | None, listen: str = LOOPBACK) -> str:
    """haproxy.cfg: an HTTP(S) frontend balancing over the replicas with health checks, a TCP gate to S3, both
    on `listen`."""
    bind = f"bind {listen}:{frontend_port}" + (f" ssl crt {tls.edge_pem}" if tls else "")
    replica_options = f" {replica_tls.server_options()}" if replica_tls else ""
    s3_bind = f"bind {listen}:{s3_gate_port}" + (f" ssl crt {tls.store_pem}" if tls and tls.store_pem else "")
    limit = ([f"  http-request deny deny_status 413 if {{ req.hdr_val(content-length) gt {max_body_bytes} }}"]
             if max_body_bytes else [])
    lines = [
        "global",
        f"  stats socket {admin_socket} mode 600 level admin",
        "  log stderr format raw local0 notice",
        "defaults",
        "  log global",
        "  timeout connect 1s", "  timeout client 60s", "  timeout server 60s",
        f"  timeout check {CHECK_TIMEOUT_MS}ms",
        # A request that could not reach a replica (refused, reset before an answer) goes to another one.
        "  retries 3", "  option redispatch 1",
        f"frontend {MLFLOW_BACKEND}", "  mode http", f"  {bind}", *limit,
        "  option forwardfor", f"  http-request set-header X-Forwarded-Proto {'https' if tls else 'http'}",
        f"  default_backend {MLFLOW_BACKEND}",
        f"backend {MLFLOW_BACKEND}", "  mode http", "  balance roundrobin",
        "  retry-on conn-failure empty-response",
        "  option httpchk",
        # The chart's probes send Host: localhost (MLflow refuses unknown hosts; /health is exempt anyway).
        "  http-check send meth GET uri /health hdr Host localhost",
        "  http-check expect string OK",
        f"  default-server inter {CHECK_INTERVAL_MS}ms fall {FALL} rise {RISE}",
        *[f"  server {up.name} {up.host}:{up.port} check{replica_options}" for up in replicas],
        f"frontend {S3_BACKEND}", "  mode tcp", f"  {s3_bind}", f"  default_backend {S3_BACKEND}",
        f"backend {S3_BACKEND}", "  mode tcp", f"  server {S3_SERVER} {store.host}:{store.port}",
    ]
    return "\n".join(lines) + "\n"


class Balancer:
    """HAProxy on loopback; or, in `pod` (the Ingress controller's, beside the replicas' pods), on the pod's
    address, its frontend reached through a port-forward on loopback and its gate to S3 on `s3_gate_port` (the
    store Service's port, whose name leads to this pod)."""

    def __init__(self, folder: Path, store: Upstream, tls: Tls | None, pod: Pod | None = None,
                 s3_gate_port: int | None = None) -> None:
        self.port = claim_port(None, "the balancer")
        self.s3_gate_port = s3_gate_port or claim_port(None, "the S3 gate")
        self.tls = tls
        self.pod = pod
        self._store = store
        self.admin_socket = folder / "haproxy.sock"
        self.config_path = folder / "haproxy.cfg"
        self._process = ManagedProcess("haproxy", [tools.haproxy(), "-db", "-f", str(self.config_path)],
                                       folder.parent / "logs" / "haproxy.log", pod=pod)
        self._forward: AddressForward | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"

    @property
    def detection_window_s(self) -> float:
        """Longest time from a replica's death to the balancer taking it out: FALL failed checks, the last
        of which may wait its full timeout."""
        return (FALL * CHECK_INTERVAL_MS + CHECK_TIMEOUT_MS) / 1000

    @property
    def s3_endpoint(self) -> str:
        """The gate to S3 as this machine reaches it."""
        host = self.pod.address if self.pod else LOOPBACK
        return f"{'https' if self.tls and self.tls.store_pem else 'http'}://{host}:{self.s3_gate_port}"

    def start(self, replicas: list[Upstream], max_body_bytes: int | None, replica_tls: ReplicaTls | None) -> None:
        """Write the config (its ports were known from the start, for the servers' settings) and run it."""
        frontend_port = FRONTEND_POD_PORT if self.pod else self.port
        self.config_path.write_text(render_config(replicas, self._store, frontend_port, self.s3_gate_port,
                                                  self.admin_socket, self.tls, replica_tls, max_body_bytes,
                                                  "0.0.0.0" if self.pod else LOOPBACK))
        self._process.start()
        if self.pod is not None and self._forward is None:
            self._forward = AddressForward(self.pod.address, FRONTEND_POD_PORT, self.port)
        self._process.wait_ready(lambda: all(s.status == "UP" for s in self.states(MLFLOW_BACKEND).values()),
                                 "the balancer to see every replica healthy", 60)

    def command(self, line: str) -> str:
        """One command on HAProxy's runtime API."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.admin_socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def _stats(self) -> list[dict[str, str]]:
        """HAProxy's statistics, a row per frontend, backend and server."""
        return list(csv.DictReader(io.StringIO(self.command("show stat").lstrip("# "))))

    def states(self, backend: str = MLFLOW_BACKEND) -> dict[str, ServerState]:
        return {row["svname"]: ServerState(row["svname"], row["status"], int(row["stot"] or 0), int(row["scur"] or 0),
                                           row["check_status"].lstrip("* "))
                for row in self._stats() if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")}

    def sessions_at(self, frontend: str) -> int:
        """Connections `frontend` has taken since the balancer started."""
        return next(int(row["stot"] or 0) for row in self._stats()
                    if row["pxname"] == frontend and row["svname"] == "FRONTEND")

    def wait_status(self, replica: str, status: str, timeout: float) -> None:
        wait_for(lambda: self.states()[replica].status == status, f"the balancer to mark {replica} {status}",
                 timeout, interval=0.05)

    def set_state(self, replica: str, state: str) -> None:
        """`ready`, `drain` (no new requests: what removing a pod from the Service endpoints does) or `maint`."""
        self.command(f"set server {MLFLOW_BACKEND}/{replica} state {state}")

    def cut_s3(self) -> None:
        self.command(f"set server {S3_BACKEND}/{S3_SERVER} state maint")
        self.command(f"shutdown sessions server {S3_BACKEND}/{S3_SERVER}")

    def restore_s3(self) -> None:
        self.command(f"set server {S3_BACKEND}/{S3_SERVER} state ready")

    def stop(self) -> None:
        self._process.stop()
        if self._forward is not None:
            self._forward.close()
            self._forward = None
