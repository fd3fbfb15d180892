"""Everything a tracking server holds, read through its REST API: experiments, runs (params, metrics with their
whole history, tags), artifacts (each file's sha256) and registered models (versions, aliases). Two snapshots
compared say what a restore brought back, and what it did not."""

from __future__ import annotations

import hashlib
from typing import Any

from harness.mlflow.api import API, ARTIFACTS_API, MlflowApi
from harness.mlflow.samples import PROXIED_SCHEME

# What a registered model version must keep through a restore (its timestamps included: not a re-registration).
VERSION_FIELDS = ("version", "source", "run_id", "status", "creation_timestamp")


def _artifact_files(api: MlflowApi, run_id: str, path: str = "") -> list[str]:
    body = api.call("GET", f"{API}/artifacts/list", params={"run_id": run_id, **({"path": path} if path else {})})
    files: list[str] = []
    for entry in body.get("files", []):
        files.extend(_artifact_files(api, run_id, entry["path"]) if entry.get("is_dir") else [entry["path"]])
    return files


def _proxied_digest(api: MlflowApi, path: str) -> str:
    """The sha256 of a file the artifact proxy hands out, or the status it answered instead."""
    status, content = api.proxied_object(path)
    return hashlib.sha256(content).hexdigest() if status == 200 else f"HTTP {status}"


def _proxied_files(api: MlflowApi, path: str) -> dict[str, str]:
    """Every file under `path` of the artifact proxy (a model version's download URI), with its sha256."""
    listed = api.call("GET", ARTIFACTS_API, params={"path": path}).get("files", [])
    files: dict[str, str] = {}
    for entry in listed:
        inner = f"{path}/{entry['path']}"
        if entry.get("is_dir"):
            files.update(_proxied_files(api, inner))
        else:
            files[inner] = _proxied_digest(api, inner)
    return files


def _version(api: MlflowApi, name: str, version: dict[str, Any]) -> dict[str, Any]:
    """A model version's fields and the files a client loading it downloads (MLflow 3 keeps a logged model's
    files apart from its run's artifacts)."""
    uri = api.model_download_uri(name, str(version["version"]))
    files = _proxied_files(api, uri[len(PROXIED_SCHEME):].strip("/")) if uri.startswith(PROXIED_SCHEME) else {}
    return {**{field: str(version.get(field)) for field in VERSION_FIELDS}, "files": files}


def tracking_snapshot(api: MlflowApi) -> dict[str, Any]:
    """The server's whole tracking data, keyed by id and name, in a form two servers' can be compared."""
    experiments = {e["experiment_id"]: {"name": e["name"], "lifecycle_stage": e["lifecycle_stage"],
                                        "creation_time": e.get("creation_time"),
                                        "tags": {t["key"]: t["value"] for t in e.get("tags", [])}}
                   for e in api.search_experiments()}
    runs: dict[str, Any] = {}
    for run in api.search_runs(sorted(experiments)) if experiments else []:
        runs[run.run_id] = {
            "experiment_id": run.experiment_id, "status": run.status, "start_time": run.start_time,
            "params": run.params, "tags": run.tags,
            "metric_history": {key: [(m["step"], m["timestamp"], m["value"]) for m in api.metric_history(run.run_id, key)]
                               for key in sorted(run.metrics)},
            "artifacts": {path: _proxied_digest(api, f"{run.experiment_id}/{run.run_id}/artifacts/{path}")
                          for path in _artifact_files(api, run.run_id)}}
    models = {model["name"]: {"aliases": {a["alias"]: a["version"] for a in model.get("aliases", [])},
                              "versions": [_version(api, model["name"], version)
                                           for version in api.model_versions(model["name"])]}
              for model in api.search_registered_models()}
    return {"experiments": experiments, "runs": runs, "registered_models": models}


def snapshot_differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What `after` lacks, adds or holds differently from `before`, one line per experiment, run or model."""
    differences = []
    for section in ("experiments", "runs", "registered_models"):
        for key in sorted(set(before[section]) | set(after[section])):
            if key not in after[section]:
                differences.append(f"{section} {key}: missing")
            elif key not in before[section]:
                differences.append(f"{section} {key}: not there before")
            elif before[section][key] != after[section][key]:
                differences.append(f"{section} {key}: {after[section][key]} != {before[section][key]}")
    return differences


def snapshot_size(snapshot: dict[str, Any]) -> dict[str, int]:
    """How much a snapshot holds, for the report."""
    runs = snapshot["runs"].values()
    return {"experiments": len(snapshot["experiments"]), "runs": len(runs),
            "metric points": sum(len(h) for run in runs for h in run["metric_history"].values()),
            "run artifact files": sum(len(run["artifacts"]) for run in runs),
            "model version files": sum(len(v["files"]) for m in snapshot["registered_models"].values()
                                       for v in m["versions"]),
            "registered models": len(snapshot["registered_models"]),
            "model versions": sum(len(m["versions"]) for m in snapshot["registered_models"].values())}
