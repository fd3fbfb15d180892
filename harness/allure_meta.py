"""What the Allure report says about a run besides its results: who ran it where (executor.json, which also
numbers the runs in the report's trend) and how its failures sort (categories.json).

allure-behave marks a failed assertion `failed` and any other exception `broken`; the categories read those
statuses and the error's trace. The first category a result matches is the one it is shown under."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from harness.timings import REPORTS

RUN_NUMBER = REPORTS / "run-number"  # kept between runs, like the report's history
ENVIRONMENT_ERRORS = ("ToolMissing", "PortBusy", "ClusterUnreachable", "ConfigError", "TimeoutExpired",
                      "No space left on device", "did not become ready", "Cannot allocate memory")
CATEGORIES = [
    {"name": "Environment problems (a tool missing, a port busy, a service not ready in time)",
     "description": "The machine or the cluster, not the platform nor the suite: see the error's fix line.",
     "matchedStatuses": ["broken", "failed"],
     "traceRegex": "(?s).*(" + "|".join(ENVIRONMENT_ERRORS) + ").*"},
    {"name": "Product defects (a check of the platform failed)",
     "description": "A Then found the platform not doing what the scenario states.",
     "matchedStatuses": ["failed"]},
    {"name": "Suite defects (an error in the harness or a step)",
     "description": "An exception other than a failed check: the suite's own code broke.",
     "matchedStatuses": ["broken"]},
]


def next_run_number(counter: Path = RUN_NUMBER) -> int:
    number = int(counter.read_text()) + 1 if counter.exists() and counter.read_text().strip().isdigit() else 1
    counter.parent.mkdir(parents=True, exist_ok=True)
    counter.write_text(str(number))
    return number


def commit(repo: Path) -> str:
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False, timeout=10)
    return done.stdout.strip() or "no commit"


def write_run_meta(results: Path, repo: Path, command: str, run_number: int) -> None:
    """executor.json (host, commit, command, run number) and categories.json into the Allure results."""
    results.mkdir(parents=True, exist_ok=True)
    host, revision = socket.gethostname(), commit(repo)
    executor = {"name": host, "type": "local", "buildOrder": run_number,
                "buildName": f"run {run_number} on {host} at {revision}: {command}",
                "reportName": f"spark-mlflow-spec at {revision}"}
    (results / "executor.json").write_text(json.dumps(executor))
    (results / "categories.json").write_text(json.dumps(CATEGORIES))
