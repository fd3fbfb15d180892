"""The platform's MLflow, reached through its REST API as one caller (the user a request or job runs as)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import requests

API = "/api/2.0/mlflow"
PAGE = 1000


class MlflowError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"MLflow answered {status} {code}: {message}")
        self.status = status
        self.code = code


class MlflowRest:
    def __init__(self, base_url: str, auth: tuple[str, str] | None = None, timeout: float = 10,
                 ca: Path | None = None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.auth = auth
        if ca is not None:
            self.session.verify = str(ca)
        self.timeout = timeout

    def call(self, method: str, path: str, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base_url}{API}{path}", timeout=timeout or self.timeout,
                                        **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
                code, message = body.get("error_code", ""), body.get("message", "")
            except ValueError:
                code, message = "", response.text[:300]
            raise MlflowError(response.status_code, code, message)
        return dict(response.json()) if response.content else {}

    def health(self, timeout: float) -> str:
        return self.session.get(f"{self.base_url}/health", timeout=timeout).text.strip()

    def check_login(self) -> None:
        """A cheap call that MLflow's auth answers 401 for credentials it does not know."""
        self.call("GET", "/experiments/search", params={"max_results": 1})

    def experiment_id_for(self, name: str) -> str:
        try:
            return str(self.call("GET", "/experiments/get-by-name", params={"experiment_name": name})
                       ["experiment"]["experiment_id"])
        except MlflowError as exc:
            if exc.code != "RESOURCE_DOES_NOT_EXIST":
                raise
        try:
            return str(self.call("POST", "/experiments/create", json={"name": name})["experiment_id"])
        except MlflowError as exc:  # created meanwhile by another job
            if exc.code != "RESOURCE_ALREADY_EXISTS":
                raise
            return self.experiment_id_for(name)

    def create_run(self, experiment_id: str, run_name: str, tags: dict[str, str]) -> str:
        body = {"experiment_id": experiment_id, "run_name": run_name,
                "tags": [{"key": key, "value": value} for key, value in tags.items()]}
        return str(self.call("POST", "/runs/create", json=body)["run"]["info"]["run_id"])

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self.call("POST", "/runs/set-tag", json={"run_id": run_id, "key": key, "value": value})

    def run(self, run_id: str) -> dict[str, Any]:
        return dict(self.call("GET", "/runs/get", params={"run_id": run_id})["run"])

    def end_run(self, run_id: str, status: str) -> None:
        self.call("POST", "/runs/update", json={"run_id": run_id, "status": status})

    def _pages(self, method: str, path: str, key: str, **body: Any) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            arguments = {**body, "max_results": PAGE, **({"page_token": token} if token else {})}
            page = (self.call(method, path, params=arguments) if method == "GET"
                    else self.call(method, path, json=arguments))
            yield from page.get(key, [])
            token = page.get("next_page_token", "")
            if not token:
                return

    def active_experiments(self) -> int:
        return sum(1 for _ in self._pages("POST", "/experiments/search", "experiments", view_type="ACTIVE_ONLY"))

    def registered_models(self) -> list[dict[str, Any]]:
        return list(self._pages("GET", "/registered-models/search", "registered_models"))

    def model_versions(self) -> list[dict[str, Any]]:
        return list(self._pages("GET", "/model-versions/search", "model_versions"))

    def model_version(self, name: str, alias: str | None, version: str | None) -> dict[str, Any]:
        if alias:
            return dict(self.call("GET", "/registered-models/alias", params={"name": name, "alias": alias})
                        ["model_version"])
        return dict(self.call("GET", "/model-versions/get", params={"name": name, "version": version})
                    ["model_version"])
