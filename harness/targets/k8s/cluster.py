"""The cluster as the k8s target uses it, on the kubernetes client: pods that are really there, commands run
in them with their exit status, their logs, and a namespace that is gone when the run ends.

`kubernetes.stream.stream` swaps `call_api` on the ApiClient it is given while it runs, which is not
thread-safe (kubernetes-client/python issue 928): every exec and every forwarded connection gets an ApiClient
of its own, from `new_core`.
"""

from __future__ import annotations

import contextlib
import signal
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from harness.errors import SuiteError
from harness.system.waiting import WaitTimeout, wait_for
from harness.waits import API_CALL_S, NAMESPACE_DELETE_S, POD_WAIT_S

LOG_LINES = 2000


class ExecFailed(SuiteError):
    """A command run in a pod exited non-zero or did not end in time; the message ends with its output."""


def _exit_status(session: Any) -> int | str:
    """The exit status the exec's status frame reports, or what the client could not read of it."""
    try:
        return int(session.returncode)
    except (ValueError, TypeError) as exc:  # "executable file not found", or no status frame at all
        return f"no readable exit status ({type(exc).__name__}: {exc})"


@dataclass(frozen=True)
class PodRef:
    name: str
    uid: str
    ip: str


def _ready(pod: Any) -> bool:
    conditions = pod.status.conditions or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


class Cluster:
    """One namespace of the cluster. `new_core` makes a CoreV1Api on a fresh ApiClient."""

    def __init__(self, new_core: Callable[[], Any], namespace: str) -> None:
        self.new_core = new_core
        self.core = new_core()  # plain requests only; streams get their own
        self.namespace = namespace

    # -- pods -----------------------------------------------------------------------------------------
    def ready_pod(self, component: str, timeout: float = POD_WAIT_S) -> PodRef:
        """A Ready pod of `component` that is not being deleted (an upgrade leaves terminating ones about)."""
        def find() -> PodRef | None:
            pods = self.core.list_namespaced_pod(
                self.namespace, label_selector=f"app.kubernetes.io/component={component}",
                _request_timeout=API_CALL_S).items
            live = [p for p in pods if p.metadata.deletion_timestamp is None and _ready(p)]
            return PodRef(live[0].metadata.name, live[0].metadata.uid, live[0].status.pod_ip) if live else None

        try:
            return wait_for(find, f"a Ready {component} pod in namespace {self.namespace}", timeout, 2)
        except WaitTimeout as exc:
            raise SuiteError(str(exc), "see the events attached to the report") from None

    def exec_in(self, pod: str, command: list[str], timeout: float = 600, stop_on_timeout: bool = True) -> str:
        """Run `command` in the pod's first container; its output, or ExecFailed with the output's tail. Every
        way an exec can fail is an ExecFailed: a refused handshake (the client's ApiException with status 0),
        a status the client cannot read (ValueError for "executable not found", TypeError when no status frame
        came), a non-zero exit, a timeout, after which the command is stopped in the pod too."""
        pid_file = f"/tmp/spec-exec-{uuid.uuid4().hex[:8]}.pid"
        wrapped = ["sh", "-c", f'echo $$ > {pid_file}; exec "$@"', "sh", *command]
        what = f"{' '.join(command)[:120]} in pod {pod}"
        try:
            session = stream(self.new_core().connect_get_namespaced_pod_exec, pod, self.namespace, command=wrapped,
                             stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False,
                             _request_timeout=API_CALL_S)
        except ApiException as exc:
            raise ExecFailed(f"{what} could not start: {exc.status} {exc.reason}",
                             "is the pod running and may this user exec into it?") from None
        output: list[str] = []

        def drain() -> None:
            if session.peek_stdout():
                output.append(session.read_stdout())
            if session.peek_stderr():
                output.append(session.read_stderr())

        deadline = time.monotonic() + timeout
        try:
            while session.is_open() and time.monotonic() < deadline:
                session.update(timeout=min(5.0, max(0.1, deadline - time.monotonic())))
                drain()
            drain()
            timed_out = session.is_open()
            code = None if timed_out else _exit_status(session)
        finally:
            session.close()
        text = "".join(output)
        if timed_out:
            if stop_on_timeout:
                self._stop_in_pod(pod, pid_file)
            raise ExecFailed(f"{command[0]} in pod {pod} did not end within {timeout:.0f}s"
                             f"{' (stopped in the pod)' if stop_on_timeout else ''}",
                             "its output ends:\n" + text[-1500:])
        if code != 0:
            raise ExecFailed(f"{what} exited with {code}", "its output ends:\n" + text[-1500:])
        return text

    def _stop_in_pod(self, pod: str, pid_file: str) -> None:
        with contextlib.suppress(ExecFailed):
            self.exec_in(pod, ["sh", "-c", f'kill -TERM "$(cat {pid_file})"'], timeout=30, stop_on_timeout=False)

    def pod_logs(self) -> dict[str, str]:
        """Every container's log (init containers too, and the previous run of one that restarted), by
        pod/container."""
        logs: dict[str, str] = {}
        for pod in self.core.list_namespaced_pod(self.namespace, _request_timeout=API_CALL_S).items:
            statuses = (pod.status.init_container_statuses or []) + (pod.status.container_statuses or [])
            for status in statuses:
                key = f"{pod.metadata.name}.{status.name}"
                logs[key] = self._log(pod.metadata.name, status.name, previous=False)
                if status.restart_count:
                    logs[f"{key}.previous"] = self._log(pod.metadata.name, status.name, previous=True)
        return logs

    def _log(self, pod: str, container: str, previous: bool) -> str:
        try:
            return str(self.core.read_namespaced_pod_log(pod, self.namespace, container=container,
                                                         previous=previous, tail_lines=LOG_LINES,
                                                         _request_timeout=API_CALL_S))
        except ApiException as exc:
            return f"(no log: {exc.reason})"

    # -- namespace ------------------------------------------------------------------------------------
    def delete_namespace(self, timeout: float = NAMESPACE_DELETE_S) -> bool:
        """Delete the namespace (with everything in it: pods, PVCs, kept Secrets) and wait until it is gone.
        Ctrl-C is ignored meanwhile, so a second one cannot leave it half deleted. False if it outlived
        `timeout`."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            try:
                self.core.delete_namespace(self.namespace, _request_timeout=API_CALL_S)
            except ApiException as exc:
                if exc.status != 404:
                    raise
            try:
                wait_for(self._namespace_gone, f"namespace {self.namespace} to be deleted", timeout, 2)
                return True
            except WaitTimeout:
                return False
        finally:
            signal.signal(signal.SIGINT, previous)

    def _namespace_gone(self) -> bool:
        try:
            self.core.read_namespace(self.namespace, _request_timeout=API_CALL_S)
        except ApiException as exc:
            return exc.status == 404
        return False
