"""Shared by the job scripts (they run with the Spark runtime's Python, next to this file)."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

RESULT_PREFIX = "SPEC_RESULT "

# A small, deterministic, separable data set: label 1 when x1 + x2 > 1.
ROWS = [(float(i % 7) / 6.0, float((i * 3) % 5) / 4.0) for i in range(60)]


class Timeline:
    """The job's phases, each the seconds since the previous mark, the first counted from the moment the
    driver's Python process began (its imports included); reported with the result."""

    def __init__(self) -> None:
        self.python_started_at = os.stat(f"/proc/{os.getpid()}").st_ctime
        self._last = self.python_started_at
        self.phases: dict[str, float] = {}

    def mark(self, phase: str) -> None:
        now = time.time()
        self.phases[phase] = round(now - self._last, 2)
        self._last = now

    def as_result(self) -> dict[str, Any]:
        return {"python_started_at": self.python_started_at, "phases": self.phases}


def training_rows() -> list[tuple[float, float, float]]:
    return [(x1, x2, 1.0 if x1 + x2 > 1.0 else 0.0) for x1, x2 in ROWS]


def job_arguments(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--experiment-id", required=True)
    parser.add_argument("--mode", required=True)
    parser.add_argument("--reg-param", type=float, default=0.1)
    for name in extra:
        parser.add_argument(name)
    return parser.parse_args()


def spark_tags(version: str, master: str, mode: str, app_id: str) -> dict[str, str]:
    return {"spark.version": version, "spark.master": master, "platform.mode": mode, "spark.app_id": app_id}


def report(result: dict[str, Any]) -> None:
    """The job's answer to the suite: one line on stdout, so it reaches the suite from any launcher."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def log_spark_model(model: Any, spark_version: str) -> None:
    """Log a Spark ML model under "model" with its requirements named. Left to infer them, MLflow reloads the
    saved model in a second Python process, which starts a second Spark: about 40 s per job, for a list that
    comes out as these two pins anyway."""
    import mlflow
    import mlflow.spark

    mlflow.spark.log_model(model, "model",
                           pip_requirements=[f"pyspark=={spark_version}", f"mlflow=={mlflow.__version__}"])
