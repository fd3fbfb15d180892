"""The one table of what the platform supports: deployment modes x Spark versions."""

from __future__ import annotations

from harness.errors import ConfigError

MODES: tuple[str, ...] = ("k8s", "connect-k8s", "connect-standalone", "standalone-submit", "gpu", "iceberg")
SPARK_VERSIONS: tuple[str, ...] = ("3.5.7", "3.5.8", "4.1.0", "4.1.1")
TARGETS: tuple[str, ...] = ("local", "k8s")
# The cell the platform itself is installed as when no matrix row asks for another: MLflow, the MLOps API and
# every scenario that is not a row of the matrix run on it.
DEFAULT_CELL: tuple[str, str] = ("standalone-submit", SPARK_VERSIONS[-1])


def _choose(kind: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"unknown {kind} '{value}'", f"use one of: {', '.join(allowed)}")
    return value


def check_mode(mode: str) -> str:
    return _choose("mode", mode, MODES)


def check_version(version: str) -> str:
    return _choose("Spark version", version, SPARK_VERSIONS)


def check_target(target: str) -> str:
    return _choose("target", target, TARGETS)


def all_cells() -> list[tuple[str, str]]:
    return [(mode, version) for mode in MODES for version in SPARK_VERSIONS]
