"""The HTTP API: routes, the login check, and one line for every refusal."""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.concurrency import run_in_threadpool

from mlops_api.credentials import Vault
from mlops_api.engine import Engine
from mlops_api.environments import ensure_environment
from mlops_api.mlflow_rest import MlflowError, MlflowRest
from mlops_api.schemas import Accepted, BadInput, JobStatus, UploadRequest, checked
from mlops_api.serving import ModelServers
from mlops_api.settings import Settings
from mlops_api.spark_master import SparkMaster
from mlops_api.status import platform_status
from mlops_api.store import JobStore

LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lookup")
LOGIN_CACHE_S = 60  # as MLflow's own auth cache: a password is checked against MLflow once a minute
log = logging.getLogger("mlops_api")


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def validation_line(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    invalid_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if invalid_json is not None:
        where = invalid_json.get("loc", ("body", "?"))[-1]
        return 400, f"the request body is not valid JSON ({invalid_json.get('ctx', {}).get('error', '')} at " \
                    f"character {where}): send a JSON object"
    first = errors[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return 422, f"{field}: {first.get('msg', 'is not valid')}{more}"


def create_app(settings: Settings) -> FastAPI:
    vault = Vault(settings.secret_key) if settings.auth else None
    master = SparkMaster(settings.spark_master_webui)
    state: dict[str, Any] = {}
    logins: dict[str, float] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        store = JobStore(settings.database)
        engine = Engine(settings, store, master, vault)
        servers = ModelServers(settings.work_dir, settings.mlflow_url)
        state.update(store=store, engine=engine, servers=servers)
        engine.start()
        log.info("MLOps API %s ready: Spark %s at %s, MLflow %s, %d jobs at once, job schema %d",
                 settings.instance, settings.spark_version, settings.spark_master_url, settings.mlflow_url,
                 settings.max_running_jobs, store.schema_version)
        try:
            yield
        finally:
            engine.stop()
            servers.stop()
            store.close()

    app = FastAPI(title="MLOps API", version="1.0", lifespan=lifespan)
    basic = HTTPBasic(auto_error=False)

    def caller(credentials: HTTPBasicCredentials | None = Depends(basic)) -> tuple[str, str] | None:
        """The MLflow user the request acts as (None when MLflow's auth is off); 401 for anyone MLflow does not
        know."""
        if not settings.auth:
            return None
        challenge = {"WWW-Authenticate": 'Basic realm="mlflow"'}
        if credentials is None:
            raise BadInput(401, "log in with your MLflow user name and password", challenge)
        key = hashlib.sha256(f"{credentials.username}:{credentials.password}".encode()).hexdigest()
        if logins.get(key, 0) < time.monotonic():
            try:
                login = (credentials.username, credentials.password)
                MlflowRest(settings.mlflow_url, login, ca=settings.mlflow_ca).check_login()
            except MlflowError as exc:
                if exc.status in (401, 403):
                    raise BadInput(401, "MLflow does not know this user name and password",
                                              challenge) from None
                raise
            logins[key] = time.monotonic() + LOGIN_CACHE_S
        return credentials.username, credentials.password

    clients: dict[tuple[str, str] | None, MlflowRest] = {}

    def mlflow_as(user: tuple[str, str] | None) -> MlflowRest:
        """One client (and its kept-alive connections) per caller."""
        if user not in clients:
            clients[user] = MlflowRest(settings.mlflow_url, user, ca=settings.mlflow_ca)
        return clients[user]

    @app.exception_handler(BadInput)
    async def bad_input(_: Request, exc: BadInput) -> JSONResponse:
        return refusal(exc.status, str(exc), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return refusal(*validation_line(exc))

    @app.exception_handler(MlflowError)
    async def mlflow_refused(_: Request, exc: MlflowError) -> JSONResponse:
        status = {"RESOURCE_DOES_NOT_EXIST": 404, "INVALID_PARAMETER_VALUE": 400}.get(exc.code, exc.status)
        return refusal(status if status < 500 else 502, str(exc))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        state["store"].ping()
        return {"status": "ok", "instance": settings.instance}

    @app.post("/mlops/training/upload", status_code=202, response_model=Accepted)
    def upload(request: UploadRequest, user: tuple[str, str] | None = Depends(caller)) -> Accepted:
        job = checked(request, settings.spark_version, settings.max_script_bytes)
        sealed = vault.seal(*user) if vault and user else None
        job_id = state["store"].add(job, user[0] if user else "", sealed)
        state["engine"].wake()
        return Accepted(job_id=job_id, status="queued")

    @app.get("/mlops/training/jobs/{job_id}", response_model=JobStatus)
    def job(job_id: str, _: tuple[str, str] | None = Depends(caller)) -> JobStatus:
        record = state["store"].get(job_id)
        if record is None:
            raise BadInput(404, f"no job {job_id!r}: use the job_id that the upload answered")
        return JobStatus.of(record)

    @app.post("/mlops/training/jobs/{job_id}/cancel", status_code=202, response_model=JobStatus)
    def cancel(job_id: str, user: tuple[str, str] | None = Depends(caller)) -> JobStatus:
        record = state["store"].cancel(job_id, user[0] if user else "a caller")
        if record is None:
            raise BadInput(404, f"no job {job_id!r}: use the job_id that the upload answered")
        return JobStatus.of(record)

    @app.get("/mlops/training/jobs", response_model=list[JobStatus])
    def jobs(limit: int = 50, _: tuple[str, str] | None = Depends(caller)) -> list[JobStatus]:
        return [JobStatus.of(record) for record in state["store"].recent(max(1, min(limit, 500)))]

    @app.get("/mlops/status")
    def status(user: tuple[str, str] | None = Depends(caller)) -> dict[str, Any]:
        return platform_status(mlflow_as(user), master, state["store"], settings.max_running_jobs)

    @app.get("/mlops/models")
    def models(user: tuple[str, str] | None = Depends(caller)) -> dict[str, Any]:
        client = mlflow_as(user)
        every_version = LOOKUPS.submit(client.model_versions)  # both at once: each is a round trip to MLflow
        registered = client.registered_models()
        versions: dict[str, list[dict[str, Any]]] = {}
        for version in every_version.result():
            versions.setdefault(version["name"], []).append(
                {"version": version["version"], "run_id": version.get("run_id", ""),
                 "status": version.get("status", ""), "aliases": version.get("aliases", [])})
        listed = []
        for model in registered:
            aliases = {entry["alias"]: entry["version"] for entry in model.get("aliases", [])}
            listed.append({"name": model["name"], "description": model.get("description", ""), "aliases": aliases,
                           "versions": sorted(versions.get(model["name"], []), key=lambda v: int(v["version"]))})
        return {"models": listed}

    @app.post("/mlops/models/{name}/predict")
    async def predict(name: str, request: Request, alias: str | None = None, version: str | None = None,
                      user: tuple[str, str] | None = Depends(caller)) -> Response:
        if (alias is None) == (version is None):
            raise BadInput(422, "name the model version to ask: ?alias=<alias> or ?version=<number>")
        body = await request.body()
        return await run_in_threadpool(answer_prediction, name, alias, version, user, body,
                                   request.headers.get("content-type", "application/json"))

    def answer_prediction(name: str, alias: str | None, version: str | None, user: tuple[str, str] | None,
                          body: bytes, content_type: str) -> Response:
        client = mlflow_as(user)
        found = client.model_version(name, alias, version)  # MLflow checks that the caller may read it
        model_uri = f"models:/{name}/{found['version']}"
        answer = state["servers"].predict(model_uri, python_for(client, found), user, body, content_type)
        return Response(answer.content, status_code=answer.status_code,
                        media_type=answer.headers.get("content-type", "application/json"),
                        headers={"X-Model-Version": str(found["version"])})

    def python_for(client: MlflowRest, model_version: dict[str, Any]) -> Path:
        """The Python of the environment the model was trained in, when a job of this service trained it."""
        run_id = model_version.get("run_id")
        if run_id:
            tags = {t["key"]: t["value"] for t in client.run(run_id).get("data", {}).get("tags", [])}
            record = state["store"].get(tags.get("platform.job_id", ""))
            if record is not None:
                return ensure_environment(settings.env_root, tuple(record["requirements"]),
                                          record["spark_version"]).python
        return Path(sys.executable)

    return app
