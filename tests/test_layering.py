"""The harness's import layers: a package or module imports only from its own layer or a lower one, never up,
and no two of them import each other, however far round (Kubernetes' e2e framework keeps such rules in an
import-restrictions file). A new module is placed in a layer here, with the others it may use."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "harness"

# Lowest first. A unit is a top-level module or package of harness/.
LAYERS: list[set[str]] = [
    {"errors", "timings", "matrix", "names", "endpoints", "waits", "run_files"},  # plain facts every layer may use
    {"progress", "config", "allure_meta", "matrix_grid", "system"},  # the console, options, processes, tools
    {"stores", "chart"},  # PostgreSQL and S3 as local services; the chart rendered and run as containers
    {"mlflow"},  # the tracking server: its API, its processes, its backups
    {"spark", "production"},  # Spark runtimes and jobs; seed 003's deployment
    {"workflow"},  # the MLOps API's client and its local pod
    {"targets", "prebuild"},  # the two targets that bring a whole platform up
    {"world", "recovery", "doctor", "platform_cli", "acceptance", "report_suites"},  # what steps and commands use
]


def unit_of(module: str) -> str:
    return module.split(".")[1]


def imports() -> dict[str, dict[str, set[str]]]:
    """unit -> unit it imports -> the files that do."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in HARNESS.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == HARNESS:
            continue
        source = unit_of(".".join(path.relative_to(HARNESS.parent).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "harness":
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("harness."):
                targets = [unit_of(node.module)]
            elif isinstance(node, ast.Import):
                targets = [unit_of(alias.name) for alias in node.names if alias.name.startswith("harness.")]
            else:
                continue
            for target in targets:
                if target != source:
                    found[source][target].add(str(path.relative_to(HARNESS.parent)))
    return found


def layer_of(unit: str) -> int:
    return next(index for index, layer in enumerate(LAYERS) if unit in layer)


def test_every_unit_of_the_harness_has_a_layer():
    units = {path.stem if path.is_file() else path.name for path in HARNESS.iterdir()
             if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()}
    placed = set().union(*LAYERS)
    assert units - placed == set(), f"place these in a layer of tests/test_layering.py: {sorted(units - placed)}"
    assert placed - units == set(), f"no such units any more: {sorted(placed - units)}"


def test_no_import_points_up_a_layer():
    upward = [f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)}) in {sorted(files)}"
              for source, targets in imports().items() for target, files in targets.items()
              if layer_of(target) > layer_of(source)]
    assert upward == [], "\n".join(upward)


def test_no_two_units_import_each_other_however_far_round():
    graph = {source: set(targets) for source, targets in imports().items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(next_unit == goal or (next_unit not in seen and reaches(next_unit, goal, seen | {next_unit}))
                   for next_unit in graph.get(start, ()))

    cycles = sorted(f"{source} -> {target} -> ... -> {source}" for source, targets in graph.items()
                    for target in targets if reaches(target, source, {target}))
    assert cycles == [], "\n".join(cycles)
