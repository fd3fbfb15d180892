"""Glue between the training workflow's steps and harness/workflow: one Workflow per scenario, cleaned up
with it, and the few lookups several steps share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.system.process import tail
from harness.workflow.checks import Prediction, predict
from harness.workflow.environments import ensure_environment
from harness.workflow.models import ModelServer, register
from harness.workflow.runner import Workflow
from harness.workflow.submission import Submission
from support.reporting import attach_json, attach_text
from support.scenario import world

DATA = Path(__file__).resolve().parents[1] / "data"
MODEL_REQUIREMENTS = ("scikit-learn",)


def workflow(context: Any) -> Workflow:
    if getattr(context, "workflow", None) is None:
        current = world(context)
        context.workflow = Workflow(lambda version: context.target.spark("standalone-submit", version),
                                    current.api, context.scenario_dir)
        context.add_cleanup(context.workflow.close)
    return context.workflow


def submission(context: Any, script: str, requirements: str, version: str, timeout: int) -> Submission:
    world(context).experiment_id  # the scenario's experiment exists, whatever the submission's fate
    return Submission(DATA / script, tuple(r.strip() for r in requirements.split(",") if r.strip()),
                      world(context).experiment_name, version, timeout_s=timeout,
                      tags={"submitted.by": "spec-suite"})


def wrap_up(context: Any, state: str) -> None:
    """After a job ended: its run becomes the scenario's current run; timeline and log go to the report."""
    job = context.job
    world(context).run = world(context).api.get_run(job.run_id)
    attach_json(f"job {job.job_id}: states (seconds after submission)",
                [change.__dict__ for change in job.timeline] + [{"environment": str(job.environment.path),
                                                                  "built now": job.environment.built_now}])
    attach_text(f"job {job.job_id}: output ({state})", job.log_tail(400))
    attach_text(f"job {job.job_id}: Spark log", tail(job.log_path, 400))


def finished_run(context: Any, script: str, requirements: str) -> str:
    job = workflow(context).submit(submission(context, script, requirements, context.spark.version, 600))
    state = workflow(context).runner_of(job).follow(job)
    assert state == "FINISHED", f"job {job.job_id} ended {state}:\n{job.log_tail()}"
    return job.run_id


def register_as(context: Any, run_id: str, name: str) -> str:
    return register(world(context).platform.mlflow_url, run_id, name)


def predict_with(context: Any, model_uri: str) -> Prediction:
    environment = ensure_environment(context.spark.runtime, MODEL_REQUIREMENTS)
    prediction = predict(environment, world(context).platform.mlflow_url, model_uri, context.scenario_dir)
    attach_json(f"in-process predictions of {model_uri}", prediction.__dict__)
    return prediction


def serve(context: Any, model_uri: str) -> ModelServer:
    environment = ensure_environment(context.spark.runtime, MODEL_REQUIREMENTS)
    server = ModelServer(environment, world(context).platform.mlflow_url, model_uri,
                         context.scenario_dir / "model-server.log")
    context.add_cleanup(server.stop)
    server.start()
    return server
