"""behave hooks: read -D options, share one target per run, give each scenario a fresh world, clean up."""

from __future__ import annotations

import os
import time
from collections import Counter

from behave.model import Feature, Scenario, Status

from harness import timings
from harness.config import parse_userdata
from harness.matrix_grid import MatrixGrid
from harness.progress import console
from harness.run_files import SHARD_ENV, matrix_records, shard_ledger
from harness.timings import REPORTS
from harness.system.memory import MemoryPeak
from harness.system.process import stop_on_interrupts
from harness.targets import make_target
from support.reporting import (attach_failure_evidence, attach_matrix, keep_service_logs, skip_with_reason,
                               write_allure_environment)
from support.scenario import new_world, skip_reason

MATRIX_TAG = "matrix"  # the scenarios that fill the mode x version grid
SIMULATED_GPU_TAG = "needs-simulated-gpu"


def before_all(context) -> None:
    stop_on_interrupts()  # behave aborts and after_all cleans up
    context.run_config = parse_userdata(context.config.userdata)
    context.target = make_target(context.run_config)
    context.outcomes = Counter(passed=0, failed=0, skipped=0)
    context.failures = []  # "path:line name" of each failed scenario, for the summary that ends the run
    context.matrix = MatrixGrid()
    context.shard = os.environ.get(SHARD_ENV)  # one of make acceptance's processes side by side, or None
    context.memory = MemoryPeak()
    if context.shard is None:  # else the runner measures both processes together
        context.memory.start()
    context.started = time.monotonic()
    console.print(f"target: [bold]{context.target.name}[/]")


def before_feature(context, feature: Feature) -> None:
    selected = [scenario for scenario in feature.walk_scenarios() if scenario.should_run(context.config)]
    context.last_scenario = selected[-1] if selected else None  # of those --name or --tags leave to run


def before_scenario(context, scenario: Scenario) -> None:
    """The one place that decides a skip: the scenario's @needs-* tags and the matrix cell its steps name."""
    context.world = new_world(context, scenario.name, [step.name for step in scenario.all_steps])
    context.add_cleanup(context.world.close)
    reason = skip_reason(context.target, list(scenario.effective_tags), context.world.cells)
    if reason:
        skip_with_reason(context, scenario, reason)


def after_scenario(context, scenario: Scenario) -> None:
    if scenario.status == Status.failed:
        attach_failure_evidence(context)
    outcome = {Status.passed: "passed", Status.skipped: "skipped"}.get(scenario.status, "failed")
    context.outcomes[outcome] += 1
    if outcome == "failed":
        context.failures.append(f"{scenario.location.relpath()}:{scenario.location.line} {scenario.name}")
    if MATRIX_TAG in scenario.effective_tags:
        if outcome == "passed" and SIMULATED_GPU_TAG in scenario.effective_tags:
            outcome = "simulated"  # its own state in the grid: never the green of a pass on real GPUs
        for mode, version in context.world.cells:
            context.matrix.record(mode, version, outcome, scenario.duration, scenario.skip_reason or "")
        if scenario is context.last_scenario:
            attach_matrix(context.matrix)  # the feature's last row carries the whole grid into the report


def after_all(context) -> None:
    target = getattr(context, "target", None)
    if target is None:
        return
    try:
        write_allure_environment(context, target.environment())
        context.memory.stop()
        ledger = timings.LEDGER if context.shard is None else shard_ledger(context.shard)
        memory = context.memory.as_dict() if context.shard is None else None
        timings.write(ledger, time.monotonic() - context.started, memory, dict(context.outcomes),
                      context.failures)
        keep_service_logs(target.service_logs(), context.shard)
    finally:
        target.close()
    if context.matrix.recorded:
        if context.shard is None:
            context.matrix.publish(REPORTS)
        else:  # the runner makes one grid of every process's records
            context.matrix.save_records(matrix_records(context.shard))
    counts = context.outcomes
    console.print(f"acceptance: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped",
                  markup=False)
    if context.shard is None:
        console.print(context.memory.text(), markup=False)


