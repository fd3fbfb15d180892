"""Python environments built once from pinned requirements and cached outside the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from harness import progress
from harness.errors import SuiteError


def ensure_venv(venv: Path, requirements: list[str], what: str) -> Path:
    """The venv at `venv` holding `requirements`, built first if needed. The `.complete` marker is written
    last, so an interrupted build is never mistaken for an environment: it is wiped and built again."""
    marker = venv / ".complete"
    if marker.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with progress.step(f"building {what} in {venv} (once)"):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                               "--disable-pip-version-check", *requirements],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise SuiteError(f"pip could not build {what}", "see the pip output:\n" + done.stderr.strip()[-1500:])
        marker.write_text("\n".join(requirements) + "\n")
    return venv
