"""Submitting a training script to the platform's Spark and following it to its end.

The job engine is Spark itself: the script runs as the driver of a Spark application submitted to the
standalone master (client mode; Python apps cannot use cluster mode there). A job's state is the engine's:
SUBMITTED until the master lists the application, then the master's WAITING or RUNNING, then the driver's
exit status (FINISHED or FAILED); KILLED when the platform stopped it at its timeout. The platform creates the
job's MLflow run before the script starts (with the platform's tags) and closes it if the script could not.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from harness.mlflow.api import MlflowApi
from harness.spark.jobs import JOBS_DIR
from harness.spark.site import SparkSite
from harness.system.process import ManagedProcess, tail
from harness.system.waiting import WaitTimeout, wait_for
from harness.workflow.environments import JobEnvironment, ensure_environment
from harness.workflow.submission import Submission, SubmissionRefused

LAUNCHER = Path(__file__).resolve().parent / "jobs" / "launcher.py"
ENDED = ("FINISHED", "FAILED", "KILLED")
POLL_S = 0.5


@dataclass(frozen=True)
class StateChange:
    state: str
    seconds: float  # since the submission


@dataclass
class Job:
    job_id: str
    submission: Submission
    run_id: str
    environment: JobEnvironment
    process: ManagedProcess
    log_path: Path
    submitted_at: float
    timeline: list[StateChange] = field(default_factory=list)
    app_id: str | None = None

    @property
    def state(self) -> str:
        return self.timeline[-1].state if self.timeline else "SUBMITTED"

    def states(self) -> list[str]:
        return [change.state for change in self.timeline]

    @property
    def output_path(self) -> Path:
        """The script's own output: Spark's Python runner sends the driver's stdout and stderr (tracebacks)
        here, apart from Spark's logging in log_path."""
        return self.log_path.with_suffix(".out")

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.output_path, lines)


class JobRunner:
    """Submits and follows jobs on one Spark site, tracking them in the platform's MLflow."""

    def __init__(self, site: SparkSite, api: MlflowApi, workdir: Path) -> None:
        self.site = site
        self.api = api
        self.workdir = workdir
        self.jobs: list[Job] = []

    def submit(self, submission: Submission, extra_env: dict[str, str] | None = None) -> Job:
        """Check, build the environment, create the run, start the driver. Bad input or requirements that cannot
        be installed fail here, before any run exists."""
        submission.checked()
        if submission.spark_version != self.site.version:
            raise SubmissionRefused(f"this runner submits to Spark {self.site.version}, not {submission.spark_version}",
                                    "submit through Workflow, which picks the Spark of the submission")
        environment = ensure_environment(self.site.runtime, submission.requirements)
        job_id = uuid.uuid4().hex[:8]
        experiment_id = self.api.experiment_id_for(submission.experiment)
        tags = {**submission.tags, "platform.job_id": job_id, "spark.version": self.site.version,
                "platform.mode": self.site.mode}
        run = self.api.create_run(experiment_id, f"job-{job_id}", tags)
        log_path = self.workdir / "jobs" / f"job-{job_id}.log"
        env = {"MLFLOW_RUN_ID": run.run_id, "MLFLOW_EXPERIMENT_ID": experiment_id,
               "PYTHONPATH": str(JOBS_DIR), **(extra_env or {})}
        process = self.site.launch(f"spec-job-{job_id}", LAUNCHER, [str(submission.script.resolve())],
                                   environment.python, env, log_path)
        job = Job(job_id, submission, run.run_id, environment, process, log_path, time.monotonic(),
                  [StateChange("SUBMITTED", 0.0)])
        self.jobs.append(job)
        return job

    def poll(self, job: Job) -> str:
        """Record the job's state now (a new state is added to its timeline) and return it."""
        if job.state in ENDED:
            return job.state
        code = job.process.exit_code()
        app = self.site.application_named(f"spec-job-{job.job_id}")
        if app and job.app_id is None:
            job.app_id = str(app["id"])
            self.api.set_tag(job.run_id, "spark.app_id", job.app_id)
        if code is not None:
            state = "FINISHED" if code == 0 else "FAILED"
        elif app and app["state"] in ("WAITING", "RUNNING"):
            state = str(app["state"])
        else:
            state = job.state
        if state != job.state:
            job.timeline.append(StateChange(state, time.monotonic() - job.submitted_at))
        if state in ENDED:
            self._close_run(job, state)
        return state

    def wait_for_state(self, job: Job, states: tuple[str, ...], timeout: float) -> str:
        """Poll until the job is in one of `states` (or has ended); the state reached."""
        def reached() -> str | None:
            state = self.poll(job)
            return state if state in states + ENDED else None

        try:
            return wait_for(reached, f"job {job.job_id} to reach {'/'.join(states)}", timeout, POLL_S)
        except WaitTimeout as exc:
            raise AssertionError(f"{exc}; timeline {job.states()}; log:\n{job.log_tail()}") from None

    def follow(self, job: Job) -> str:
        """Follow the job to its end; past its timeout it is stopped and its run marked KILLED."""
        deadline = job.submitted_at + job.submission.timeout_s
        while time.monotonic() < deadline:
            if self.poll(job) in ENDED:
                return job.state
            time.sleep(POLL_S)
        self.stop(job)
        return job.state

    def stop(self, job: Job) -> None:
        """Stop the driver's whole process group; the master then ends the application."""
        job.process.stop()
        if job.state not in ENDED:
            job.timeline.append(StateChange("KILLED", time.monotonic() - job.submitted_at))
            self._close_run(job, "KILLED")

    def wait_until_inactive(self, job: Job, timeout: float = 60) -> dict[str, object] | None:
        """Wait until the master no longer lists the job's application as WAITING or RUNNING; its last record."""
        def released() -> tuple[dict[str, object] | None] | None:
            app = self.site.application_named(f"spec-job-{job.job_id}")
            return (app,) if app is None or app["state"] not in ("WAITING", "RUNNING") else None

        try:
            return wait_for(released, f"the master to release job {job.job_id}", timeout, POLL_S)[0]
        except WaitTimeout as exc:
            raise AssertionError(str(exc)) from None

    def _close_run(self, job: Job, state: str) -> None:
        """Give the run the job's end state unless the script ended it itself (MLflow marks a run FAILED when
        the script raised inside it, FINISHED when it left it normally)."""
        run = self.api.get_run(job.run_id)
        if run.status == "RUNNING" or (state == "KILLED" and run.status != "KILLED"):
            self.api.update_run(job.run_id, state)

    def close(self) -> None:
        """Stop whatever is still running (the scenario's cleanup)."""
        for job in self.jobs:
            if job.process.running():
                self.stop(job)
        self.jobs.clear()


class Workflow:
    """Submissions to whichever Spark version they name, each through that version's runner."""

    def __init__(self, spark_of: Callable[[str], SparkSite], api: MlflowApi, workdir: Path) -> None:
        self.spark_of = spark_of
        self.api = api
        self.workdir = workdir
        self._runners: dict[str, JobRunner] = {}

    def runner(self, version: str) -> JobRunner:
        if version not in self._runners:
            self._runners[version] = JobRunner(self.spark_of(version), self.api, self.workdir)
        return self._runners[version]

    def submit(self, submission: Submission, extra_env: dict[str, str] | None = None) -> Job:
        """Refuse bad input before anything starts; otherwise submit to the submission's Spark."""
        return self.runner(submission.checked().spark_version).submit(submission, extra_env)

    def runner_of(self, job: Job) -> JobRunner:
        return self.runner(job.submission.spark_version)

    def close(self) -> None:
        for runner in self._runners.values():
            runner.close()
