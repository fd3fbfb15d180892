"""The run's memory peak: the memory of the suite's process and of everything it started (every service is
its descendant: PostgreSQL through runuser, MLflow and its workers, the Spark JVMs and jobs), sampled by a
background thread. Each process counts its proportional set size (PSS: a page shared by forked workers is
split between them, where RSS would count it in each), or its RSS where PSS cannot be read."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

GIB = 1024**3


def _proportional_size(process: psutil.Process) -> int:
    try:
        return int(process.memory_full_info().pss)
    except (psutil.AccessDenied, AttributeError):
        return int(process.memory_info().rss)


@dataclass
class MemoryPeak:
    interval_s: float = 2.0
    peak_bytes: int = 0
    peak_after_s: float = 0.0
    largest_at_peak: list[tuple[str, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._sample_until_stopped, name="memory-peak", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _sample_until_stopped(self) -> None:
        started = time.monotonic()
        me = psutil.Process()
        while not self._stop.wait(self.interval_s):
            self.sample([me, *me.children(recursive=True)], time.monotonic() - started)

    def sample(self, processes: list[psutil.Process], after_s: float) -> None:
        sizes = []
        for process in processes:
            try:
                sizes.append((process.name(), _proportional_size(process)))
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        total = sum(size for _, size in sizes)
        if total > self.peak_bytes:
            self.peak_bytes, self.peak_after_s = total, after_s
            self.largest_at_peak = sorted(sizes, key=lambda item: -item[1])[:5]

    def as_dict(self) -> dict[str, object]:
        return {"peak_gib": round(self.peak_bytes / GIB, 2), "after_seconds": round(self.peak_after_s),
                "largest": [[name, round(size / GIB, 2)] for name, size in self.largest_at_peak]}

    def text(self) -> str:
        largest = ", ".join(f"{name} {size / GIB:.1f}" for name, size in self.largest_at_peak)
        return (f"memory peak {self.peak_bytes / GIB:.1f} GiB (sum of PSS, {self.peak_after_s / 60:.0f} min into "
                f"the run; largest GiB: {largest})")
