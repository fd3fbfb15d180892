"""Spark as a scenario sees it: a version and mode, where jobs go, and how to run them."""

from __future__ import annotations

import abc
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from harness import timings
from harness.chart import Rendered, iceberg_catalogs
from harness.errors import SuiteError
from harness.spark.jobs.jobcommon import RESULT_PREFIX
from harness.system.pods import Pod
from harness.system.process import ManagedProcess, tail
from harness.waits import SPARK_JOB_S



@dataclass
class JobRun:
    name: str
    command: list[str]
    returncode: int | None  # None: killed at the timeout
    seconds: float
    log_path: Path  # stderr: Spark's own logging
    stdout_path: Path  # the program's output, with its result line
    result: dict[str, Any] = field(default_factory=dict)
    launched_at: float = 0.0  # time.time() when the launcher started

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and bool(self.result)

    def timeline(self) -> list[tuple[str, float]]:
        """Where the job's wall time went: launcher until the driver's Python began, the phases the job reported,
        and what remained until the launcher exited. Empty when the job reported none."""
        if "phases" not in self.result:
            return []
        phases = [("launch until the driver's Python began", self.result["python_started_at"] - self.launched_at),
                  *self.result["phases"].items()]
        accounted = sum(seconds for _, seconds in phases)
        return [*phases, ("launcher exit", self.seconds - accounted)]

    def timeline_text(self) -> str:
        return "\n".join(f"{seconds:6.1f} s  {phase}" for phase, seconds in self.timeline()) + \
            f"\n{self.seconds:6.1f} s  in all"

    def failure(self) -> str:
        state = "timed out" if self.returncode is None else f"exited with code {self.returncode}"
        return (f"{self.name} {state} after {self.seconds:.0f}s; last lines of {self.log_path}:\n"
                f"{tail(self.log_path, 25)}\nand of its output:\n{tail(self.stdout_path, 10)}")


def masked(argv: Sequence[str], secrets: Sequence[str]) -> list[str]:
    """The command line with every secret replaced by ***, as it may be shown in a report."""
    shown = []
    for part in argv:
        for secret in secrets:
            if secret:
                part = part.replace(secret, "***")
        shown.append(part)
    return shown


def run_logged(name: str, argv: Sequence[str], log_path: Path, env: dict[str, str], timeout: float,
               cwd: Path | None = None, secrets: Sequence[str] = (), stop_when_logged: str | None = None,
               pod: Pod | None = None) -> JobRun:
    """Run a job to completion in its own process group (in `pod` when given); a timeout or Ctrl-C takes the
    whole group down, and so does `stop_when_logged` appearing in its log (the job then counts as stopped:
    return code None). The JobRun keeps the command line with `secrets` masked."""
    stdout_path = log_path.with_suffix(".out")
    # stdout apart from stderr: Spark logs to stderr at any moment and would split the result line.
    process = ManagedProcess(name, argv, log_path, env=env, cwd=cwd, stdout_path=stdout_path, pod=pod)
    started, launched_at = time.perf_counter(), time.time()
    process.start()
    try:
        code = _wait(process, timeout, log_path, stop_when_logged)
    finally:
        process.stop(timeout=10)
    seconds = time.perf_counter() - started
    timings.record(timings.SPARK_JOBS, seconds)
    return JobRun(name, masked(argv, secrets), code, seconds, log_path, stdout_path,
                  read_result(stdout_path), launched_at)


def _wait(process: ManagedProcess, timeout: float, log_path: Path, stop_when_logged: str | None) -> int | None:
    if stop_when_logged is None:
        return process.wait(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.wait(1.0)
        if code is not None:
            return code
        if log_path.exists() and stop_when_logged in log_path.read_text(errors="replace"):
            return None
    return None


def read_result(stdout_path: Path) -> dict[str, Any]:
    lines = stdout_path.read_text(errors="replace").splitlines() if stdout_path.exists() else []
    results = [line[len(RESULT_PREFIX):] for line in lines if line.startswith(RESULT_PREFIX)]
    return dict(json.loads(results[-1])) if results else {}


@dataclass(frozen=True)
class IcebergCatalog:
    """The Iceberg catalog the chart configures for Spark, as pyiceberg's SqlCatalog reaches it."""

    name: str
    uri: str  # SQLAlchemy URI of the catalog's database
    warehouse: str

    @classmethod
    def from_chart(cls, rendered: Rendered, database_uri: str) -> "IcebergCatalog":
        catalogs = iceberg_catalogs(rendered)
        if len(catalogs) != 1:
            raise SuiteError(f"the chart configures {len(catalogs)} Iceberg catalogs for this mode, expected one",
                             "render the chart in iceberg mode")
        (name, settings), = catalogs.items()
        return cls(name, database_uri, settings["warehouse"])

    def args(self) -> list[str]:
        return ["--catalog-name", self.name, "--catalog-uri", self.uri, "--warehouse", self.warehouse]


class SparkSite(abc.ABC):
    """One Spark version in one mode on a target, with the platform's MLflow wired in."""

    version: str
    mode: str
    jobs_dir: str  # where harness/spark/jobs is, as the programs of this site see it
    master_url: str
    connect_url: str | None
    gpu_kind: str | None  # "nvidia", "simulated" or None

    @abc.abstractmethod
    def submit(self, job: str, job_args: list[str], conf: dict[str, str], timeout: float = SPARK_JOB_S,
               storage_access: bool = False, stop_when_logged: str | None = None) -> JobRun:
        """spark-submit the job script `job` (a file in harness/jobs) to this site's master. Only jobs that
        read the lakehouse get storage credentials: MLflow artifacts must go through the server. The job is
        stopped once its log shows `stop_when_logged` (see run_logged)."""

    @abc.abstractmethod
    def run_python(self, job: str, job_args: list[str], timeout: float = SPARK_JOB_S,
                   cwd: Path | None = None, module: bool = False, storage_access: bool = False) -> JobRun:
        """Run a Python program with this site's Spark runtime and the platform's settings."""

    @abc.abstractmethod
    def application_state(self, app_id: str) -> str | None:
        """What the cluster manager says of an application (e.g. FINISHED), None if it does not know it."""

    @abc.abstractmethod
    def settings_report(self) -> str:
        """How this site's Spark settings differ from the chart's, for the report."""

    @abc.abstractmethod
    def gpu_discovery(self) -> dict[str, Any]:
        """What the workers' GPU discovery script reports: {"name": "gpu", "addresses": [...]}."""

    @abc.abstractmethod
    def catalog(self) -> IcebergCatalog:
        """The platform's Iceberg catalog."""

    @abc.abstractmethod
    def iceberg_reader(self) -> str:
        """How a job here reads an Iceberg snapshot: "the Iceberg Spark runtime" where Spark has the catalog,
        else "pyiceberg" (a Spark line with no Iceberg runtime in reach)."""
