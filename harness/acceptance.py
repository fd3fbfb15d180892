"""`make acceptance`: the features in two behave processes side by side, the Spark matrix and the others.

A run spends much of its time waiting on services, JVMs and jobs: one behave process kept this machine's 2
cores 73 % busy on average (20-s samples over a whole run), two processes on disjoint features 89 %. Each is a
whole run of its own (its own target, run folder, free ports, platform); both write Allure results into one
folder (allure-behave names its files by uuid), and their terminal lines come out prefixed with the process's
name.

A run that names features to run, fixes the MLflow port or the namespace, or targets a cluster stays one
process: two would compete for that port, namespace or cluster, and a named selection is usually small.

Every run leaves reports/rerun.txt, behave's list of the scenarios that failed (file:line), and the -D options
it ran with; `--rerun` (`make rerun`) runs exactly those scenarios with those options, one process, and lays
its outcomes over the last run's grid; its Allure results join the last run's (Allure shows them as retries).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Sequence

from rich.markup import escape

from harness import timings
from harness.allure_meta import RUN_NUMBER, next_run_number, write_run_meta
from harness.config import parse_userdata
from harness.errors import ConfigError
from harness.matrix_grid import RECORDS_JSON, MatrixGrid, show_whole_run
from harness.progress import console
from harness.run_files import SHARD_ENV, matrix_records, shard_ledger
from harness.system.memory import MemoryPeak
from harness.system.process import stop_on_interrupts
from harness.waits import SHARDS_STOP_S

REPO = Path(__file__).resolve().parents[1]
FEATURES = REPO / "features"
REPORTS = timings.REPORTS
SERVICE_LOGS = REPORTS / "service-logs"
# In one process the matrix took 15.2 of the scenarios' 26.8 minutes, the training workflow 4.3, the rest 7.3.
# In two (2026-12-03, empty home): matrix 13.7 min, others 11.5, so the MLflow-project scenario (40 s on
# Spark 4.1.1) became a feature of its own and ran with the others. The MLOps API's and the Spark-security
# scenarios (2026-12-06) made the others the longer (12.7 min to the matrix's 10.0; in `make smoke` 4.2 to 3),
# so the project runs beside the matrix again. With single sign-on (three CI runs that day) the others still
# took 1.8-2 min longer (scenarios: matrix 13.9 min, others 16.2), so the Spark-security feature (0.4 min, on
# the Spark the matrix runs) and the upgrade (1.3 min) run beside the matrix too.
MATRIX_FEATURES = ("spark_matrix.feature", "mlflow_projects.feature", "spark_security.feature",
                   "mlflow_upgrade.feature")
COMMAND_ENV = "SPEC_COMMAND"  # the make command that started the run, for the report's executor
ALLURE_FORMAT = "allure_behave.formatter:AllureFormatter"
# Options whose value forbids a second process beside the first (see the module's docstring).
SINGLE_PROCESS_DEFINES = ("mlflow_port", "namespace")
RERUN = REPORTS / "rerun.txt"  # the last run's failed scenarios, as behave's rerun formatter writes them
RERUN_DEFINES = REPORTS / "rerun-defines.json"  # the -D options of the run that wrote it
# Through a pipe: lines as they are printed (not a buffer at a time), as wide as a terminal would have them.
RELAYED_OUTPUT = {"PYTHONUNBUFFERED": "1", "COLUMNS": "160"}


@dataclass(frozen=True)
class Shard:
    name: str
    paths: tuple[str, ...]  # feature files; empty: behave's own `paths` (every feature)


def _split_defines(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the -D NAME=VALUE values, every other argument), read as behave's own parser spells them."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-D", "--define", action="append", default=[])
    known, rest = parser.parse_known_args(list(args))
    return known.define, rest


def defines(args: Sequence[str]) -> dict[str, str]:
    """The -D NAME=VALUE options among behave's arguments."""
    return dict(value.partition("=")[::2] for value in _split_defines(args)[0] if "=" in value)


def names_features(args: Sequence[str]) -> bool:
    return any(re.search(r"\.feature(:\d+)*$", arg) or arg.rstrip("/") == "features" for arg in args)


def plan(args: Sequence[str], features: Path = FEATURES) -> list[Shard]:
    """Two shards (the matrix and the other features) or, where two processes cannot share the run, one."""
    options = defines(args)
    if (names_features(args) or options.get("target", "local") != "local"
            or any(name in options for name in SINGLE_PROCESS_DEFINES)):
        return [Shard("all", ())]
    everything = sorted(features.glob("*.feature"))
    matrix = tuple(str(path) for path in everything if path.name in MATRIX_FEATURES)
    others = tuple(str(path) for path in everything if path.name not in MATRIX_FEATURES)
    return [Shard(name, paths) for name, paths in (("matrix", matrix), ("others", others)) if paths]


def behave_command(shard: Shard, args: Sequence[str], results: Path, alone: bool,
                   reports: Path = REPORTS) -> list[str]:
    """behave with Allure results into `results`; pretty on the terminal, without colours beside another
    process (coloured pretty rewrites its lines in place, which interleaved output would garble)."""
    colour = [] if alone else ["--no-color"]
    return [str(Path(sys.executable).with_name("behave")), *args, "-f", ALLURE_FORMAT, "-o", str(results),
            "-f", "rerun", "-o", str(rerun_list(shard.name, reports)),
            "-f", "pretty", "-o", "-", *colour, *shard.paths]


def rerun_list(name: str, reports: Path = REPORTS) -> Path:
    """Where behave's rerun formatter of the process `name` writes its failed scenarios."""
    return reports / f"rerun-{name}.txt"


def merge_rerun_lists(shards: list[Shard], defines_: dict[str, str], reports: Path = REPORTS) -> list[str]:
    """One reports/rerun.txt of the processes' lists (each removed once read), and the run's -D options."""
    failed = []
    for shard in shards:
        part = rerun_list(shard.name, reports)
        if part.exists():
            failed += [line for line in part.read_text().splitlines() if line.strip() and not line.startswith("#")]
            part.unlink()
    (reports / RERUN.name).write_text("".join(f"{line}\n" for line in failed))
    (reports / RERUN_DEFINES.name).write_text(json.dumps(defines_))
    return failed


def rerun_args(args: Sequence[str], reports: Path = REPORTS) -> list[str] | None:
    """behave's arguments for the last run's failed scenarios with its -D options (those in `args` win);
    None when nothing failed or no run left a list."""
    failed = reports / RERUN.name
    if not failed.exists() or not failed.read_text().strip():
        return None
    saved = json.loads((reports / RERUN_DEFINES.name).read_text()) if (reports / RERUN_DEFINES.name).exists() else {}
    options = {**saved, **defines(args)}
    # The locations themselves: behave's own `@file` argument would look for the steps beside that file.
    return [*(arg for name, value in options.items() for arg in ("-D", f"{name}={value}")), *_split_defines(args)[1],
            *failed.read_text().split()]


def _relay(stream: IO[str], prefix: str, lock: threading.Lock) -> None:
    for line in stream:
        with lock:
            sys.stdout.write(f"{prefix}{line}")
            sys.stdout.flush()


def _stop(processes: list[subprocess.Popen[str]]) -> None:
    """One SIGINT each (behave then runs its cleanup), SIGKILL to the group of any that outlives the wait."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + SHARDS_STOP_S
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(results: Path, args: Sequence[str], features: Path = FEATURES, rerun: bool = False,
        reports: Path = REPORTS) -> int:
    """Run the shards, relay their output, merge their ledgers; the first failing shard's exit status."""
    try:
        parse_userdata(defines(args))  # a bad option: one line here rather than one from each process
    except ConfigError as problem:
        console.print(f"[red]{problem}[/]")
        return 2
    if rerun:
        chosen = rerun_args(args, reports)
        if chosen is None:
            console.print(f"nothing to rerun: no scenario failed in the last run ({reports / RERUN.name} is empty "
                          "or missing)")
            return 0
        args, shards = chosen, [Shard("rerun", ())]
    else:
        shards = plan(args, features)
        (reports / RECORDS_JSON).unlink(missing_ok=True)  # a rerun lays its cells over this run's grid only
    alone = len(shards) == 1 and not rerun  # a rerun's grid and ledger are laid over the last run's
    write_run_meta(results, REPO, os.environ.get(COMMAND_ENV) or " ".join(["behave", *args]),
                   next_run_number(reports / RUN_NUMBER.name))
    if len(shards) > 1:
        console.print("two behave processes side by side: " + "; ".join(
            f"{shard.name}: {', '.join(Path(path).stem for path in shard.paths)}" for shard in shards))
    if not alone:
        shutil.rmtree(SERVICE_LOGS, ignore_errors=True)  # each process keeps its logs in a folder of its own
    width = max(len(shard.name) for shard in shards)
    memory = MemoryPeak()  # a lone behave measures its own
    started = time.monotonic()
    lock = threading.Lock()
    processes: list[subprocess.Popen[str]] = []
    relays: list[threading.Thread] = []
    try:
        if not alone:
            memory.start()
        for shard in shards:
            # A session of its own: Ctrl-C reaches this runner only, which passes one SIGINT on to each (a
            # second one could cut behave's cleanup short).
            env = os.environ if alone else {**os.environ, SHARD_ENV: shard.name, **RELAYED_OUTPUT}
            process = subprocess.Popen(behave_command(shard, args, results, alone, reports), cwd=REPO, text=True,
                                       env=env, stdout=None if alone else subprocess.PIPE,
                                       stderr=None if alone else subprocess.STDOUT, start_new_session=True)
            processes.append(process)
            if process.stdout is not None:
                relay = threading.Thread(target=_relay, args=(process.stdout, f"{shard.name:>{width}} | ", lock),
                                         daemon=True)
                relay.start()
                relays.append(relay)
        codes = [process.wait() for process in processes]
    except KeyboardInterrupt:
        console.print("stopping behave (it cleans up what it started)")
        _stop(processes)
        codes = [130]
    finally:
        for relay in relays:
            relay.join(10)
        memory.stop()
    if not alone:
        _summarize(shards, results, time.monotonic() - started, memory, reports, rerun)
    failed = merge_rerun_lists(shards, defines(args), reports)
    if failed:
        console.print(f"{len(failed)} failed scenarios listed in {reports / RERUN.name}: `make rerun` runs "
                      "exactly those")
    return next((code for code in codes if code != 0), 0)


def _summarize(shards: list[Shard], results: Path, wall_s: float, memory: MemoryPeak,
               reports: Path = REPORTS, rerun: bool = False) -> None:
    """One ledger, one matrix grid (on the terminal, in `reports` and in the Allure results) and a summary of
    the processes' parts whose last lines name the failed scenarios (what a log's tail must show)."""
    grid = MatrixGrid.merged([matrix_records(shard.name, reports) for shard in shards])
    if rerun:
        grid = MatrixGrid.rerun_over(reports / RECORDS_JSON, grid)
    if grid.recorded:
        grid.publish(reports)
        show_whole_run(results, grid)
    ledger = timings.merge([shard_ledger(shard.name, reports) for shard in shards], reports / timings.LEDGER.name,
                           wall_s, memory.as_dict())
    outcomes = ledger.get("outcomes", {})
    console.print(f"acceptance, {'the rerun' if rerun else 'both processes'}: {outcomes.get('passed', 0)} passed, "
                  f"{outcomes.get('failed', 0)} failed, {outcomes.get('skipped', 0)} skipped in {wall_s / 60:.1f} min",
                  markup=False)
    console.print(memory.text(), markup=False)
    for failure in ledger.get("failures", []):
        console.print(f"[red]failed:[/] {escape(failure)}")


def main(argv: list[str]) -> int:
    """argv: the Allure results folder, `--rerun` for the last run's failed scenarios, then behave's arguments."""
    stop_on_interrupts()
    rerun = len(argv) > 1 and argv[1] == "--rerun"
    return run(Path(argv[0]), argv[2:] if rerun else argv[1:], rerun=rerun)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
