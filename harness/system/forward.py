"""A port on this machine's loopback that forwards every connection somewhere else, like `kubectl
port-forward`: how the suite reaches a pod as a client outside the cluster does. What a connection is
forwarded through is the subclass's `_open`; `AddressForward` opens a TCP connection (a pod on the run's bridge)."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from abc import ABC, abstractmethod
from typing import Any

from harness.system.ports import LOOPBACK
from harness.waits import PORT_FORWARD_OPEN_S


class TcpForward(ABC):
    def __init__(self, remote_port: int, local_port: int = 0) -> None:
        self.remote_port = remote_port
        self.errors: list[str] = []  # why connections could not be forwarded, for the report
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((LOOPBACK, local_port))
        self._listener.listen(64)
        self.local_port = int(self._listener.getsockname()[1])
        self._closed = threading.Event()
        self._connections: set[socket.socket] = set()  # both ends of each open connection, shut down by close()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name=f"forward-{remote_port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.local_port}"

    @abstractmethod
    def _open(self) -> tuple[Any, socket.socket]:
        """A connection to the far end: something to close when done, and the socket to pump through."""

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closed.is_set():
                client.close()
                return
            threading.Thread(target=self._pump, args=(client,), name=f"forward-{self.remote_port}-pump",
                             daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        try:
            closing, remote = self._open()
        except Exception as exc:  # noqa: BLE001 - any failure to open is reported and refuses this connection
            self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            client.close()
            return
        for end in (client, remote):  # each write goes on at once: Nagle's wait for an ACK would add 40 ms a request
            with contextlib.suppress(OSError):
                end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sockets = [client, remote]
        with self._lock:
            self._connections.update(sockets)
        try:
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
            with self._lock:
                self._connections.difference_update(sockets)
            client.close()
            remote.close()
            closing.close()

    def close(self) -> None:
        """Stop accepting (waking the blocked accept) and end every open connection."""
        self._closed.set()
        with contextlib.suppress(OSError):  # not connected: nothing to shut down, close() still wakes accept
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)
        with self._lock:  # wakes a pump blocked in sendall to a reader that stopped reading
            for end in self._connections:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)


class AddressForward(TcpForward):
    """Forwards to `host:remote_port`, a pod's address on the run's bridge; a pod that does not answer
    refuses the client's connection as the pod itself would."""

    def __init__(self, host: str, remote_port: int, local_port: int = 0) -> None:
        self.host = host
        super().__init__(remote_port, local_port)

    def _open(self) -> tuple[Any, socket.socket]:
        remote = socket.create_connection((self.host, self.remote_port), timeout=PORT_FORWARD_OPEN_S)
        remote.settimeout(None)
        return remote, remote
