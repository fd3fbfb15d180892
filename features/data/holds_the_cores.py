"""A job that keeps its executors (and so the workers' cores) until the file named by HOLD_UNTIL_FILE exists,
for at most ten minutes."""

import os
import time
from pathlib import Path

release = Path(os.environ["HOLD_UNTIL_FILE"])
deadline = time.monotonic() + 600
while not release.exists() and time.monotonic() < deadline:
    time.sleep(0.5)
