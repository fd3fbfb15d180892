"""The local port-forward: the suite reaches a pod on the run's bridge as it reaches a cluster's, at loopback."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time

from harness.system.forward import AddressForward
from harness.system.ports import LOOPBACK, claim_port
from harness.system.waiting import wait_for


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(data.upper())


def test_a_forward_carries_both_ways_on_the_port_it_was_given_and_closes():
    with socketserver.ThreadingTCPServer((LOOPBACK, 0), Echo) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = claim_port(None, "the forward")
        forward = AddressForward(LOOPBACK, server.server_address[1], port)
        try:
            assert forward.address == f"{LOOPBACK}:{port}"
            with socket.create_connection((LOOPBACK, port), timeout=5) as client:
                client.sendall(b"pods")
                assert client.recv(1024) == b"PODS"
        finally:
            forward.close()
            server.shutdown()
    with socket.socket() as late:
        assert late.connect_ex((LOOPBACK, port)) != 0  # nothing listens after close()


def test_a_pod_that_does_not_answer_refuses_the_client_and_the_forward_says_why():
    forward = AddressForward(LOOPBACK, claim_port(None, "a port nobody serves"))
    try:
        with socket.create_connection((LOOPBACK, forward.local_port), timeout=5) as client:
            client.settimeout(5)
            assert client.recv(1024) == b""  # closed at once rather than left waiting
        wait_for(lambda: forward.errors, "the forward to record the refusal", 5, interval=0.05)
        assert forward.errors[0].startswith("ConnectionRefusedError")
    finally:
        forward.close()


def _fill_until_stuck(client: socket.socket) -> None:
    """Send until every buffer between here and a peer that does not read is full, and stays full."""
    for _ in range(100):
        with contextlib.suppress(BlockingIOError):
            while True:
                client.send(b"x" * 65536)
        time.sleep(0.3)  # the pump drains what it can; the kernel may grow the buffers meanwhile
        try:
            client.send(b"x")
        except BlockingIOError:
            return
    raise AssertionError("the connection never filled up")


def test_close_ends_a_connection_whose_far_end_stopped_reading():
    with socket.create_server((LOOPBACK, 0)) as deaf:  # accepts, never reads: the pump blocks in sendall
        forward = AddressForward(LOOPBACK, deaf.getsockname()[1])
        client = socket.create_connection((LOOPBACK, forward.local_port), timeout=5)
        accepted, _ = deaf.accept()
        client.setblocking(False)
        try:
            _fill_until_stuck(client)
            pumps = lambda: [t for t in threading.enumerate() if t.name == f"forward-{forward.remote_port}-pump"]
            assert pumps(), "no connection is being pumped"
            forward.close()
            wait_for(lambda: not pumps(), "the pump to end after close()", 5, 0.05)
        finally:
            client.close()
            accepted.close()
