"""Targets bring the platform up and answer with its endpoints; steps never ask which target they run on."""

from __future__ import annotations

from harness.config import RunConfig
from harness.endpoints import Platform
from harness.targets.base import Target


def make_target(config: RunConfig) -> Target:
    if config.target == "k8s":
        from harness.targets.k8s.target import K8sTarget

        return K8sTarget(config)
    from harness.targets.local import LocalTarget

    return LocalTarget(config)


__all__ = ["Platform", "Target", "make_target"]
