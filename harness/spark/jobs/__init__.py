"""Programs that run inside a Spark runtime (not the suite's environment): jobs a scenario submits."""

from pathlib import Path

JOBS_DIR = Path(__file__).resolve().parent
