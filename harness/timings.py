"""What a run waited on: service starts and builds, Spark jobs, MLflow API calls. Against the run's wall time
this gives the suite's overhead ratio (`make bench` prints it from the last acceptance run's ledger).

Operations that overlap (concurrent clients) each count in full, so a load-heavy run can sum to more than
its wall time.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

LEDGER = Path(__file__).resolve().parents[1] / "reports" / "timings.json"
SERVICES, SPARK_JOBS, API_CALLS = "service starts and builds", "Spark jobs", "MLflow API calls"

_lock = threading.Lock()
_seconds: dict[str, float] = defaultdict(float)
_counts: dict[str, int] = defaultdict(int)


def record(kind: str, seconds: float) -> None:
    with _lock:
        _seconds[kind] += seconds
        _counts[kind] += 1


def write(path: Path, wall_seconds: float, memory: dict[str, Any] | None = None) -> None:
    """The ledger, with the run's memory peak (harness/system/memory.py) when it was measured."""
    with _lock:
        kinds = {kind: {"count": _counts[kind], "seconds": round(_seconds[kind], 3)} for kind in sorted(_seconds)}
    path.parent.mkdir(parents=True, exist_ok=True)
    ledger: dict[str, Any] = {"wall_seconds": round(wall_seconds, 3), "operations": kinds}
    if memory is not None:
        ledger["memory"] = memory
    path.write_text(json.dumps(ledger, indent=2) + "\n")


def read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def overhead_text(ledger: dict[str, Any]) -> str:
    waited = sum(kind["seconds"] for kind in ledger["operations"].values())
    parts = ", ".join(f"{name} {kind['seconds']:.0f}s ({kind['count']})" for name, kind in ledger["operations"].items())
    ratio = ledger["wall_seconds"] / waited if waited else float("inf")
    return (f"suite overhead: wall {ledger['wall_seconds']:.0f}s / raw operations {waited:.0f}s = {ratio:.2f} "
            f"({parts})")
