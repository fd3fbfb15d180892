"""One Python environment per requirement set, built once and kept in the environment folder.

An environment layers the job's requirements over the service's own Python (pyspark's and MLflow's packages)
with a .pth file, so a build installs only what the job adds and the platform's pins hold for it too. A file
lock makes one build of each, however many jobs (or replicas sharing the folder) ask at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

PIP_TIMEOUT_S = 900
LAYOUT = "overlay-3"  # part of the key: a change to how environments are built makes new ones


class RequirementsFailed(Exception):
    """pip could not install the requirements; the message carries pip's own words."""


@dataclass(frozen=True)
class JobEnvironment:
    path: Path
    requirements: tuple[str, ...]
    built_now: bool  # False: found ready

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.path / "bin"


def environment_key(requirements: tuple[str, ...], spark_version: str) -> str:
    text = "\n".join([LAYOUT, sys.executable, f"spark=={spark_version}", *sorted(r.strip() for r in requirements)])
    return f"spark-{spark_version}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _wrap_console_scripts(bin_dir: Path) -> None:
    """The service's commands (mlflow, uvicorn, ...) on the environment's Python, so that what they load (a
    model's flavor, say) finds the job's requirements too."""
    own_bin = Path(sys.executable).parent
    for script in own_bin.iterdir():
        target = bin_dir / script.name
        if target.exists() or not script.is_file():
            continue
        with open(script, "rb") as head:
            if head.readline().strip() != f"#!{sys.executable}".encode():
                continue
        target.write_text(f'#!/bin/sh\nexec "{bin_dir / "python"}" "{script}" "$@"\n')
        target.chmod(0o755)


def _build(path: Path, requirements: tuple[str, ...]) -> None:
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
    site = next(path.glob("lib/python*/site-packages"))
    (site / "platform-runtime.pth").write_text(f"{sysconfig.get_paths()['purelib']}\n")
    _wrap_console_scripts(path / "bin")
    if requirements:
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--no-input", "--prefix", str(path), *requirements], capture_output=True, text=True,
                              timeout=PIP_TIMEOUT_S, check=False)
        if done.returncode != 0:
            shutil.rmtree(path, ignore_errors=True)
            errors = " ".join(line.strip() for line in done.stderr.splitlines() if line.startswith("ERROR"))
            raise RequirementsFailed(f"pip could not install {', '.join(requirements)}: "
                                     f"{errors or done.stderr.strip()[-600:]}")
    (path / ".complete").write_text("\n".join(requirements) + "\n")


def ensure_environment(root: Path, requirements: tuple[str, ...], spark_version: str) -> JobEnvironment:
    """The environment for these requirements, built first if needed (`.complete` is written last, so an
    interrupted or failed build is never used)."""
    path = root / environment_key(requirements, spark_version)
    if (path / ".complete").exists():
        return JobEnvironment(path, requirements, built_now=False)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (path / ".complete").exists():
            return JobEnvironment(path, requirements, built_now=False)
        _build(path, requirements)
    return JobEnvironment(path, requirements, built_now=True)
