"""After a failed run or an interrupted one, nothing the suite started may survive.

These run the real features' hooks and steps in a behave subprocess against the real local services.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from harness.system import pods
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


def _start_behave(features: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BEHAVE), str(features), "-f", "plain", "--no-color", "--no-capture"],
                            cwd=features.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_a_failing_run_leaves_nothing_behind(suite_copy, private_tmp, survivors, leak_marker, run_env):
    """It also writes its ledger into the test's reports folder, naming the failed scenario."""
    behave = _start_behave(suite_copy, run_env)
    output, _ = behave.communicate(timeout=300)
    assert behave.returncode != 0, output
    assert "0 scenarios passed, 1 failed" in output, output
    ledger = json.loads((Path(run_env["SPEC_REPORTS_DIR"]) / "timings.json").read_text())
    assert ledger["failures"] == ["features/fails.feature:3 The platform comes up but the check fails"]
    assert survivors(leak_marker) == []
    assert list(private_tmp.iterdir()) == []


def _interrupt_while(features: Path, env: dict[str, str], progress_line: str, sig: signal.Signals,
                     survivors: Callable[[str], list[str]], starting: str = "mlflow") -> list[str]:
    """Run behave, send `sig` once it printed `progress_line` and the service it starts has processes, then
    check that nothing it started survives: processes, folders, pod networks (returned: what it had made)."""
    marker, tmp = env["SPEC_LEAK_MARKER"], Path(env["TMPDIR"])
    behave = _start_behave(features, env)
    assert behave.stdout is not None
    for line in behave.stdout:
        if progress_line in line:
            break
    wait_for(lambda: any(starting in s for s in survivors(marker)), f"a process of {starting}", 60)
    networks = [name for record in tmp.glob(f"*/{pods.RECORD_FILE}") for name in record.read_text().split()]
    made = _identities(networks)
    behave.send_signal(sig)
    behave.communicate(timeout=120)
    assert survivors(marker) == []
    assert list(tmp.iterdir()) == []
    assert set(made.items()) & set(_identities(networks).items()) == set()
    return networks


def _identities(names: list[str]) -> dict[str, str]:
    """Which link or network namespace each name is now (an interface index, a namespace inode): the same name
    may be another run's by the time a check looks again, never the same link or namespace."""
    found = {}
    for name in names:
        link, namespace = Path("/sys/class/net") / name / "ifindex", Path("/run/netns") / name
        if link.exists():
            found[name] = link.read_text().strip()
        elif namespace.exists():
            found[name] = str(namespace.stat().st_ino)
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_leaves_nothing_behind(suite_copy, run_env, survivors, sig):
    _interrupt_while(suite_copy, run_env, "starting the MLflow server", sig, survivors)


SPARK_FEATURE = """
Feature: A run interrupted while Spark starts
  Scenario: Spark starts
    Given the platform runs Spark 4.1.1 in standalone-submit mode
"""


@pytest.mark.parametrize(("progress_line", "starting"), [
    ("starting PostgreSQL", "postgres"), ("starting the S3 server", "moto_server"),
    ("starting a Spark 4.1.1 standalone master and worker", "java"),
], ids=["postgresql", "s3", "spark"])
def test_a_run_interrupted_during_each_kind_of_service_start_leaves_nothing_behind(
        suite_copy, run_env, survivors, progress_line, starting):
    (suite_copy / "fails.feature").unlink()
    (suite_copy / "spark.feature").write_text(SPARK_FEATURE)
    networks = _interrupt_while(suite_copy, run_env, progress_line, signal.SIGINT, survivors, starting)
    if starting == "java" and pods.isolation_unavailable() is None:  # the master's and worker's pods were made
        assert any(name.endswith("-master-0") for name in networks), networks


PRODUCTION_FEATURE = """
Feature: A run interrupted while the production deployment starts
  Scenario: The deployment starts
    Given the production deployment runs 2 MLflow replicas behind the balancer
"""


def test_a_run_interrupted_while_the_replicas_start_leaves_nothing_behind(suite_copy, run_env, survivors):
    """Its second PostgreSQL, S3 store, haproxy and both replicas are all stopped."""
    (suite_copy / "fails.feature").unlink()
    (suite_copy / "production.feature").write_text(PRODUCTION_FEATURE)
    _interrupt_while(suite_copy, run_env, "MLflow replicas together", signal.SIGINT, survivors)


def test_a_busy_mlflow_port_stops_the_run_at_once_with_one_line(suite_copy, private_tmp, survivors, leak_marker,
                                                                run_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([str(BEHAVE), str(suite_copy), "-f", "plain", "--no-color", "-D", f"mlflow_port={port}"],
                              cwd=suite_copy.parent, env=run_env, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output, output
    assert output.count(f"ABORTED: port {port} for the MLflow server is already in use") == 1, output
    assert survivors(leak_marker) == []
    assert list(private_tmp.iterdir()) == []
