"""Python environments built once from pinned requirements and cached outside the repository.

They are built with uv (pinned in the suite's own environment), whose download and wheel cache under the
suite's cache folder is shared by every environment: a Spark runtime builds in about 20 s cold instead of the
two minutes pip took, and in seconds once its pyspark wheel is cached."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness import progress
from harness.errors import SuiteError
from harness.system import tools

UV_CACHE = tools.CACHE_DIR / "uv"
UV_TMPDIR = tools.CACHE_DIR / "uv-tmp"  # as scripts/setup.sh: uv's build locks stay beside its cache
# What `python -m venv` puts in, pinned: pip builds the job environments of the training workflow, and MLflow
# 2.14 imports pkg_resources, which setuptools 81 removed (uv's --seed would take the newest).
SEED_PACKAGES = ["pip==26.3", "setuptools==75.8.0"]
# pyspark is published as an sdist only: uv builds its wheel, and the default deflate of its 400 MB of jars
# (compressed already) cost 22 s of CPU a version for 9 % of size. Stored, the build takes 2 s (measured).
WHEEL_BUILD_SETTINGS = ["--config-setting=--build-option=--compression=stored"]


def uv() -> Path:
    """The uv of the suite's environment (installed by `make setup`)."""
    program = Path(sys.executable).parent / "uv"
    if not program.exists():
        raise SuiteError(f"uv is not installed beside {sys.executable}", tools.SETUP_HINT)
    return program


def uv_env() -> dict[str, str]:
    # The system's CA bundle: this machine's registries may be reached through a proxy that re-signs TLS.
    # No bytecode at install (it tripled the build): these environments' programs write the bytecode of what
    # they import on first use (SparkRuntime.env and the Makefile let them, even where PYTHONDONTWRITEBYTECODE is set).
    UV_TMPDIR.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "UV_CACHE_DIR": str(UV_CACHE), "UV_NATIVE_TLS": "1", "UV_NO_PROGRESS": "1",
            "TMPDIR": str(UV_TMPDIR)}


def ensure_venv(venv: Path, requirements: list[str], what: str) -> Path:
    """The venv at `venv` holding `requirements`, built first if needed. The `.complete` marker is written
    last, so an interrupted build is never mistaken for an environment: it is wiped and built again."""
    marker = venv / ".complete"
    if marker.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with progress.step(f"building {what} in {venv} (once)"):
        for command in ([str(uv()), "venv", "--quiet", "--python", sys.executable, str(venv)],
                        [str(uv()), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                         *WHEEL_BUILD_SETTINGS, *SEED_PACKAGES, *requirements]):
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=uv_env())
            if done.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                raise SuiteError(f"uv could not build {what}", "see uv's output:\n" + done.stderr.strip()[-1500:])
        marker.write_text("\n".join(requirements) + "\n")
    return venv
