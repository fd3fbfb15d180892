"""What the API takes and answers. An upload is checked here, before anything starts: every refusal is one
status and one line that says what to change."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import BaseModel, Field

MIN_TIMEOUT_S = 60
MAX_TIMEOUT_S = 3600
STATUSES = ("queued", "running", "completed", "failed", "killed")
ENDED = ("completed", "failed", "killed")


class BadInput(Exception):
    """A request the service refuses; `status` is the HTTP status, the message the one line to show."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


class UploadRequest(BaseModel):
    """The seed's body, with the Spark version as an optional field (the platform's by default)."""

    script_name: str
    script_content: str = Field(description="the script, base64")
    experiment_name: str
    model_name: str = ""
    requirements: list[str] = []
    timeout: int = 600
    tags: dict[str, str] = {}
    spark_version: str | None = None


@dataclass(frozen=True)
class Upload:
    """An upload that passed every check: the script decoded, the rest as given."""

    script_name: str
    script: bytes
    experiment_name: str
    model_name: str
    requirements: tuple[str, ...]
    timeout_s: int
    tags: dict[str, str]
    spark_version: str


def _script_name(name: str) -> str:
    if not name.strip() or "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        raise BadInput(422, f"script_name {name!r} must be a plain file name like train.py (no folders, "
                            "not hidden)")
    if not name.endswith(".py"):
        raise BadInput(422, f"script_name {name!r} must end in .py: the job runs it with Python")
    return name


def _script(content: str, limit: int) -> bytes:
    # The size is checked on the encoded text first, so a huge body is refused before it is decoded.
    if len(content) > (limit + 2) // 3 * 4:
        raise BadInput(413, f"the script is over the limit of {limit} bytes: make it smaller or raise "
                            "mlops.maxScriptBytes")
    try:
        script = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadInput(422, f"script_content is not base64 ({exc}): send base64.b64encode(script)") from None
    if len(script) > limit:
        raise BadInput(413, f"the script is {len(script)} bytes, over the limit of {limit}: make it smaller or "
                            "raise mlops.maxScriptBytes")
    try:
        text = script.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(422, f"the script is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    if not text.strip():
        raise BadInput(422, "the script is empty: send a script that trains something")
    return script


def _requirement(line: str) -> str:
    text = line.strip()
    refused = f"requirement {line!r} is not a package name from the index (like scikit-learn==1.5.2)"
    if not text or text.startswith(("-", ".", "/", "~")) or "/" in text or "\\" in text or "://" in text:
        raise BadInput(422, f"{refused}: URLs, paths and pip options are not accepted")
    try:
        parsed = Requirement(text)
    except InvalidRequirement as exc:
        raise BadInput(422, f"{refused}: {str(exc).splitlines()[0]}") from None  # packaging draws a caret below
    if parsed.url:
        raise BadInput(422, f"{refused}: URLs, paths and pip options are not accepted")
    return text


def checked(request: UploadRequest, platform_spark: str, max_script_bytes: int) -> Upload:
    """The upload if the platform can run it, else BadInput with the status and the line to show."""
    if not MIN_TIMEOUT_S <= request.timeout <= MAX_TIMEOUT_S:
        raise BadInput(422, f"timeout {request.timeout} s is outside {MIN_TIMEOUT_S}-{MAX_TIMEOUT_S} s: "
                            "give one from one minute to one hour")
    version = request.spark_version or platform_spark
    if version != platform_spark:
        raise BadInput(422, f"unknown Spark version {version!r}: this platform runs Spark {platform_spark}")
    if not request.experiment_name.strip():
        raise BadInput(422, "experiment_name is empty: name the MLflow experiment the run belongs to")
    return Upload(_script_name(request.script_name), _script(request.script_content, max_script_bytes),
                  request.experiment_name.strip(), request.model_name.strip(),
                  tuple(_requirement(line) for line in request.requirements), request.timeout, dict(request.tags),
                  version)


class Accepted(BaseModel):
    job_id: str
    status: str


class StateChange(BaseModel):
    status: str
    reason: str
    at: datetime


class JobStatus(BaseModel):
    job_id: str
    status: str
    reason: str
    script_name: str
    experiment_name: str
    model_name: str
    spark_version: str
    requirements: list[str]
    timeout: int
    run_id: str | None
    experiment_id: str | None
    spark_app_id: str | None
    model_version: str | None
    submitted_at: datetime
    slot_granted_at: datetime | None
    ended_at: datetime | None
    history: list[StateChange]
    logs: str

    @classmethod
    def of(cls, record: dict[str, Any]) -> "JobStatus":
        return cls(job_id=record["job_id"], status=record["status"], reason=record["reason"],
                   script_name=record["script_name"], experiment_name=record["experiment_name"],
                   model_name=record["model_name"], spark_version=record["spark_version"],
                   requirements=list(record["requirements"]), timeout=record["timeout_s"],
                   run_id=record["run_id"], experiment_id=record["experiment_id"], spark_app_id=record["app_id"],
                   model_version=record["model_version"], submitted_at=record["submitted_at"],
                   slot_granted_at=record["started_at"], ended_at=record["ended_at"],
                   history=[StateChange(**change) for change in record["history"]],
                   logs=record["logs"])
