"""One Python environment per Spark version, with that pyspark release and the MLflow client, built once
and cached outside the repository (the suite's own environment never imports pyspark)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.errors import SuiteError
from harness.matrix import check_version
from harness.spark import bytecode_zip
from harness.system import tools
from harness.system.temp_dir import java_temp_option
from harness.system.venvs import ensure_venv

RUNTIME_ROOT = tools.CACHE_DIR / "spark-runtimes"
MLFLOW_PIN = "mlflow==3.17.2"
PYICEBERG_PIN = "pyiceberg[sql-postgres,pyarrow]==0.12.0"
# pyspark 3.5 pins numpy<2, but its [connect] extra would pull a pyarrow that needs numpy 2.
SPARK_35_PINS = ("numpy<2", "pandas<2.3", "pyarrow<19")
# The only Iceberg Spark runtime on PyPI (for Spark 3.5; see harness/spark/iceberg_runtime.py).
ICEBERG_35_PIN = "snowpark-connect-deps-iceberg==1.0.3"


def requirements(version: str) -> list[str]:
    pins = [f"pyspark[connect,ml]=={check_version(version)}", MLFLOW_PIN, PYICEBERG_PIN]
    if version.startswith("3.5."):
        pins += [*SPARK_35_PINS, ICEBERG_35_PIN]
    return pins


def runtime_key(version: str) -> str:
    digest = hashlib.sha256("\n".join(requirements(version)).encode()).hexdigest()[:10]
    return f"spark-{version}-{digest}"


@dataclass(frozen=True)
class SparkRuntime:
    version: str
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def spark_home(self) -> Path:
        found = sorted(self.venv.glob("lib/python*/site-packages/pyspark"))
        if not found:
            raise SuiteError(f"the Spark {self.version} runtime at {self.venv} has no pyspark",
                             f"delete {self.venv} and run again to rebuild it")
        return found[0]

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for Spark programs of this version. The venv's bin comes first on PATH (spark-submit
        fails with "'NoneType' object has no attribute 'origin'" otherwise) and Spark binds loopback only.
        Python may cache bytecode: the runtime is installed without it, and compiling pyspark and MLflow at
        every job start would cost seconds a job."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("SPARK_", "PYSPARK_")) and key != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            SPARK_HOME=str(self.spark_home),
            SPARK_LOCAL_IP="127.0.0.1",
            PYSPARK_PYTHON=str(self.python),
            PYSPARK_DRIVER_PYTHON=str(self.python),
            VIRTUAL_ENV=str(self.venv),
            SPARK_SUBMIT_OPTS=java_temp_option(),  # a driver's (and the Connect server's) java.io.tmpdir
        )
        env.update(extra)
        return env


def ensure_runtime(version: str, root: Path = RUNTIME_ROOT) -> SparkRuntime:
    """The cached runtime for `version`, built first if needed."""
    tools.java()
    venv = ensure_venv(root / runtime_key(version), requirements(version),
                       f"the Spark {version} runtime (pyspark + {MLFLOW_PIN})")
    runtime = SparkRuntime(version, venv)
    _compile_python_zips(runtime)
    return runtime


def _compile_python_zips(runtime: SparkRuntime) -> None:
    """Bytecode into the zips Spark's Python processes import pyspark from (see bytecode_zip: about 1.5 s
    saved at each driver and worker start; 10-12 s once per runtime)."""
    pending = [str(archive) for archive in sorted((runtime.spark_home / "python" / "lib").glob("*.zip"))
               if not bytecode_zip.has_bytecode(archive)]
    if not pending:
        return
    with progress.step(f"compiling the bytecode of Spark {runtime.version}'s Python zips (once)"):
        done = subprocess.run([str(runtime.python), bytecode_zip.__file__, *pending],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SuiteError(f"could not compile the Python zips of the Spark {runtime.version} runtime",
                         f"delete {runtime.venv} and run again to rebuild it; Python said:\n"
                         + done.stderr.strip()[-1500:])
