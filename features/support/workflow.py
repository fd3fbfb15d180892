"""What several training steps share: the MLOps API of the scenario (on its world, made by the Background step;
jobs a scenario leaves running are cancelled with it), uploads and following a job to its end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.names import unique_name
from harness.waits import TRAINING_FOLLOW_MARGIN_S, TRAINING_JOB_S
from harness.workflow.api import Job, MlopsApi, Upload
from harness.world import TrainingState
from support.reporting import attach_json, attach_text
from support.scenario import world

DATA = Path(__file__).resolve().parents[1] / "data"


def training(context: Any) -> TrainingState:
    return world(context).training


def start_training(context: Any, service: Any, auth: tuple[str, str] | None = None) -> TrainingState:
    state = world(context).training = TrainingState(MlopsApi(service.url, auth), service, unique_name("model"))
    attach_text("MLOps API settings: chart -> this target", service.settings_report())
    context.add_cleanup(_cancel_unfinished, state)
    return state


def _cancel_unfinished(state: TrainingState) -> None:
    for job_id in state.job_ids:
        if not state.api.job(job_id).ended:
            state.api.cancel(job_id)


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
