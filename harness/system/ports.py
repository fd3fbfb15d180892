"""Loopback ports: pick free ones, and refuse a busy one with a clear line."""

from __future__ import annotations

import socket

from harness.errors import PortBusy

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def claim_port(port: int | None, service: str) -> int:
    """Return `port` if it is free, a free one if it is None; a busy requested port is a PortBusy."""
    if port is None:
        return free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            raise PortBusy(
                f"port {port} for {service} is already in use",
                f"stop what listens there (ss -ltnp 'sport = :{port}') or leave the port unset to get a free one",
            ) from None
    return port
