"""What reaches the report and the terminal: skips with their reason, attachments, failure evidence."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import allure
from behave.model import Scenario

from harness.timings import REPORTS
from harness.matrix_grid import ATTACHMENT_NAME, MatrixGrid
from harness.progress import console
from harness.spark.log_errors import errors_report, logged_errors_in


def skip_with_reason(context, scenario: Scenario, reason: str) -> None:
    console.print(f"[yellow]SKIPPED[/] {scenario.name}: {reason}")
    allure.dynamic.description(f"Skipped on target '{context.target.name}': {reason}")
    allure.attach(reason, name="skip reason", attachment_type=allure.attachment_type.TEXT)
    scenario.skip(reason)


def attach_failure_evidence(context) -> None:
    for name, path in context.target.service_logs().items():
        allure.attach.file(str(path), name=f"log: {name}", attachment_type=allure.attachment_type.TEXT)
    current = getattr(context, "world", None)
    if current is not None and current.started and current.api.last_response is not None:
        body = current.api.last_response
        allure.attach(json.dumps(body, indent=2) if isinstance(body, dict) else str(body),
                      name="last MLflow API response", attachment_type=allure.attachment_type.JSON)


def allure_results_dir(context) -> Path | None:
    for fmt, output in zip(context.config.format or [], context.config.outputs or []):
        if "allure" in fmt and getattr(output, "name", None):
            return Path(output.name)
    return None


def write_allure_environment(context, environment: dict[str, str]) -> None:
    results = allure_results_dir(context)
    if results is None:
        return
    results.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={value}" for key, value in sorted(environment.items())]
    (results / "environment.properties").write_text("\n".join(lines) + "\n")


def keep_service_logs(logs: dict[str, Path], shard: str | None) -> None:
    """Copy service logs out of the run folder before it is removed, for whoever debugs a CI run (a process
    beside another into a folder of its own)."""
    dest = REPORTS / "service-logs" / (shard or "")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for name, path in logs.items():
        shutil.copy(path, dest / f"{name}.log")


def attach_matrix(grid: MatrixGrid) -> None:
    allure.attach(grid.svg(), name=ATTACHMENT_NAME, attachment_type=allure.attachment_type.SVG)


def attach_text(name: str, text: str) -> None:
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def attach_json(name: str, body: object) -> None:
    allure.attach(json.dumps(body, indent=2, default=str), name=name, attachment_type=allure.attachment_type.JSON)


def attach_png(name: str, path: Path) -> None:
    allure.attach.file(str(path), name=name, attachment_type=allure.attachment_type.PNG)


def attach_job(job, errors_expected_because: str | None = None) -> None:
    """A Spark job's command line, duration, full log and its ERROR lines with what the suite knows of them (a
    line it cannot explain is also named on the terminal), or all with the reason a scenario expects them."""
    attach_text(f"{job.name}: command ({job.seconds:.1f}s)", " ".join(job.command))
    if job.timeline():
        attach_text(f"{job.name}: timeline", job.timeline_text())
    errors = logged_errors_in(job.log_path)
    if errors_expected_because:
        errors = [dataclasses.replace(error, reason=errors_expected_because) for error in errors]
    if errors:
        attach_text(f"{job.name}: ERROR lines in its log", errors_report(errors))
    for error in (error for error in errors if error.reason is None):
        console.print(f"[yellow]{job.name} logged an ERROR the suite does not explain:[/] {error.line[:200]}")
    for name, path in ((f"{job.name}: output", job.stdout_path), (f"{job.name}: log", job.log_path)):
        if path.exists():
            allure.attach.file(str(path), name=name, attachment_type=allure.attachment_type.TEXT)
