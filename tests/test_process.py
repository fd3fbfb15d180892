import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import PortBusy, ServiceFailed, failure_of
from harness.system.ports import claim_port, free_port, is_listening
from harness.system.process import ManagedProcess
from harness.system.waiting import WaitTimeout, wait_for

REPO = Path(__file__).resolve().parent.parent

# A parent that starts a child which ignores nothing: both must go when the group is stopped.
PARENT_WITH_CHILD = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"


def _group_members(pgid: int) -> list[int]:
    members = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.getpgid(int(pid)) == pgid:
                    members.append(int(pid))
            except ProcessLookupError:
                pass
    return members


def test_stop_takes_down_the_whole_process_group(tmp_path):
    proc = ManagedProcess("sleeper", [sys.executable, "-c", PARENT_WITH_CHILD], tmp_path / "sleeper.log")
    proc.start()
    pgid = proc.pid
    wait_for(lambda: len(_group_members(pgid)) == 2, "parent and child", 10)
    proc.stop(timeout=5)
    assert _group_members(pgid) == []
    proc.stop()  # twice is harmless


def test_ctrl_c_while_popen_returns_still_leaves_a_handle_that_stops_the_child(tmp_path, monkeypatch):
    """The race CI once lost: the child exists, Popen has not returned it yet, and Ctrl-C arrives."""
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen_interrupted_on_return(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        signal.raise_signal(signal.SIGINT)
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen_interrupted_on_return)
    # Python's own Ctrl-C handler, whatever this pytest inherited (a shell without job control ignores SIGINT).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    proc = ManagedProcess("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "s.log")
    try:
        with pytest.raises(KeyboardInterrupt):
            proc.start()
        assert proc.running(), "the interrupt lost the handle on a running child"
        proc.stop(timeout=5)
        assert started[0].poll() is not None
    finally:
        for child in started:
            child.kill()
            child.wait()
        restored = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, previous)
    assert restored is signal.default_int_handler


def test_a_program_run_to_its_end_gives_its_exit_code(tmp_path):
    proc = ManagedProcess("exits", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "exits.log")
    assert proc.run_to_end(timeout=30) == 3


def test_ctrl_c_during_a_run_to_the_end_takes_down_the_program_and_its_children(tmp_path):
    """initdb behind runuser: the children of the program started must be gone too, not only the leader."""
    proc = ManagedProcess("sleeper", [sys.executable, "-c", PARENT_WITH_CHILD], tmp_path / "sleeper.log")
    groups: list[int] = []

    def ctrl_c(_signum, _frame):
        groups.append(proc.pid)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, ctrl_c)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.5)
        with pytest.raises(KeyboardInterrupt):
            proc.run_to_end(timeout=60)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert groups and _group_members(groups[0]) == []


def test_a_run_to_the_end_that_overruns_is_stopped_with_its_log_tail(tmp_path):
    proc = ManagedProcess("slow", [sys.executable, "-c", "print('still going', flush=True); import time; time.sleep(60)"],
                          tmp_path / "slow.log")
    with pytest.raises(ServiceFailed, match="slow did not finish in 1s") as failed:
        proc.run_to_end(timeout=1)
    assert "still going" in failed.value.fix
    assert not proc.running()


def test_a_program_started_with_ctrl_c_ignored_still_stops_on_it(tmp_path):
    """What `nohup make platform &` from a script does: the shell hands the program SIGINT ignored."""
    program = tmp_path / "waits.py"
    # "ready" inside the try: the signal may arrive before pause() begins on a busy machine.
    program.write_text("import signal, sys; from harness.system.process import stop_on_interrupts\n"
                       "stop_on_interrupts()\n"
                       "try: print('ready', flush=True); signal.pause()\n"
                       "except KeyboardInterrupt: print('stopped by Ctrl-C')\n")
    child = subprocess.Popen([sys.executable, str(program)], stdout=subprocess.PIPE, text=True, cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)},
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=30)
    assert "stopped by Ctrl-C" in output


def test_a_process_that_exits_early_fails_with_its_log_tail(tmp_path):
    proc = ManagedProcess("crasher", [sys.executable, "-c", "print('bad flag --nope'); raise SystemExit(3)"],
                          tmp_path / "crasher.log")
    proc.start()
    with pytest.raises(ServiceFailed) as raised:
        proc.wait_ready(lambda: False, "never", 10)
    assert "exited with code 3" in str(raised.value)
    assert "bad flag --nope" in str(raised.value)
    proc.stop()


def test_wait_for_names_what_it_awaited_and_what_it_saw():
    with pytest.raises(WaitTimeout) as raised:
        wait_for(lambda: 1 / 0, "the impossible", 0.5, 0.1)
    assert "the impossible" in str(raised.value) and "ZeroDivisionError" in str(raised.value)


def test_wait_for_returns_the_first_truthy_answer():
    started = time.monotonic()
    assert wait_for(lambda: time.monotonic() - started > 0.2 and "ready", "time to pass", 5, 0.05) == "ready"


def test_a_busy_port_is_refused_with_the_fix():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert is_listening(port)
        with pytest.raises(PortBusy) as raised:
            claim_port(port, "the MLflow server")
    assert f"port {port} for the MLflow server is already in use" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_claim_port_without_a_request_gives_a_free_port():
    port = claim_port(None, "anything")
    assert 0 < port < 65536 and not is_listening(port)
    assert free_port() != 0


def test_a_job_that_must_fail_is_read_as_what_it_said_or_none():
    def refused() -> None:
        raise ServiceFailed("the chart's container dump failed: could not connect")

    assert failure_of(refused) == "the chart's container dump failed: could not connect"
    assert failure_of(lambda: "went through") is None
    with pytest.raises(ValueError):
        failure_of(lambda: int("not a number"))  # anything else is a defect of the suite, not the answer
