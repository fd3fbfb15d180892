"""Where a run's processes leave what the launcher (harness/acceptance.py) gathers: the behave hooks write these,
the launcher merges them, so both read the names from here."""

from __future__ import annotations

from pathlib import Path

from harness.timings import REPORTS

SHARD_ENV = "SPEC_SHARD"  # tells features/environment.py it is one of several processes, and its name


def shard_ledger(name: str, reports: Path = REPORTS) -> Path:
    return reports / f"timings-{name}.json"


def matrix_records(name: str, reports: Path = REPORTS) -> Path:
    return reports / f"matrix-{name}.json"
