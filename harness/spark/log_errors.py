"""ERROR lines in a Spark job's log, each with the reason a passing job writes it when the suite knows one.

A passing row may still log errors. The ones listed here are understood and harmless; any other is shown as
unexplained in the report, so a new one is seen rather than ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# log4j's layout in Spark's default configuration: "yy/MM/dd HH:mm:ss LEVEL Logger: message".
ERROR_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d ERROR ")

KNOWN_ERRORS: dict[str, str] = {
    'No FileSystem for scheme "mlflow-artifacts"': (
        "mlflow.spark.log_model (MLflow 3.17.2) first tries to save the Spark model straight to the run's "
        "artifact URI through Hadoop, for any URI that is not a local path; Hadoop has no file system for "
        "mlflow-artifacts:, Spark's ML Instrumentation logs that failure at ERROR, and MLflow then saves the "
        "model to MLFLOW_DFS_TMP and uploads it through the tracking server, the path the scenario checks. "
        "Skipping the attempt means not calling mlflow.spark.log_model (save_model plus log_artifacts would "
        "not record the run's logged model in MLflow 3) or calling MLflow's private Model._log_v2; the jobs "
        "keep the call a user makes."),
}


@dataclass(frozen=True)
class LoggedError:
    line: str
    reason: str | None  # None: the suite does not know why a passing job logs it

    def as_text(self) -> str:
        return f"{self.line}\n    {'expected: ' + self.reason if self.reason else 'NOT EXPLAINED'}"


def logged_errors(log_text: str) -> list[LoggedError]:
    """Every ERROR line of a Spark log (without its stack trace), with its known reason."""
    return [LoggedError(line, next((reason for pattern, reason in KNOWN_ERRORS.items() if pattern in line), None))
            for line in log_text.splitlines() if ERROR_LINE.match(line)]


def logged_errors_in(path: Path) -> list[LoggedError]:
    return logged_errors(path.read_text(errors="replace")) if path.exists() else []


def errors_report(errors: list[LoggedError]) -> str:
    unexplained = sum(1 for error in errors if error.reason is None)
    return (f"{len(errors)} ERROR lines, {unexplained} not explained\n\n"
            + "\n\n".join(error.as_text() for error in errors))
