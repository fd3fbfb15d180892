"""Leftovers of runs that were killed too hard to clean up (SIGKILL, a lost terminal, a crashed machine).

Every local run owns a folder `spark-mlflow-spec-*` in the temp directory and writes its process id there.
A later run finds folders whose owner is gone, stops every process that still holds a file in one (their
logs live there, so services, Spark JVMs and their children all do), and removes the folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

import psutil

from harness.system import pods

RUN_PREFIX = "spark-mlflow-spec-"
OWNER_FILE = "owner"


def claim(folder: Path) -> None:
    """Mark `folder` as this process's run (its id and start time, so a reused id is not mistaken for it)."""
    me = psutil.Process()
    (folder / OWNER_FILE).write_text(f"{me.pid} {me.create_time()}\n")


def _owner_alive(folder: Path) -> bool:
    try:
        pid_text, started_text = (folder / OWNER_FILE).read_text().split()
        return abs(psutil.Process(int(pid_text)).create_time() - float(started_text)) < 1
    except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
        return False


def stale_runs(tmp: Path | None = None) -> list[Path]:
    """Run folders whose owning run is no longer alive (folders without an owner file are left alone)."""
    root = tmp or Path(tempfile.gettempdir())
    return [folder for folder in sorted(root.glob(f"{RUN_PREFIX}*"))
            if (folder / OWNER_FILE).exists() and not _owner_alive(folder)]


def holders(folder: Path) -> list[psutil.Process]:
    """Processes whose working directory or any open file lies under `folder`."""
    prefix = str(folder) + os.sep
    found = []
    for proc in psutil.process_iter():
        try:
            paths = [proc.cwd(), *(f.path for f in proc.open_files())]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if any(path == str(folder) or path.startswith(prefix) for path in paths):
            found.append(proc)
    return found


def sweep(tmp: Path | None = None) -> list[str]:
    """Stop what stale runs left running and remove their folders; one line per folder swept."""
    swept = []
    for folder in stale_runs(tmp):
        left = holders(folder)
        for proc in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):  # gone already, or not ours
                os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        psutil.wait_procs(left, timeout=10)
        networks = pods.remove_recorded(folder)
        shutil.rmtree(folder, ignore_errors=True)
        removed = f", its pods' network removed ({', '.join(networks)})" if networks else ""
        swept.append(f"{folder}: {len(left)} leftover processes stopped{removed}, folder removed")
    return swept


def orphan_networks(tmp: Path | None = None) -> list[str]:
    """Pod networks (bridges, namespaces) on this machine that no live run recorded: a killed run's whose
    folder is gone, or one the next run will sweep."""
    root = tmp or Path(tempfile.gettempdir())
    live = {name for folder in root.glob(f"{RUN_PREFIX}*") if _owner_alive(folder)
            for name in _recorded(folder)}
    return [name for name in pods.leftover_networks() if name not in live]


def _recorded(folder: Path) -> list[str]:
    try:
        return (folder / pods.RECORD_FILE).read_text().split()
    except FileNotFoundError:
        return []
