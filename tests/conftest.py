"""Fixtures for tests that start the suite's real services in a subprocess and check what they leave."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Callable, Iterator

import psutil
import pytest


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """The run's TMPDIR, so that only its own temporary folders are looked at (the postgres user must be
    able to reach its data folder inside: hence /tmp and mode 755)."""
    folder = Path(tempfile.mkdtemp(prefix="leak-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _marked(marker: str) -> list[psutil.Process]:
    """Processes whose environment carries SPEC_LEAK_MARKER=`marker`: what a run under test started."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.environ().get("SPEC_LEAK_MARKER") == marker:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _survivors(marker: str) -> list[str]:
    return [f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:120]}" for proc in _marked(marker)]


@pytest.fixture
def survivors() -> Callable[[str], list[str]]:
    return _survivors


@pytest.fixture
def run_env(private_tmp: Path, leak_marker: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a run a test starts: marked, temporary folders in `private_tmp`, reports in the
    test's own folder (not the repository's reports/, which holds the last acceptance run's)."""
    return {**os.environ, "SPEC_LEAK_MARKER": leak_marker, "TMPDIR": str(private_tmp),
            "SPEC_REPORTS_DIR": str(tmp_path / "reports")}


@pytest.fixture
def leak_marker() -> Iterator[str]:
    """A SPEC_LEAK_MARKER value for the run a test starts. Whatever still carries it when the test ends (it
    failed before its run stopped) is SIGKILLed, so one failing test leaves no platform beside the others."""
    marker = uuid.uuid4().hex
    yield marker
    for proc in _marked(marker):
        try:
            proc.kill()
        except psutil.Error:
            continue


@pytest.fixture(scope="module")
def empty_mlflow_database():
    """A PostgreSQL of the test module's own with an empty database "mlflow" owned by "mlflow"."""
    from harness.stores.postgres import PostgresService

    folder = Path(tempfile.mkdtemp(prefix="test-postgres-"))
    folder.chmod(0o755)  # the postgres user reaches its data folder inside
    service = PostgresService(folder)
    try:
        service.start()
        yield service.create_database("mlflow", "mlflow")
    finally:
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)
