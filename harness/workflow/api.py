"""A typed client of the platform's MLOps API, as a data scientist's script would call it: only HTTP."""

from __future__ import annotations

import base64
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import requests

from harness.system.waiting import WaitTimeout, wait_for

ENDED = ("completed", "failed", "killed")
SLOT_WAIT = "waiting for a free job slot"
POLL_S = 0.5


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the JSON answer, or the text when it was not JSON
    seconds: float

    def error(self) -> str:
        return str(self.body.get("error", "")) if isinstance(self.body, dict) else str(self.body)


@dataclass(frozen=True)
class StateChange:
    status: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Job:
    """A job as the service reports it."""

    job_id: str
    status: str
    reason: str
    run_id: str | None
    experiment_id: str | None
    spark_app_id: str | None
    model_name: str
    model_version: str | None
    history: list[StateChange]
    logs: str
    slot_granted_at: datetime | None = None  # when the service's claim gave it a job slot

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Job":
        granted = body["slot_granted_at"]
        return cls(body["job_id"], body["status"], body["reason"], body["run_id"], body["experiment_id"],
                   body["spark_app_id"], body["model_name"], body["model_version"],
                   [StateChange(c["status"], c["reason"], datetime.fromisoformat(c["at"])) for c in body["history"]],
                   body["logs"], datetime.fromisoformat(granted) if granted else None)

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def statuses(self) -> list[str]:
        """The statuses it went through, each once, in order."""
        seen: list[str] = []
        for change in self.history:
            if not seen or seen[-1] != change.status:
                seen.append(change.status)
        return seen

    def slot_held(self) -> tuple[datetime, datetime | None]:
        """When the service granted the job a slot and when the job gave it back (its end)."""
        if self.slot_granted_at is None:
            raise ValueError(f"job {self.job_id} was never granted a job slot: {self.history}")
        return self.slot_granted_at, self.history[-1].at if self.ended else None


def overlap_of_slots(jobs: list[Job]) -> int:
    """The most jobs that held a job slot at the same moment, from the service's own histories."""
    events = []
    for job in jobs:
        taken, given_back = job.slot_held()
        events += [(taken, 1), *([(given_back, -1)] if given_back else [])]
    most = held = 0
    for _, change in sorted(events, key=lambda event: (event[0], event[1])):  # a release before a take
        held += change
        most = max(most, held)
    return most


def slot_order_problems(jobs: list[Job], limit: int) -> list[str]:
    """Why `jobs` (in upload order) were not granted their slots in that order, those past `limit` only after an
    earlier job ended (empty when they were). Only the jobs past the limit are ranked: the order among those that
    found a free slot at once says nothing about the queue."""
    taken = [job.slot_held()[0] for job in jobs]
    problems = []
    for index, job in enumerate(jobs[limit:], start=limit):
        ends = [end for _, end in (earlier.slot_held() for earlier in jobs[:index]) if end is not None]
        if taken[index] < max(taken[:index]):
            problems.append(f"job {job.job_id} took its slot before an earlier upload: {job.history}")
        if job.history[0].reason != SLOT_WAIT or not ends or taken[index] < min(ends):
            problems.append(f"job {job.job_id} did not wait for an earlier job to end: {job.history}")
    return problems


@dataclass(frozen=True)
class Upload:
    """What a data scientist hands the platform to train."""

    script: Path
    experiment: str
    requirements: tuple[str, ...] = ()
    model_name: str = ""
    timeout_s: int = 600
    tags: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"script_name": self.script.name,
                "script_content": base64.b64encode(self.script.read_bytes()).decode(),
                "experiment_name": self.experiment, "model_name": self.model_name,
                "requirements": list(self.requirements), "timeout": self.timeout_s, "tags": self.tags}


class MlopsApi:
    def __init__(self, base_url: str, auth: tuple[str, str] | None = None, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth
        self.timeout = timeout
        self.latencies_ms: dict[str, list[float]] = defaultdict(list)

    def call(self, method: str, path: str, endpoint: str | None = None, **kwargs: Any) -> Answer:
        started = time.perf_counter()
        response = self.session.request(method, self.base_url + path, timeout=kwargs.pop("timeout", self.timeout),
                                        **kwargs)
        seconds = time.perf_counter() - started
        self.latencies_ms[f"{method} {endpoint or path}"].append(seconds * 1000)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        return Answer(response.status_code, body, seconds)

    def upload(self, upload: Upload | dict[str, Any] | str) -> Answer:
        """POST /mlops/training/upload of an Upload, a body of your own, or raw text (malformed on purpose)."""
        if isinstance(upload, str):
            return self.call("POST", "/mlops/training/upload", data=upload,
                             headers={"Content-Type": "application/json"})
        body = upload.body() if isinstance(upload, Upload) else upload
        return self.call("POST", "/mlops/training/upload", json=body)

    def submit(self, upload: Upload) -> str:
        """Upload and return the job id; anything but 202 fails with the service's line."""
        answer = self.upload(upload)
        if answer.status != 202:
            raise AssertionError(f"the upload was answered {answer.status}: {answer.error()}")
        return str(answer.body["job_id"])

    def job_answer(self, job_id: str) -> Answer:
        return self.call("GET", f"/mlops/training/jobs/{job_id}", endpoint="/mlops/training/jobs/{id}")

    def job(self, job_id: str) -> Job:
        answer = self.job_answer(job_id)
        if answer.status != 200:
            raise AssertionError(f"GET job {job_id} was answered {answer.status}: {answer.error()}")
        return Job.from_json(answer.body)

    def cancel(self, job_id: str) -> Answer:
        return self.call("POST", f"/mlops/training/jobs/{job_id}/cancel", endpoint="/mlops/training/jobs/{id}/cancel")

    def jobs(self) -> list[Job]:
        answer = self.call("GET", "/mlops/training/jobs", params={"limit": 500})
        return [Job.from_json(body) for body in answer.body]

    def wait_until(self, job_id: str, what: str, condition: Callable[[Job], bool], timeout: float) -> Job:
        """Poll until `condition` holds for the job or it has ended; `what` names the condition in a timeout."""
        seen: list[Job] = []

        def reached() -> Job | None:
            job = self.job(job_id)
            seen.append(job)
            return job if condition(job) or job.ended else None

        try:
            return wait_for(reached, f"job {job_id} to be {what}", timeout, POLL_S)
        except WaitTimeout as exc:
            last = seen[-1] if seen else None
            raise AssertionError(f"{exc}; last answer: {last.status if last else '-'} "
                                 f"({last.reason if last else '-'}); logs:\n{last.logs[-1500:] if last else ''}") \
                from None

    def follow(self, job_id: str, timeout: float) -> Job:
        return self.wait_until(job_id, "ended", lambda job: job.ended, timeout)

    def status(self) -> Answer:
        return self.call("GET", "/mlops/status")

    def models(self) -> Answer:
        return self.call("GET", "/mlops/models")

    def predict(self, name: str, body: str, alias: str | None = None, version: str | None = None) -> Answer:
        params = {"alias": alias} if alias else {"version": version}
        return self.call("POST", f"/mlops/models/{name}/predict", params=params, data=body,
                         headers={"Content-Type": "application/json"}, timeout=300,
                         endpoint="/mlops/models/{name}/predict")
