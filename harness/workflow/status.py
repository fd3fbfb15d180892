"""The platform at a glance (the seed's /mlops/status, which took 35 s there): gathered from the services'
own cheap endpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass

from harness.mlflow.api import ApiError, MlflowApi
from harness.spark.site import SparkSite


@dataclass(frozen=True)
class PlatformStatus:
    mlflow_reachable: bool
    registered_models: int
    active_experiments: int
    spark_alive_workers: int
    spark_free_cores: int
    seconds: float  # how long gathering it took


def platform_status(api: MlflowApi, site: SparkSite) -> PlatformStatus:
    started = time.perf_counter()
    try:
        reachable = api.health() == "OK"
        models, experiments = len(api.search_registered_models()), len(api.search_experiments())
    except (ApiError, OSError):
        reachable, models, experiments = False, 0, 0
    workers, free = site.free_cores()
    return PlatformStatus(reachable, models, experiments, workers, free, time.perf_counter() - started)
