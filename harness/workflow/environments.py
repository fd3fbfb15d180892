"""One Python environment per requirement set and Spark version, built once and cached beside the Spark
runtimes. It layers the job's requirements over the Spark runtime (pyspark, MLflow) with a .pth file, so a
build installs only what the job adds, and the runtime's pins (numpy<2 on Spark 3.5) hold for it too."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.errors import SuiteError
from harness.spark.runtimes import SparkRuntime
from harness.system.tools import CACHE_DIR

ENV_ROOT = CACHE_DIR / "job-envs"
PIP_TIMEOUT_S = 900
LAYOUT = "overlay-2"  # part of the key: a change to how environments are built makes new ones


class RequirementsFailed(SuiteError):
    """pip could not install the job's requirements; the message carries pip's own words."""


@dataclass(frozen=True)
class JobEnvironment:
    path: Path
    requirements: tuple[str, ...]
    built_now: bool  # False: found in the cache

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """`base` with this environment's commands first on PATH."""
        return {**base, "PATH": f"{self.path / 'bin'}:{base.get('PATH', '')}"}


def environment_key(requirements: tuple[str, ...], spark_version: str) -> str:
    text = "\n".join([LAYOUT, f"spark=={spark_version}", *sorted(r.strip() for r in requirements)])
    return f"spark-{spark_version}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _wrap_console_scripts(runtime: SparkRuntime, bin_dir: Path) -> None:
    """The runtime's commands (mlflow, uvicorn, ...) on this environment's Python, so that what they load (a
    model's flavor, say) finds the job's requirements too."""
    for script in runtime.bin.iterdir():
        target = bin_dir / script.name
        if target.exists() or not script.is_file():
            continue
        with open(script, "rb") as head:
            if head.readline().strip() != f"#!{runtime.python}".encode():
                continue
        target.write_text(f'#!/bin/sh\nexec "{bin_dir / "python"}" "{script}" "$@"\n')
        target.chmod(0o755)


def ensure_environment(runtime: SparkRuntime, requirements: tuple[str, ...], root: Path = ENV_ROOT) -> JobEnvironment:
    """The cached environment for these requirements, built first if needed (`.complete` is written last, so an
    interrupted or failed build is never used)."""
    path = root / environment_key(requirements, runtime.version)
    if (path / ".complete").exists():
        return JobEnvironment(path, requirements, built_now=False)
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with progress.step(f"building the job environment {path.name} ({', '.join(requirements) or 'no requirements'})"):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
        site = next(path.glob("lib/python*/site-packages"))
        (site / "spark-runtime.pth").write_text(f"{runtime.spark_home.parent}\n")
        _wrap_console_scripts(runtime, path / "bin")
        if requirements:
            done = subprocess.run([str(runtime.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                   "--prefix", str(path), *requirements], capture_output=True, text=True,
                                  timeout=PIP_TIMEOUT_S, check=False)
            if done.returncode != 0:
                shutil.rmtree(path, ignore_errors=True)
                message = " ".join(line.strip() for line in done.stderr.splitlines() if line.startswith("ERROR"))
                raise RequirementsFailed(f"pip could not install {', '.join(requirements)}: "
                                         f"{message or done.stderr.strip()[-400:]}", "fix the requirements")
        (path / ".complete").write_text("\n".join(requirements) + "\n")
    return JobEnvironment(path, requirements, built_now=True)
