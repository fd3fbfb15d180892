"""The scenario's world, and why a scenario cannot run on this target (decided once, before it starts)."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import parse

from harness.errors import SuiteError
from harness.targets import Target
from harness.mlflow.variant import VariantServer
from harness.stores.postgres import Database
from harness.targets.abilities import StartsMlflowServers, ability
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


def new_world(context: Any, name: str, step_names: list[str]) -> ScenarioWorld:
    """The world of a scenario about to start; its platform starts the first time a step asks for it."""
    target = context.target
    return ScenarioWorld(target, lambda: started_or_abort(context, target.platform), name, matrix_cells(step_names))


def world(context: Any) -> ScenarioWorld:
    return context.world  # type: ignore[no-any-return]


def able(context: Any, wanted: type[T]) -> T:
    """The scenario's target as one that can do what `wanted` offers (see harness/targets/abilities.py)."""
    return ability(context.target, wanted)


def started_server(context: Any, overrides: dict[str, str], database: Database | None = None,
                   without: tuple[str, ...] = ()) -> VariantServer:
    """An MLflow server from the chart rendered with `overrides`, stopped when the scenario ends."""
    servers = able(context, StartsMlflowServers)
    variant = servers.mlflow_variant(overrides, database, without)
    context.add_cleanup(servers.stop_variant, variant)
    return variant


def matrix_cells(step_names: list[str]) -> list[tuple[str, str]]:
    """(mode, version) of every step that asks for a matrix cell, outline placeholders already filled in."""
    cells = []
    for name in step_names:
        found = _CELL.parse(name)
        if found:
            cells.append((str(found["mode"]), str(found["version"])))
    return cells


def skip_reason(target: Target, tags: list[str], cells: list[tuple[str, str]]) -> str | None:
    """Why `target` cannot run a scenario with these tags and matrix cells, or None when it can."""
    for tag in tags:
        if tag.startswith("needs-"):
            reason = target.unmet_need(tag.removeprefix("needs-"))
            if reason:
                return reason
    for mode, version in cells:
        reason = target.skip_reason(mode, version)
        if reason:
            return reason
    return None
