"""The Iceberg Spark runtime where this machine can have one: Spark 3.5, from PyPI's
snowpark-connect-deps-iceberg (installed into the 3.5 runtimes), with the Jackson it was stripped of put back
by relocating Spark's own, and Debian's PostgreSQL JDBC driver for the chart's JDBC catalog.
No Iceberg runtime for Spark 4.1 can be had here: those rows read the snapshot with pyiceberg."""

from __future__ import annotations

from pathlib import Path

from harness.spark.relocate import relocate_jars
from harness.errors import ToolMissing
from harness.spark.runtimes import ICEBERG_35_PIN, SparkRuntime
from harness.system import tools

JACKSON = "com/fasterxml/jackson"
SHADED_JACKSON = "org/apache/iceberg/shaded/com/fasterxml/jackson"
JACKSON_JARS = ("jackson-core-*.jar", "jackson-databind-*.jar", "jackson-annotations-*.jar")


def supported(version: str) -> bool:
    return version.startswith("3.5.")


def iceberg_jars(runtime: SparkRuntime) -> tuple[Path, ...]:
    """The jars Spark needs for the chart's Iceberg catalog, or () where no runtime exists for the version."""
    if not supported(runtime.version):
        return ()
    packaged = sorted(runtime.spark_home.parent.glob(
        "snowpark_connect_deps_iceberg/jars/iceberg-spark-runtime-3.5_2.12-*.jar"))
    if not packaged:
        raise ToolMissing(f"the Spark {runtime.version} runtime has no Iceberg runtime jar ({ICEBERG_35_PIN})",
                                f"delete {runtime.venv} so that it is built again")
    shaded = runtime.venv / "iceberg-shaded-jackson.jar"
    if not shaded.exists():
        jars = runtime.spark_home / "jars"
        relocate_jars([path for pattern in JACKSON_JARS for path in sorted(jars.glob(pattern))],
                      JACKSON, SHADED_JACKSON, shaded)
    return packaged[-1], shaded, tools.postgres_jdbc_driver()
