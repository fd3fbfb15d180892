"""Child processes that the suite starts, each in its own process group, logged to a file, stopped for sure."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import psutil

from harness.errors import ServiceFailed
from harness.system.pods import Pod
from harness.system.waiting import WaitTimeout, wait_for

INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block is done, then deliver them.

    A KeyboardInterrupt raised inside subprocess.Popen, after the child exists but before Popen returns it,
    loses the only handle on that child: nothing could stop it. Held here, the interrupt arrives once the
    caller has stored the handle, and cleanup finds it. Python runs signal handlers in the main thread only,
    so other threads have nothing to hold. The OS signal mask is not used: children would inherit it and
    ignore the SIGTERM that stops them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: held.append(signum)) for sig in INTERRUPTS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        if held:
            signal.raise_signal(held[0])  # as it would have arrived: through the handler now in place again


def stop_on_interrupts() -> None:
    """Ctrl-C and SIGTERM (CI timeouts, `kill`) both raise KeyboardInterrupt, so cleanup runs either way.
    Ctrl-C is set explicitly: a shell without job control starts background programs with SIGINT ignored,
    and Python then installs no handler for it."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


def _interrupt_on_sigterm(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


@dataclass
class ManagedProcess:
    """One long-running program. Its own session means Ctrl-C on the terminal reaches the suite, not it,
    and stop() takes the whole group down (uvicorn workers, JVM children) rather than just the parent."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    user: str | None = None
    pod: Pod | None = None  # run inside this pod (harness/system/pods.py)
    stop_signal: signal.Signals = signal.SIGTERM
    stdout_path: Path | None = None  # when set, stdout goes here and only stderr to log_path
    _popen: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = list(self.argv)
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        env = self.env
        if self.pod is not None:
            argv = self.pod.command(argv, self.cwd)
            env = self.pod.environment(os.environ if env is None else env)
        with open(self.log_path, "ab") as log, open(self.stdout_path or os.devnull, "ab") as out, \
                interrupts_held():
            self._popen = subprocess.Popen(
                argv,
                stdout=out if self.stdout_path else log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the process is still running after `timeout` seconds."""
        if self._popen is None:
            return None
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def run_to_end(self, timeout: float) -> int:
        """Start, wait for the exit code; whatever happens meanwhile (Ctrl-C, a timeout), the whole group is
        gone when this returns. subprocess.run would SIGKILL only the leader: behind `runuser` that is not the
        program, which goes on writing into a folder the cleanup is removing."""
        self.start()
        try:
            code = self.wait(timeout)
        finally:
            self.stop()
        if code is None:
            raise ServiceFailed(f"{self.name} did not finish in {timeout:.0f}s",
                                f"see the last lines of its log {self.log_path}:\n{tail(self.log_path, 15)}",
                                self.log_path)
        return code

    def wait_ready(self, probe: Callable[[], object], what: str, timeout: float) -> None:
        """Wait until `probe` succeeds; if the process exits or time runs out, fail with its log tail."""

        def exited() -> str | None:
            if self._popen is None:  # stop() ran meanwhile (an interrupted start): nothing will become ready
                return f"{self.name} was stopped"
            code = self.exit_code()
            return f"{self.name} exited with code {code}" if code is not None else None

        try:
            wait_for(probe, what, timeout, give_up=exited)
        except WaitTimeout as exc:
            raise ServiceFailed(
                f"{self.name} did not become ready ({exc.detail})",
                f"see the last lines of its log {self.log_path}:\n{tail(self.log_path, 15)}",
                self.log_path,
            ) from None

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a node failure or the OOM killer would. Returns at
        once; stop() reaps what is left."""
        if self._popen is not None:
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(self._popen.pid, signal.SIGKILL)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left. Safe to call twice."""
        if self._popen is None:
            return
        pgid = self._popen.pid
        for sig, grace in ((self.stop_signal, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self._popen.wait(grace)
            except subprocess.TimeoutExpired:
                continue
            if not _group_alive(pgid):
                break
            # The leader exited but children of the group may still be shutting down.
            try:
                wait_for(lambda: not _group_alive(pgid), f"{self.name} process group to exit", grace, 0.1)
                break
            except WaitTimeout:
                continue
        self._popen = None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PodSandbox:
    """A pod that outlives the processes run in it, as a cluster's pod outlives a restarted process of its
    container: one process only holds the pod's namespaces (Kubernetes' pause container) and the others join
    them (Pod.join). Stopping the sandbox ends the pod and everything in it."""

    def __init__(self, pod: Pod, log_path: Path) -> None:
        self.pod = pod
        self._holder = ManagedProcess(f"the pod {pod.name}", ["sleep", "infinity"], log_path, pod=pod)
        self._inner_pid: int | None = None

    def start(self) -> None:
        self._holder.start()
        self._inner_pid = wait_for(self._holding_process, f"the pod {self.pod.name}'s sandbox", 10, 0.05,
                                   give_up=lambda: None if self._holder.running() else "it exited")

    def _holding_process(self) -> int:
        """The sandbox's `sleep`, inside the pod's namespaces, by its pid on this machine."""
        if self._holder.pid is None:
            raise ServiceFailed(f"the pod {self.pod.name}'s sandbox is not running")
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self._holder.pid).children(recursive=True):
                if child.name() == "sleep":
                    return child.pid
        raise LookupError("not yet")

    @property
    def running(self) -> bool:
        return self._holder.running()

    def process(self, name: str, argv: Sequence[str], log_path: Path, env: dict[str, str],
                cwd: Path | None = None) -> ManagedProcess:
        """A process of the pod, not started yet."""
        assert self._inner_pid is not None, "the sandbox starts before its processes"
        return ManagedProcess(name, self.pod.join(self._inner_pid, argv, cwd), log_path,
                              env={**self.pod.environment(env), "TMPDIR": "/tmp"})

    def stop(self) -> None:
        self._holder.stop()
        self._inner_pid = None
