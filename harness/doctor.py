"""`make doctor`: is this machine ready for the suite? One line per need, with the fix for what is missing."""

from __future__ import annotations

import shutil
import sys
from typing import Callable

import psutil
from rich.console import Console

from harness.errors import SuiteError
from harness.matrix import SPARK_VERSIONS
from harness.mlflow.legacy import LEGACY_VERSION, legacy_venv_path
from harness.spark.runtimes import RUNTIME_ROOT, runtime_key
from harness.system import pods, sweeper, tools
from harness.system.venvs import uv

MIN_FREE_DISK_GB = 10
MIN_MEMORY_GB = 12


def _allure() -> str:
    generator = tools.CACHE_DIR / "allure" / "node_modules" / ".bin" / "allure"
    if not generator.exists():
        raise SuiteError("the Allure report generator is not installed", f"run 'make setup' (it installs it into {generator.parent})")
    return str(generator)


def _uv() -> str:
    return str(uv())


def _cached_environments() -> str:
    wanted = {f"Spark {version}": RUNTIME_ROOT / runtime_key(version) for version in SPARK_VERSIONS}
    wanted[f"MLflow {LEGACY_VERSION}"] = legacy_venv_path()
    missing = [name for name, venv in wanted.items() if not (venv / ".complete").exists()]
    if missing:
        raise SuiteError(f"not built: {', '.join(missing)}", "run 'make setup' (it builds them all at once, about a minute)")
    return f"{', '.join(wanted)} built under {tools.CACHE_DIR}"


def _disk() -> str:
    tools.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    free_gb = shutil.disk_usage(tools.CACHE_DIR).free / 1024**3
    if free_gb < MIN_FREE_DISK_GB:
        raise SuiteError(f"{free_gb:.0f} GiB free under {tools.CACHE_DIR}",
                         f"free at least {MIN_FREE_DISK_GB} GiB (Spark runtimes take about 1 GiB each)")
    return f"{free_gb:.0f} GiB free under {tools.CACHE_DIR}"


def _memory() -> str:
    total_gb = psutil.virtual_memory().total / 1024**3
    if total_gb < MIN_MEMORY_GB:
        raise SuiteError(f"{total_gb:.0f} GiB of memory", f"the whole suite peaks near 6 GiB; run part of the "
                         f"matrix (-D versions=4.1.1) on a machine with less than {MIN_MEMORY_GB} GiB")
    return f"{total_gb:.0f} GiB of memory"


def _stale_runs() -> str:
    stale = sweeper.stale_runs()
    if stale:
        raise SuiteError(f"{len(stale)} killed runs left folders (and maybe processes): {', '.join(map(str, stale))}",
                         "the next run sweeps them; or remove them after stopping what holds them")
    orphans = sweeper.orphan_networks()
    if orphans:
        raise SuiteError(f"pod networks of no live run are left: {', '.join(orphans)}",
                         "remove them: ip link del <smsbrN>; ip netns del <name>")
    return "no leftovers of killed runs"


def _pod_isolation() -> str:
    reason = pods.isolation_unavailable()
    # Not a problem: the local target then runs without isolation, and says so.
    return f"off on this machine: {reason}" if reason else "available (bubblewrap, network namespaces)"


CHECKS: dict[str, Callable[[], object]] = {
    "java": tools.java,
    "PostgreSQL server (initdb)": tools.postgres_bin_dir,
    "PostgreSQL JDBC driver": tools.postgres_jdbc_driver,
    "haproxy": tools.haproxy,
    "Chromium": tools.chromium,
    "helm": tools.helm,
    "Allure generator": _allure,
    "uv": _uv,
    "Spark runtimes and MLflow 2.14": _cached_environments,
    "disk": _disk,
    "memory": _memory,
    "pod isolation": _pod_isolation,
    "leftovers": _stale_runs,
}


def main() -> int:
    console = Console(highlight=False, soft_wrap=True)
    problems = 0
    for name, check in CHECKS.items():
        try:
            found = check()
        except SuiteError as problem:
            problems += 1
            console.print(f"[red]x[/] {name}: {problem}")
        else:
            console.print(f"[green]✓[/] {name}: {found}")
    console.print("ready" if not problems else f"{problems} problems: fix them, then run make acceptance")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
