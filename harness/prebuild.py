"""`make setup`'s last step: every cached Python environment the suite runs, built at once if missing: the
four Spark runtimes and MLflow 2.14 for the upgrade scenario. The builds share uv's cache and overlap their
downloads (cold: about 55 s for all five, against about 20 s for one runtime alone); built ones cost nothing."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Callable

from harness import progress
from harness.errors import SuiteError
from harness.matrix import SPARK_VERSIONS
from harness.mlflow.legacy import legacy_venv
from harness.spark.runtimes import ensure_runtime


def main(versions: list[str]) -> int:
    builds: list[Callable[[], object]] = [partial(ensure_runtime, version) for version in versions]
    builds.append(legacy_venv)
    with ThreadPoolExecutor(len(builds)) as pool:
        futures = [pool.submit(build) for build in builds]
    problems = [future.exception() for future in futures if future.exception() is not None]
    for problem in problems:
        if not isinstance(problem, SuiteError):
            raise problem
        progress.console.print(f"[bold red]x[/] {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(SPARK_VERSIONS)))
