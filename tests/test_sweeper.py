"""A run killed with SIGKILL leaves its services running; the next run stops them and removes the folder."""

from __future__ import annotations

import subprocess
import sys

import psutil

from harness.system import sweeper
from harness.system.waiting import wait_for


def _dead_owner(folder):
    done = subprocess.run([sys.executable, "-c", "import psutil; p = psutil.Process(); print(p.pid, p.create_time())"],
                          capture_output=True, text=True, check=True)
    (folder / sweeper.OWNER_FILE).write_text(done.stdout)


def test_a_dead_runs_services_are_stopped_and_its_folder_removed(tmp_path):
    stale = tmp_path / f"{sweeper.RUN_PREFIX}killed"
    (stale / "logs").mkdir(parents=True)
    _dead_owner(stale)
    with open(stale / "logs" / "service.log", "w") as log:
        service = subprocess.Popen(["sleep", "300"], stdout=log, start_new_session=True)
    wait_for(lambda: psutil.Process(service.pid).name() == "sleep", "the service to start", 10, interval=0.02)
    try:
        assert sweeper.stale_runs(tmp_path) == [stale]
        swept = sweeper.sweep(tmp_path)
        assert swept == [f"{stale}: 1 leftover processes stopped, folder removed"]
        assert not psutil.pid_exists(service.pid), "the service survived"  # killed, and reaped by the sweep
        assert not stale.exists()
    finally:
        if service.poll() is None:
            service.kill()


def test_a_live_runs_folder_and_an_unowned_folder_are_left_alone(tmp_path):
    live = tmp_path / f"{sweeper.RUN_PREFIX}live"
    live.mkdir()
    sweeper.claim(live)
    unowned = tmp_path / f"{sweeper.RUN_PREFIX}unowned"
    unowned.mkdir()
    assert sweeper.stale_runs(tmp_path) == []
    assert sweeper.sweep(tmp_path) == []
    assert live.exists() and unowned.exists()


def test_holders_finds_processes_by_working_directory(tmp_path):
    process = subprocess.Popen(["sleep", "300"], cwd=tmp_path)
    try:
        assert process.pid in [p.pid for p in sweeper.holders(tmp_path)]
    finally:
        process.kill()
        process.wait()
