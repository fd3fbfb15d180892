"""A local TCP port that forwards every connection to a pod's port through the Kubernetes API
(the kubernetes client's portforward stream), like `kubectl port-forward`."""

from __future__ import annotations

import select
import socket
import threading
from typing import Any

from kubernetes.stream import portforward

from harness.system.ports import LOOPBACK


class PortForward:
    def __init__(self, core_api: Any, namespace: str, pod: str, remote_port: int) -> None:
        self.core_api = core_api
        self.namespace = namespace
        self.pod = pod
        self.remote_port = remote_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(16)
        self.local_port = int(self._listener.getsockname()[1])
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name=f"forward-{pod}-{remote_port}", daemon=True).start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.local_port}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        stream = portforward(self.core_api.connect_get_namespaced_pod_portforward, self.pod, self.namespace,
                             ports=str(self.remote_port))
        remote = stream.socket(self.remote_port)
        try:
            sockets = [client, remote]
            while not self._closed.is_set():
                readable, _, failed = select.select(sockets, [], sockets, 1.0)
                if failed:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (remote if source is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            remote.close()
            stream.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
