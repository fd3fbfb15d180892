"""The training feature's state, one typed home for what its steps hand each other, and the few lookups
several steps share. Created by the Background step; jobs a scenario leaves running are cancelled with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.names import unique_name
from harness.waits import TRAINING_FOLLOW_MARGIN_S, TRAINING_JOB_S
from harness.workflow.api import Answer, Job, MlopsApi, Upload
from support.reporting import attach_json, attach_text
from support.scenario import world

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class Training:
    api: MlopsApi
    service: Any  # the target's MLOps API: url, spark_version; restart() and lose_pod() where it runs locally
    model_name: str
    answer: Answer | None = None  # the service's last answer
    job_id: str | None = None  # the job the scenario's sentences call "the job"
    holder_id: str | None = None  # the job that holds every core ("that job")
    job_ids: list[str] = field(default_factory=list)  # every job the scenario uploaded, in order
    jobs_before: int = 0
    login: Any = None  # the platform with MLflow's login on: its users and admin client

    def job(self) -> Job:
        if self.job_id is None:
            raise AssertionError("REQUIRE: a job was uploaded by an earlier step")
        return self.api.job(self.job_id)

    def holder(self) -> Job:
        if self.holder_id is None:
            raise AssertionError("REQUIRE: 'Given a job that holds every core of the workers'")
        return self.api.job(self.holder_id)


def training(context: Any) -> Training:
    found = getattr(context, "training", None)
    if found is None:
        raise AssertionError("REQUIRE: the Background step 'the platform's MLOps API is running'")
    return found


def start_training(context: Any, service: Any, auth: tuple[str, str] | None = None) -> Training:
    context.training = Training(MlopsApi(service.url, auth), service, unique_name("model"))
    attach_text("MLOps API settings: chart -> this target", service.settings_report())
    context.add_cleanup(_cancel_unfinished, context.training)
    return context.training


def _cancel_unfinished(state: Training) -> None:
    for job_id in state.job_ids:
        if not state.api.job(job_id).ended:
            state.api.call("POST", f"/mlops/training/jobs/{job_id}/cancel")


def upload_of(context: Any, script: str, requirements: str = "", timeout: int = TRAINING_JOB_S) -> Upload:
    world(context).experiment_id  # the scenario's experiment exists, whatever the upload's fate
    return Upload(DATA / script, world(context).experiment_name,
                  tuple(r.strip() for r in requirements.split(",") if r.strip()),
                  training(context).model_name, timeout, {"submitted.by": "spec-suite"})


def submit(context: Any, upload: Upload) -> str:
    state = training(context)
    state.answer = state.api.upload(upload)
    assert state.answer.status == 202, f"the upload was answered {state.answer.status}: {state.answer.error()}"
    job_id = str(state.answer.body["job_id"])
    state.job_ids.append(job_id)
    return job_id


def follow(context: Any, job_id: str, timeout: int = TRAINING_JOB_S) -> Job:
    """Follow a job to its end; its history and logs go to the report."""
    job = training(context).api.follow(job_id, timeout + TRAINING_FOLLOW_MARGIN_S)
    report_job(job)
    return job


def report_job(job: Job) -> None:
    attach_json(f"job {job.job_id}: history", [change.__dict__ for change in job.history])
    attach_text(f"job {job.job_id}: logs ({job.status}: {job.reason})", job.logs or "(none)")
