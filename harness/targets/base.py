"""What every target offers the steps."""

from __future__ import annotations

import abc
from pathlib import Path

from harness.config import RunConfig
from harness.endpoints import Platform
from harness.spark.site import SparkSite
from harness.targets.needs import Capabilities, cell_needs


class Target(abc.ABC):
    name: str
    config: RunConfig
    workdir: Path  # private scratch folder of this run, removed by close()
    _platform: Platform | None = None
    _start_error: Exception | None = None
    _capabilities: Capabilities | None = None

    def platform(self) -> Platform:
        """Start the shared platform on first use and return it; a failed start fails every later ask
        with the same error instead of retrying for each scenario."""
        if self._start_error is not None:
            raise self._start_error
        if self._platform is None:
            try:
                self._platform = self._start_platform()
            except Exception as exc:
                self._start_error = exc
                raise
        return self._platform

    @abc.abstractmethod
    def _start_platform(self) -> Platform:
        """Bring up PostgreSQL, the artifact store and the MLflow server."""

    def capabilities(self) -> Capabilities:
        """What this target meets, declared once per run (asking a cluster for its GPU nodes takes a call)."""
        if self._capabilities is None:
            self._capabilities = self.declare_capabilities()
        return self._capabilities

    @abc.abstractmethod
    def declare_capabilities(self) -> Capabilities:
        """The one declaration of the @needs-* this target meets (with this run's options, on this machine)."""

    def unmet_need(self, need: str) -> str | None:
        """Why this target cannot give a scenario what its @needs-<need> tag asks for, or None."""
        return self.capabilities().unmet(need)

    def skip_reason(self, mode: str, version: str) -> str | None:
        """Why this target cannot run that matrix cell, or it is left out of this run; None when it runs."""
        for need in cell_needs(mode, version):
            reason = self.unmet_need(need)
            if reason:
                return reason
        return self.config.selected(mode, version)

    @abc.abstractmethod
    def spark(self, mode: str, version: str) -> SparkSite:
        """Spark of `version` in `mode`, started on first use and shared by later scenarios."""

    @abc.abstractmethod
    def service_logs(self) -> dict[str, Path]:
        """Log files of what this target started, by service name."""

    @abc.abstractmethod
    def environment(self) -> dict[str, str]:
        """Versions and settings to show in the report."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop everything this target started. Safe to call more than once."""
