"""The platform at a glance (the seed's /mlops/status took ~35 s, its checks one after another): each service
is asked at once, with a short timeout, and answers reachable or not with the reason."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from mlops_api.mlflow_rest import MlflowRest
from mlops_api.spark_master import SparkMaster
from mlops_api.store import JobStore

CHECK_TIMEOUT_S = 2.0
# Two pools: a check waits for the calls it makes, so they must not wait for a place in its own pool.
_POOL = ThreadPoolExecutor(max_workers=6, thread_name_prefix="status-check")
_CALLS = ThreadPoolExecutor(max_workers=6, thread_name_prefix="status-call")


def _check(probe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"reachable": True, "reason": "", **probe()}
    except Exception as exc:  # any failure is the answer: unreachable, and why
        return {"reachable": False, "reason": f"{type(exc).__name__}: {exc}"[:300]}


def platform_status(mlflow: MlflowRest, master: SparkMaster, store: JobStore, max_running_jobs: int) -> dict[str, Any]:
    def mlflow_counts() -> dict[str, Any]:
        health = _CALLS.submit(mlflow.health, CHECK_TIMEOUT_S)
        models = _CALLS.submit(lambda: len(mlflow.registered_models()))
        experiments = _CALLS.submit(mlflow.active_experiments)
        if health.result() != "OK":
            raise RuntimeError(f"/health answered {health.result()!r}")
        return {"url": mlflow.base_url, "registered_models": models.result(),
                "active_experiments": experiments.result()}

    def spark() -> dict[str, Any]:
        state = master.state(CHECK_TIMEOUT_S)
        return {"master": state.get("url", ""), "status": state.get("status", ""),
                "alive_workers": int(state.get("aliveworkers", 0)),
                "free_cores": int(state.get("cores", 0)) - int(state.get("coresused", 0))}

    def jobs() -> dict[str, Any]:
        store.ping()
        return {"jobs": store.counts(), "max_running_jobs": max_running_jobs}

    checks = {name: _POOL.submit(_check, probe) for name, probe in
              (("mlflow", mlflow_counts), ("spark", spark), ("job_store", jobs))}
    answer = {name: future.result() for name, future in checks.items()}
    mlflow_answer = answer["mlflow"]
    return {"mlops_api": "accessible", "mlflow_available": mlflow_answer["reachable"],
            "registered_models": mlflow_answer.get("registered_models", 0),
            "active_experiments": mlflow_answer.get("active_experiments", 0), **answer}
