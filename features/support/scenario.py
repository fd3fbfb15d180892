"""The scenario's world, and why a scenario cannot run on this target (decided once, before it starts)."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import parse

from harness.errors import SuiteError
from harness.targets import Target
from harness.world import ScenarioWorld

# The one step that names a matrix cell; before_scenario reads it to decide a skip before anything starts.
SPARK_CELL_STEP = "the platform runs Spark {version} in {mode} mode"
_CELL = parse.compile(SPARK_CELL_STEP)


T = TypeVar("T")


def started_or_abort(context: Any, start: Callable[[], T]) -> T:
    """What `start` brings up (a shared platform); if it cannot start, the whole run stops here with the one
    line that says why, instead of every later scenario failing with the same traceback."""
    try:
        return start()
    except SuiteError as problem:
        context.abort(str(problem))
        raise AssertionError(str(problem)) from None


def world(context: Any) -> ScenarioWorld:
    """The scenario's world; starting the platform (once per run) the first time any scenario asks."""
    if context.world is None:
        context.world = ScenarioWorld(started_or_abort(context, context.target.platform), context.scenario.name)
    return context.world


def matrix_cells(step_names: list[str]) -> list[tuple[str, str]]:
    """(mode, version) of every step that asks for a matrix cell, outline placeholders already filled in."""
    cells = []
    for name in step_names:
        found = _CELL.parse(name)
        if found:
            cells.append((str(found["mode"]), str(found["version"])))
    return cells


def skip_reason(target: Target, tags: list[str], step_names: list[str]) -> str | None:
    """Why `target` cannot run a scenario with these tags and steps, or None when it can."""
    for tag in tags:
        if tag.startswith("needs-"):
            reason = target.unmet_need(tag.removeprefix("needs-"))
            if reason:
                return reason
    for mode, version in matrix_cells(step_names):
        reason = target.skip_reason(mode, version)
        if reason:
            return reason
    return None
