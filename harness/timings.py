"""What a run waited on: service starts and builds, Spark jobs, MLflow API calls. Against the run's wall time
this gives the suite's overhead ratio (`make bench` prints it from the last acceptance run's ledger).

Operations that overlap (concurrent clients, two behave processes side by side) each count in full, so such
a run can sum to more than its wall time.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

# Where a run writes its ledger, matrix grid and service logs: the repository's reports/, or for the unit tests
# that run behave a folder of their own (so they do not overwrite what the last acceptance run left there).
REPORTS = Path(os.environ.get("SPEC_REPORTS_DIR") or Path(__file__).resolve().parents[1] / "reports")
LEDGER = REPORTS / "timings.json"
SERVICES, SPARK_JOBS, API_CALLS = "service starts and builds", "Spark jobs", "MLflow API calls"

_lock = threading.Lock()
_seconds: dict[str, float] = defaultdict(float)
_counts: dict[str, int] = defaultdict(int)


def record(kind: str, seconds: float) -> None:
    with _lock:
        _seconds[kind] += seconds
        _counts[kind] += 1


def write(path: Path, wall_seconds: float, memory: dict[str, Any] | None = None,
          outcomes: dict[str, int] | None = None, failures: list[str] | None = None) -> None:
    """The ledger, with the run's memory peak (harness/system/memory.py) when it was measured, its
    scenarios' outcomes (passed, failed, skipped) and the failed ones' locations and names."""
    with _lock:
        kinds = {kind: {"count": _counts[kind], "seconds": round(_seconds[kind], 3)} for kind in sorted(_seconds)}
    _write(path, wall_seconds, kinds, memory, outcomes, failures)


def _write(path: Path, wall_seconds: float, operations: dict[str, dict[str, Any]], memory: dict[str, Any] | None,
           outcomes: dict[str, int] | None, failures: list[str] | None) -> dict[str, Any]:
    ledger: dict[str, Any] = {"wall_seconds": round(wall_seconds, 3), "operations": operations}
    if memory is not None:
        ledger["memory"] = memory
    if outcomes is not None:
        ledger["outcomes"] = outcomes
    if failures:
        ledger["failures"] = failures
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ledger, indent=2) + "\n")
    return ledger


def merge(parts: list[Path], path: Path, wall_seconds: float, memory: dict[str, Any] | None) -> dict[str, Any]:
    """One ledger at `path` from those of processes that ran side by side (each part is removed): their
    operations and outcomes summed, failures listed, the wall time and memory peak of the whole. A missing
    part (a process that died before writing) adds nothing."""
    operations: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, int] = defaultdict(int)
    failures: list[str] = []
    for part in parts:
        ledger = read(part)
        if ledger is None:
            continue
        for kind, figures in ledger["operations"].items():
            total = operations.setdefault(kind, {"count": 0, "seconds": 0.0})
            total["count"] += figures["count"]
            total["seconds"] = round(total["seconds"] + figures["seconds"], 3)
        for outcome, count in ledger.get("outcomes", {}).items():
            outcomes[outcome] += count
        failures += ledger.get("failures", [])
        part.unlink()
    return _write(path, wall_seconds, dict(sorted(operations.items())), memory, dict(outcomes), failures)


def read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def overhead_text(ledger: dict[str, Any]) -> str:
    waited = sum(kind["seconds"] for kind in ledger["operations"].values())
    parts = ", ".join(f"{name} {kind['seconds']:.0f}s ({kind['count']})" for name, kind in ledger["operations"].items())
    ratio = ledger["wall_seconds"] / waited if waited else float("inf")
    return (f"suite overhead: wall {ledger['wall_seconds']:.0f}s / raw operations {waited:.0f}s = {ratio:.2f} "
            f"({parts})")
