"""After a failed run or an interrupted one, nothing the suite started may survive.

These run the real features' hooks and steps in a behave subprocess against the real local services.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from harness.system.waiting import wait_for

REPO = Path(__file__).resolve().parent.parent
BEHAVE = Path(sys.executable).with_name("behave")

FAILING_FEATURE = """
Feature: A run that fails
  Scenario: The platform comes up but the check fails
    Given the platform is running
    Then the bucket "no-such-bucket" exists in the artifact store
"""


@pytest.fixture
def suite_copy(tmp_path: Path) -> Path:
    """A features folder with the project's hooks and steps and a feature of the test's own."""
    features = tmp_path / "features"
    features.mkdir()
    (features / "environment.py").symlink_to(REPO / "features" / "environment.py")
    (features / "steps").symlink_to(REPO / "features" / "steps")
    (features / "support").symlink_to(REPO / "features" / "support")
    (features / "fails.feature").write_text(FAILING_FEATURE)
    return features


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """The run's TMPDIR, so that only its own temporary folders are looked at (the postgres user must be
    able to reach its data folder inside: hence /tmp and mode 755)."""
    folder = Path(tempfile.mkdtemp(prefix="leak-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _start_behave(features: Path, marker: str, tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SPEC_LEAK_MARKER": marker, "TMPDIR": str(tmp)}
    return subprocess.Popen([str(BEHAVE), str(features), "-f", "plain", "--no-color", "--no-capture"],
                            cwd=features.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _survivors(marker: str) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.environ().get("SPEC_LEAK_MARKER") == marker:
                found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:120]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_a_failing_run_leaves_nothing_behind(suite_copy, private_tmp):
    marker = uuid.uuid4().hex
    behave = _start_behave(suite_copy, marker, private_tmp)
    output, _ = behave.communicate(timeout=300)
    assert behave.returncode != 0, output
    assert "0 scenarios passed, 1 failed" in output, output
    assert _survivors(marker) == []
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_leaves_nothing_behind(suite_copy, private_tmp, sig):
    marker = uuid.uuid4().hex
    behave = _start_behave(suite_copy, marker, private_tmp)
    assert behave.stdout is not None
    for line in behave.stdout:
        if "starting the MLflow server" in line:
            break
    # The MLflow server is starting: its processes exist and must still be cleaned up.
    wait_for(lambda: any("mlflow" in s for s in _survivors(marker)), "the MLflow server process", 30)
    behave.send_signal(sig)
    behave.communicate(timeout=120)
    assert _survivors(marker) == []
    assert list(private_tmp.iterdir()) == []
