"""A local TCP port that forwards every connection to a pod's port through the Kubernetes API
(the kubernetes client's portforward stream), like `kubectl port-forward`.

Each connection looks the pod up again (an upgrade replaces pods under the same Service) and opens its stream
on an ApiClient of its own; a stream that cannot be opened closes the client's socket at once, so the client
sees a refused connection instead of waiting forever.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from kubernetes.stream import portforward

from harness.system.forward import TcpForward
from harness.waits import PORT_FORWARD_OPEN_S


class PortForward(TcpForward):
    def __init__(self, new_core: Callable[[], Any], namespace: str, pod_name: Callable[[], str],
                 remote_port: int) -> None:
        self.new_core = new_core
        self.namespace = namespace
        self.pod_name = pod_name
        super().__init__(remote_port)

    def _open_stream(self) -> tuple[Any, Any]:
        pod = self.pod_name()
        core = self.new_core()
        stream = portforward(core.connect_get_namespaced_pod_portforward, pod, self.namespace,
                             ports=str(self.remote_port))
        return stream, stream.socket(self.remote_port)

    def _open(self) -> tuple[Any, Any]:
        """_open_stream within PORT_FORWARD_OPEN_S: the client's portforward ignores _request_timeout and its websocket has
        no timeout, so the opening runs in a thread of its own; a stream it opens after being given up on is
        closed at once."""
        lock = threading.Lock()
        opened: list[tuple[Any, Any]] = []
        failed: list[Exception] = []
        given_up = threading.Event()

        def attempt() -> None:
            try:
                result = self._open_stream()
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
