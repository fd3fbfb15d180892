"""Progress lines for slow work (starting services, building runtimes): what, and how long it took."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console

from harness import timings

console = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def step(label: str) -> Iterator[None]:
    console.print(f"[bold cyan]>[/] {label} ...")
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        console.print(f"[bold red]x[/] {label} failed after {time.perf_counter() - started:.1f}s")
        raise
    elapsed = time.perf_counter() - started
    timings.record(timings.SERVICES, elapsed)
    console.print(f"[bold green]✓[/] {label} ({elapsed:.1f}s)")
