"""The run folder as the temporary directory of the suite and of everything it starts.

Libraries leave temporary folders behind: MLflow copies a model it loads by URI into a fresh mkdtemp() and
never removes it (about 6 MB a training scenario), Spark Connect keeps a model cache under java.io.tmpdir.
With TMPDIR (and Spark drivers' java.io.tmpdir) inside the run folder they go when the run folder goes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def redirect_temp_dir(folder: Path) -> Callable[[], None]:
    """Make `folder` the temporary directory of this process and of the processes it starts from now on;
    returns what puts the previous one back."""
    folder.mkdir(exist_ok=True)
    folder.chmod(0o1777)  # as /tmp: services that run as another user (PostgreSQL) may write there
    previous_env, previous_module = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(folder)

    def restore() -> None:
        if previous_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous_env
        tempfile.tempdir = previous_module

    return restore


def java_temp_option() -> str:
    """A JVM option that puts java.io.tmpdir where Python's temporary files go."""
    return f"-Djava.io.tmpdir={tempfile.gettempdir()}"
