"""The run's settings, read from behave's -D user data and checked before anything starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from harness.errors import ConfigError
from harness.matrix import MODES, SPARK_VERSIONS, check_mode, check_target, check_version

GPU_CHOICES = ("auto", "simulated")
ISOLATION_CHOICES = ("auto", "off")
KNOWN_KEYS = ("target", "gpu", "mlflow_port", "modes", "versions", "namespace", "mlops_image", "isolation")


@dataclass(frozen=True)
class RunConfig:
    target: str = "local"
    gpu: str = "auto"
    mlflow_port: int | None = None
    modes: tuple[str, ...] = MODES
    versions: tuple[str, ...] = SPARK_VERSIONS
    namespace: str | None = None
    mlops_image: str | None = None  # (k8s) repository:tag of the MLOps API image built from services/mlops_api
    isolation: str = "auto"  # (local) "auto": the chart's pods isolated where this machine can; "off": never

    def selected(self, mode: str, version: str) -> str | None:
        """Why a matrix cell is left out of this run, or None when it is in."""
        if mode not in self.modes:
            return f"mode {mode} not selected (-D modes={','.join(self.modes)})"
        if version not in self.versions:
            return f"Spark {version} not selected (-D versions={','.join(self.versions)})"
        return None


def _split(raw: str, check: type[object] | object) -> tuple[str, ...]:
    return tuple(check(item.strip()) for item in raw.split(",") if item.strip())  # type: ignore[operator]


def parse_userdata(userdata: Mapping[str, str]) -> RunConfig:
    unknown = sorted(set(userdata) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(f"unknown option -D {unknown[0]}", f"known options: {', '.join(KNOWN_KEYS)}")
    gpu = userdata.get("gpu", "auto")
    if gpu not in GPU_CHOICES:
        raise ConfigError(f"unknown gpu setting '{gpu}'", f"use one of: {', '.join(GPU_CHOICES)}")
    if gpu == "simulated" and userdata.get("target") == "k8s":
        raise ConfigError("gpu=simulated runs on the local target only: on a cluster the GPU rows ask for real "
                          "nvidia.com/gpu", "leave -D gpu out with -D target=k8s")
    isolation = userdata.get("isolation", "auto")
    if isolation not in ISOLATION_CHOICES:
        raise ConfigError(f"unknown isolation setting '{isolation}'", f"use one of: {', '.join(ISOLATION_CHOICES)}")
    port_text = userdata.get("mlflow_port")
    if port_text is not None and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise ConfigError(f"mlflow_port '{port_text}' is not a port number", "give a number from 1 to 65535")
    return RunConfig(
        target=check_target(userdata.get("target", "local")),
        gpu=gpu,
        mlflow_port=int(port_text) if port_text else None,
        modes=_split(userdata["modes"], check_mode) if "modes" in userdata else MODES,
        versions=_split(userdata["versions"], check_version) if "versions" in userdata else SPARK_VERSIONS,
        namespace=userdata.get("namespace"),
        mlops_image=_image(userdata["mlops_image"]) if "mlops_image" in userdata else None,
        isolation=isolation,
    )


def _image(text: str) -> str:
    repository, _, tag = text.rpartition(":")
    if not repository or not tag or "/" in tag:
        raise ConfigError(f"mlops_image '{text}' is not <repository>:<tag>",
                          "build services/mlops_api/Dockerfile, push it, and name it as registry/name:tag")
    return text
