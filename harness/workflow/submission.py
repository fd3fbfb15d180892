"""What a user hands the platform to train: a script, its requirements, where to track it, how long it may run.
Checked before anything starts, so bad input costs nothing and leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import SuiteError
from harness.matrix import check_version

MIN_TIMEOUT_S = 60
MAX_TIMEOUT_S = 3600


class SubmissionRefused(SuiteError):
    """A submission the platform will not start; the message says what to change."""


@dataclass(frozen=True)
class Submission:
    script: Path
    requirements: tuple[str, ...]
    experiment: str
    spark_version: str
    model_name: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    timeout_s: int = 600

    def checked(self) -> "Submission":
        """This submission if the platform can run it; otherwise SubmissionRefused with one clear line."""
        if not MIN_TIMEOUT_S <= self.timeout_s <= MAX_TIMEOUT_S:
            raise SubmissionRefused(f"timeout {self.timeout_s}s is outside {MIN_TIMEOUT_S}-{MAX_TIMEOUT_S}s",
                                    "give a timeout from one minute to one hour")
        try:
            text = self.script.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise SubmissionRefused(f"the script {self.script} does not exist", "give the path of a Python file") from None
        except UnicodeDecodeError as exc:
            raise SubmissionRefused(f"the script {self.script.name} is not UTF-8 text (byte {exc.start})",
                                    "save it as UTF-8") from None
        if not text.strip():
            raise SubmissionRefused(f"the script {self.script.name} is empty", "give a script that trains something")
        try:
            check_version(self.spark_version)
        except SuiteError as exc:
            raise SubmissionRefused(exc.problem, exc.fix) from None
        if not self.experiment.strip():
            raise SubmissionRefused("no experiment name", "name the MLflow experiment the run belongs to")
        return self
