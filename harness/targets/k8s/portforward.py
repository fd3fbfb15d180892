"""A local TCP port that forwards every connection to a pod's port through the Kubernetes API
(the kubernetes client's portforward stream), like `kubectl port-forward`.

Each connection looks the pod up again (an upgrade replaces pods under the same Service) and opens its stream
on an ApiClient of its own; a stream that cannot be opened closes the client's socket at once, so the client
sees a refused connection instead of waiting forever.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any, Callable

from kubernetes.stream import portforward

from harness.system.ports import LOOPBACK
from harness.waits import PORT_FORWARD_OPEN_S



class PortForward:
    def __init__(self, new_core: Callable[[], Any], namespace: str, pod_name: Callable[[], str],
                 remote_port: int) -> None:
        self.new_core = new_core
        self.namespace = namespace
        self.pod_name = pod_name
        self.remote_port = remote_port
        self.errors: list[str] = []  # why connections could not be forwarded, for the report
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(16)
        self.local_port = int(self._listener.getsockname()[1])
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"forward-{remote_port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.local_port}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closed.is_set():
                client.close()
                return
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _open(self) -> tuple[Any, Any]:
        pod = self.pod_name()
        core = self.new_core()
        stream = portforward(core.connect_get_namespaced_pod_portforward, pod, self.namespace,
                             ports=str(self.remote_port))
        return stream, stream.socket(self.remote_port)

    def _open_in_time(self) -> tuple[Any, Any]:
        """_open within PORT_FORWARD_OPEN_S: the client's portforward ignores _request_timeout and its websocket has
        no timeout, so the opening runs in a thread of its own; a stream it opens after being given up on is
        closed at once."""
        lock = threading.Lock()
        opened: list[tuple[Any, Any]] = []
        failed: list[Exception] = []
        given_up = threading.Event()

        def attempt() -> None:
            try:
                result = self._open()
            except Exception as exc:  # noqa: BLE001 - handed to the caller below
                failed.append(exc)
                return
            with lock:
                if given_up.is_set():
                    result[0].close()
                else:
                    opened.append(result)

        opening = threading.Thread(target=attempt, name=f"open-{self.remote_port}", daemon=True)
        opening.start()
        opening.join(PORT_FORWARD_OPEN_S)
        with lock:
            if opened:
                return opened[0]
            given_up.set()
        if failed:
            raise failed[0]
        raise TimeoutError(f"the forward to port {self.remote_port} did not open within {PORT_FORWARD_OPEN_S}s")

    def _pump(self, client: socket.socket) -> None:
        try:
            stream, remote = self._open_in_time()
        except Exception as exc:  # noqa: BLE001 - any failure to open is reported and refuses this connection
            self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            client.close()
            return
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
        """Stop accepting (waking the blocked accept) and end every open connection."""
        self._closed.set()
        with contextlib.suppress(OSError):  # not connected: nothing to shut down, close() still wakes accept
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)
