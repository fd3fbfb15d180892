"""The one table of what the platform supports: deployment modes x Spark versions."""

from __future__ import annotations

from harness.errors import ConfigError

MODES: tuple[str, ...] = ("k8s", "connect-k8s", "connect-standalone", "standalone-submit", "gpu", "iceberg")
SPARK_VERSIONS: tuple[str, ...] = ("3.5.7", "3.5.8", "4.1.0", "4.1.1")
TARGETS: tuple[str, ...] = ("local", "k8s")

MODE_SUMMARY: dict[str, str] = {
    "k8s": "spark-submit with Kubernetes as the cluster manager",
    "connect-k8s": "Spark Connect server running on Kubernetes",
    "connect-standalone": "Spark Connect server attached to the standalone master",
    "standalone-submit": "spark-submit to the standalone master",
    "gpu": "executors scheduled on GPU resources",
    "iceberg": "training data read from an Iceberg table",
}


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


def spark_major_minor(version: str) -> str:
    return ".".join(check_version(version).split(".")[:2])


def all_cells() -> list[tuple[str, str]]:
    return [(mode, version) for mode in MODES for version in SPARK_VERSIONS]
