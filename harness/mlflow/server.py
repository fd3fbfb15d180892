"""The `mlflow server` process, started with the argument list the Helm chart renders."""

from __future__ import annotations

import http.client
import os
import ssl
import sys
import threading
from pathlib import Path
from typing import Sequence

import psutil

from harness.errors import ServiceFailed
from harness.system.forward import AddressForward
from harness.system.pods import Pod
from harness.system.ports import LOOPBACK
from harness.system.process import ManagedProcess
from harness.waits import MLFLOW_START_S


class MlflowServer:
    """A server on `port` of loopback: its own process there, or, in a `pod`, a port-forward to the pod's
    `pod_port` (as the suite reaches a cluster's MLflow)."""

    def __init__(self, workdir: Path, server_args: Sequence[str], port: int, env: dict[str, str],
                 name: str = "mlflow-server", program: Path | None = None, pod: Pod | None = None,
                 pod_port: int | None = None) -> None:
        self.program = program or Path(sys.executable).with_name("mlflow")  # another venv's: another MLflow
        self.server_args = list(server_args)
        self.port = port
        self.log_path = workdir / "logs" / f"{name}.log"
        self.env = dict(env)  # the pod's environment, as the chart renders it with local values
        self._env = {**os.environ, **env}
        self.pod, self.pod_port = pod, pod_port
        self._process: ManagedProcess | None = None
        self._forward: AddressForward | None = None
        self._lock = threading.Lock()

    @property
    def static_prefix(self) -> str:
        """The path everything is served under (--static-prefix), "" when none."""
        given = [arg.split("=", 1)[1] for arg in self.server_args if arg.startswith("--static-prefix=")]
        return given[-1].rstrip("/") if given else ""

    @property
    def serves_tls(self) -> bool:
        """It serves HTTPS itself: the chart gave uvicorn a certificate (mlflow.tls)."""
        return any(arg.startswith("--uvicorn-opts") and "--ssl-certfile" in arg for arg in self.server_args)

    @property
    def url(self) -> str:
        return f"{'https' if self.serves_tls else 'http'}://{LOOPBACK}:{self.port}{self.static_prefix}"

    @property
    def argv(self) -> list[str]:
        return [str(self.program), *self.server_args]

    def start(self) -> None:
        self.launch()
        self.wait_started()

    def launch(self) -> None:
        """Start the process (and its port-forward) without waiting for it to answer. Call it from a thread that
        outlives the server: a pod's bubblewrap dies with the thread that started it (a parent-death signal
        follows the thread, not the process)."""
        with self._lock:
            self._stop_process()  # what is left of a killed server
            self._process = ManagedProcess("MLflow server", self.argv, self.log_path, env=self._env, pod=self.pod)
            self._process.start()
            if self.pod is not None and self.pod_port is not None:
                self._forward = AddressForward(self.pod.address, self.pod_port, self.port)

    def wait_started(self) -> None:
        """Wait until the launched server answers /health; replicas wait on threads of their own while an
        interrupt may stop them from the main one, and a wait gives up as soon as stop() ran."""
        process = self._process
        if process is None:
            raise ServiceFailed(f"the MLflow server {self.log_path.stem} was stopped before it answered")
        process.wait_ready(self.healthy, f"MLflow /health at {self.url}", MLFLOW_START_S)

    def running_args(self) -> list[str]:
        """The `mlflow server ...` arguments of the live process, as the operating system reports them."""
        if self._process is None or self._process.pid is None:
            raise RuntimeError("the MLflow server is not running")
        command = psutil.Process(self._process.pid).cmdline()
        return command[command.index("server"):]

    def process_tree_cmdlines(self) -> list[str]:
        """Command lines of the server and every process under it (uvicorn and its workers)."""
        if self._process is None or self._process.pid is None:
            raise RuntimeError("the MLflow server is not running")
        root = psutil.Process(self._process.pid)
        return [" ".join(proc.cmdline()) for proc in [root, *root.children(recursive=True)]]

    def healthy(self) -> bool:
        """What the chart's probe asks; over HTTPS without checking the certificate, as the kubelet's probes do
        (whether the certificate is one to trust is the balancer's and the clients' question)."""
        if self.serves_tls:
            unverified = ssl.create_default_context()
            unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(LOOPBACK, self.port, timeout=2,
                                                                                 context=unverified)
        else:
            connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=2)
        try:
            connection.request("GET", f"{self.static_prefix}/health")
            response = connection.getresponse()
            return response.status == 200 and response.read().decode().strip() == "OK"
        finally:
            connection.close()

    def running(self) -> bool:
        return self._process is not None and self._process.running()

    def pids(self) -> set[int]:
        """Process ids of the server and its workers: unchanged ids mean the server was not restarted."""
        if self._process is None or self._process.pid is None:
            return set()
        root = psutil.Process(self._process.pid)
        return {root.pid, *(child.pid for child in root.children(recursive=True))}

    def kill(self) -> None:
        """SIGKILL the server's process group; start() or stop() reaps it afterwards."""
        if self._process:
            self._process.kill()

    def stop(self) -> None:
        with self._lock:
            self._stop_process()

    def _stop_process(self) -> None:
        if self._forward:
            self._forward.close()
            self._forward = None
        if self._process:
            self._process.stop()
            self._process = None
