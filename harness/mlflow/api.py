"""A small client for the MLflow REST API that keeps MLflow's error_code and times every call."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import requests

from harness import timings

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"


class ApiError(Exception):
    def __init__(self, method: str, path: str, status: int, error_code: str, message: str) -> None:
        super().__init__(f"{method} {path} -> {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code


@dataclass(frozen=True)
class Run:
    run_id: str
    experiment_id: str
    status: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    start_time: int = 0  # milliseconds since the epoch
    user_id: str = ""  # who the run says created it

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "Run":
        info, data = body["info"], body.get("data", {})
        return cls(
            run_id=info["run_id"],
            experiment_id=info["experiment_id"],
            status=info["status"],
            params={p["key"]: p["value"] for p in data.get("params", [])},
            metrics={m["key"]: m["value"] for m in data.get("metrics", [])},
            tags={t["key"]: t["value"] for t in data.get("tags", [])},
            start_time=int(info.get("start_time", 0)),
            user_id=str(info.get("user_id", "")),
        )


class MlflowApi:
    def __init__(self, base_url: str, auth: tuple[str, str] | None = None, timeout: float = 30,
                 verify: str | bool = True) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth
        # Passed with every request: a session-level CA file loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify = verify
        self.timeout = timeout
        self.latencies_ms: dict[str, list[float]] = defaultdict(list)
        self.last_response: dict[str, Any] | str | None = None

    # -- transport ---------------------------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = self.session.request(method, self.base_url + path, timeout=self.timeout, verify=self.verify,
                                        **kwargs)
        elapsed = time.perf_counter() - started
        timings.record(timings.API_CALLS, elapsed)
        self.latencies_ms[f"{method} {path}"].append(elapsed * 1000)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        self.last_response = body
        if response.status_code >= 400:
            code = body.get("error_code", "") if isinstance(body, dict) else ""
            message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
            raise ApiError(method, path, response.status_code, code, message)
        return body

    def status_of(self, method: str, path: str, **kwargs: Any) -> int:
        """The HTTP status a call gets, for calls that are expected to be refused."""
        try:
            self.call(method, path, **kwargs)
        except ApiError as refused:
            return refused.status
        return 200

    def page(self, path: str) -> str:
        """A non-API page of the server (e.g. /metrics) as text; an error status raises ApiError."""
        return str(self.call("GET", path))

    # -- endpoints ---------------------------------------------------------------------------------
    def health(self) -> str:
        return str(self.call("GET", "/health"))

    def search_experiments(self, max_results: int = 1000) -> list[dict[str, Any]]:
        body = self.call("GET", f"{API}/experiments/search", params={"max_results": max_results})
        return list(body.get("experiments", []))

    def create_experiment(self, name: str) -> str:
        return str(self.call("POST", f"{API}/experiments/create", json={"name": name})["experiment_id"])

    def get_experiment_by_name(self, name: str) -> dict[str, Any]:
        body = self.call("GET", f"{API}/experiments/get-by-name", params={"experiment_name": name})
        return dict(body["experiment"])

    def create_run(self, experiment_id: str, run_name: str = "", tags: dict[str, str] | None = None,
                   user_id: str | None = None) -> Run:
        """A new run; `user_id` is what the client claims as the run's user (the server may record another)."""
        body = self.call("POST", f"{API}/runs/create", json={
            "experiment_id": experiment_id, "run_name": run_name, "start_time": _now_ms(),
            "tags": [{"key": key, "value": value} for key, value in (tags or {}).items()],
            **({"user_id": user_id} if user_id is not None else {})})
        return Run.from_json(body["run"])

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self.call("POST", f"{API}/runs/set-tag", json={"run_id": run_id, "key": key, "value": value})

    def experiment_id_for(self, name: str) -> str:
        """The id of the experiment `name`, created if it does not exist yet."""
        try:
            return str(self.get_experiment_by_name(name)["experiment_id"])
        except ApiError as missing:
            if missing.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            return self.create_experiment(name)

    def log_metric(self, run_id: str, key: str, value: float, step: int = 0) -> None:
        self.call("POST", f"{API}/runs/log-metric", json={
            "run_id": run_id, "key": key, "value": value, "timestamp": _now_ms(), "step": step})

    def log_param(self, run_id: str, key: str, value: str) -> None:
        self.call("POST", f"{API}/runs/log-parameter", json={"run_id": run_id, "key": key, "value": value})

    def update_run(self, run_id: str, status: str) -> dict[str, Any]:
        return dict(self.call("POST", f"{API}/runs/update", json={
            "run_id": run_id, "status": status, "end_time": _now_ms()})["run_info"])

    def get_run(self, run_id: str) -> Run:
        return Run.from_json(self.call("GET", f"{API}/runs/get", params={"run_id": run_id})["run"])

    def search_runs(self, experiment_ids: list[str], filter_string: str = "") -> list[Run]:
        body = self.call("POST", f"{API}/runs/search", json={
            "experiment_ids": experiment_ids, "filter": filter_string, "max_results": 1000})
        return [Run.from_json(run) for run in body.get("runs", [])]

    def search_registered_models(self) -> list[dict[str, Any]]:
        body = self.call("GET", f"{API}/registered-models/search", params={"max_results": 1000})
        return list(body.get("registered_models", []))

    def create_registered_model(self, name: str) -> dict[str, Any]:
        return dict(self.call("POST", f"{API}/registered-models/create", json={"name": name})["registered_model"])

    def get_registered_model(self, name: str) -> dict[str, Any]:
        return dict(self.call("GET", f"{API}/registered-models/get", params={"name": name})["registered_model"])

    def create_model_version(self, name: str, source: str, run_id: str) -> dict[str, Any]:
        body = self.call("POST", f"{API}/model-versions/create", json={"name": name, "source": source, "run_id": run_id})
        return dict(body["model_version"])

    def model_download_uri(self, name: str, version: str) -> str:
        """Where a client fetches a model version's files from (what mlflow's models:/ loader asks first)."""
        return str(self.call("GET", f"{API}/model-versions/get-download-uri",
                             params={"name": name, "version": version})["artifact_uri"])

    def model_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of the registered model `name`, by version number."""
        body = self.call("GET", f"{API}/model-versions/search", params={"filter": f"name='{name}'",
                                                                         "max_results": 1000})
        return sorted(body.get("model_versions", []), key=lambda version: int(version["version"]))

    def set_model_alias(self, name: str, alias: str, version: str) -> None:
        self.call("POST", f"{API}/registered-models/alias", json={"name": name, "alias": alias, "version": version})

    def model_version_by_alias(self, name: str, alias: str) -> dict[str, Any]:
        body = self.call("GET", f"{API}/registered-models/alias", params={"name": name, "alias": alias})
        return dict(body["model_version"])

    def tracking_call_status(self) -> int:
        """What a plain tracking call (search experiments) answers: 200, 401 without a login, 503 with no database."""
        return self.status_of("GET", f"{API}/experiments/search", params={"max_results": 5})

    def run_status_code(self, run_id: str) -> int:
        """What GET runs/get answers for `run_id`: 200, 404 for no such run, 401 without a valid login."""
        return self.status_of("GET", f"{API}/runs/get", params={"run_id": run_id})

    def experiment_status_code(self, experiment_id: str) -> int:
        """What GET experiments/get answers for `experiment_id`: 200, 403 without permission, 401 without login."""
        return self.status_of("GET", f"{API}/experiments/get", params={"experiment_id": experiment_id})

    def user_status_code(self, username: str) -> int:
        """What GET users/get answers for `username` (admin only): 200, 404 for no such user."""
        return self.status_of("GET", f"{API}/users/get", params={"username": username})

    def user_permission(self, username: str, resource_type: str, resource_id: str) -> str:
        """The permission MLflow's auth gives `username` on an experiment or registered model (admin only)."""
        body = self.call("GET", "/api/3.0/mlflow/users/permissions/get", params={
            "username": username, "resource_type": resource_type, "resource_id": resource_id})
        return str(body["permission"])

    def dataset_inputs(self, run_id: str) -> list[dict[str, str]]:
        body = self.call("GET", f"{API}/runs/get", params={"run_id": run_id})
        return [entry["dataset"] for entry in body["run"].get("inputs", {}).get("dataset_inputs", [])]

    def metric_history(self, run_id: str, key: str) -> list[dict[str, Any]]:
        body = self.call("GET", f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": key,
                                                                       "max_results": 25000})
        return list(body.get("metrics", []))

    def upload_artifact(self, run: Run, path: str, data: bytes) -> None:
        """PUT a file into the run's artifacts through the server's artifact proxy (--serve-artifacts)."""
        self.call("PUT", f"{ARTIFACTS_API}/{run.experiment_id}/{run.run_id}/artifacts/{path}", data=data)

    def proxied_object(self, path: str) -> tuple[int, bytes]:
        """GET `path` of the artifact store through the server's artifact proxy: (status, body), any status."""
        response = self.session.get(f"{self.base_url}{ARTIFACTS_API}/{path}", timeout=self.timeout,
                                    verify=self.verify)
        return response.status_code, response.content

    def list_artifacts(self, run_id: str, path: str = "") -> list[str]:
        params = {"run_id": run_id, **({"path": path} if path else {})}
        body = self.call("GET", f"{API}/artifacts/list", params=params)
        return [entry["path"] for entry in body.get("files", [])]


def _now_ms() -> int:
    return int(time.time() * 1000)
