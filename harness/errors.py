"""Errors that reach the person running the suite as one line: what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable


class SuiteError(Exception):
    """A problem the user can fix. str() is the one line printed; `fix` says what to do."""

    def __init__(self, problem: str, fix: str = "", log_path: Path | None = None) -> None:
        self.problem = problem
        self.fix = fix
        self.log_path = log_path
        super().__init__(f"{problem} -- {fix}" if fix else problem)


class ConfigError(SuiteError):
    """Bad -D user data: unknown target, mode, version or option."""


class ToolMissing(SuiteError):
    """A program the suite needs (java, initdb, chromium, helm) is not installed."""


class PortBusy(SuiteError):
    """A port the suite was told to use is already taken."""


class ServiceFailed(SuiteError):
    """A service exited or never became ready; log_path points at its log."""


def failure_of(call: Callable[[], object]) -> str | None:
    """What the ServiceFailed that `call` raised said, or None when `call` went through: for a scenario whose
    subject is a Job that must fail."""
    try:
        call()
    except ServiceFailed as failed:
        return str(failed)
    return None


class ClusterUnreachable(SuiteError):
    """The k8s target cannot talk to the cluster KUBECONFIG names."""
