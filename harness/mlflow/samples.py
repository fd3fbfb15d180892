"""A run with one of everything (params, metrics with history, a tag, an artifact) and a registered model with
two versions of it, written through one server and compared through another: what a migration or a restore
must carry over."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from harness.mlflow.api import ARTIFACTS_API, MlflowApi, Run
from harness.names import unique_name

ARTIFACT_PATH = "report/summary.txt"
ARTIFACT_BODY = b"accuracy 0.93 on the holdout set\n"
# What a restored model version must keep (its timestamps included: a restore is not a re-registration).
MODEL_VERSION_FIELDS = ("version", "source", "run_id", "status", "creation_timestamp")
PROXIED_SCHEME = "mlflow-artifacts:/"


@dataclass(frozen=True)
class SampleRun:
    run: Run  # as the writing server read it back
    history: list[float]  # values of the metric "loss", step by step


def write_sample_run(api: MlflowApi, experiment_id: str | None = None) -> SampleRun:
    """The sample run, in a new experiment or in `experiment_id`."""
    experiment = experiment_id or api.create_experiment(unique_name("sample"))
    run = api.create_run(experiment, "sample-run")
    api.log_param(run.run_id, "alpha", "0.5")
    api.log_param(run.run_id, "layers", "3")
    for step, loss in enumerate((0.9, 0.5, 0.25)):
        api.log_metric(run.run_id, "loss", loss, step)
    api.set_tag(run.run_id, "team", "forecasting")
    api.upload_artifact(run, ARTIFACT_PATH, ARTIFACT_BODY)
    api.update_run(run.run_id, "FINISHED")
    return SampleRun(api.get_run(run.run_id), [m["value"] for m in api.metric_history(run.run_id, "loss")])


def sample_run_differences(api: MlflowApi, expected: SampleRun) -> list[str]:
    """What the run looks like through `api` compared with what was written (empty: the same)."""
    run = api.get_run(expected.run.run_id)
    differences = [f"{field}: {getattr(run, field)!r} != {getattr(expected.run, field)!r}"
                   for field in ("experiment_id", "status", "params", "metrics", "tags")
                   if getattr(run, field) != getattr(expected.run, field)]
    history = [m["value"] for m in api.metric_history(run.run_id, "loss")]
    if history != expected.history:
        differences.append(f"loss history {history} != {expected.history}")
    artifact = api.session.get(f"{api.base_url}{ARTIFACTS_API}/{run.experiment_id}/{run.run_id}/artifacts/"
                               f"{ARTIFACT_PATH}", timeout=api.timeout, verify=api.verify)
    if artifact.status_code != 200 or artifact.content != ARTIFACT_BODY:
        differences.append(f"artifact {ARTIFACT_PATH}: {artifact.status_code} {artifact.content[:80]!r}")
    return differences


@dataclass(frozen=True)
class SampleModel:
    name: str
    versions: list[dict[str, str]]  # MODEL_VERSION_FIELDS of each version, as the writing server read them


def _version_fields(api: MlflowApi, name: str) -> list[dict[str, str]]:
    return [{field: str(version.get(field)) for field in MODEL_VERSION_FIELDS} for version in api.model_versions(name)]


def write_sample_model(api: MlflowApi, sample: SampleRun, versions: int = 2) -> SampleModel:
    """A registered model whose versions come from the sample run's artifact folder."""
    name = unique_name("sample-model")
    api.create_registered_model(name)
    folder = PurePosixPath(ARTIFACT_PATH).parent
    source = f"{PROXIED_SCHEME}{sample.run.experiment_id}/{sample.run.run_id}/artifacts/{folder}"
    for _ in range(versions):
        api.create_model_version(name, source, sample.run.run_id)
    return SampleModel(name, _version_fields(api, name))


def sample_model_differences(api: MlflowApi, expected: SampleModel) -> list[str]:
    read = _version_fields(api, expected.name)
    if read == expected.versions:
        return []
    return [f"model {expected.name}: versions {read} != {expected.versions}"]


def model_download_differences(api: MlflowApi, expected: SampleModel) -> list[str]:
    """Each version's files fetched as a client loading `models:/<name>/<version>` does: the registry's download
    URI, then the file through the server's artifact proxy (empty: every version gives back what was written)."""
    differences = []
    for version in (fields["version"] for fields in expected.versions):
        uri = api.model_download_uri(expected.name, version)
        if not uri.startswith(PROXIED_SCHEME):
            differences.append(f"version {version}: download URI {uri} is not served through the server")
            continue
        path = f"{uri[len(PROXIED_SCHEME):].strip('/')}/{PurePosixPath(ARTIFACT_PATH).name}"
        answer = api.session.get(f"{api.base_url}{ARTIFACTS_API}/{path}", timeout=api.timeout, verify=api.verify)
        if answer.status_code != 200 or answer.content != ARTIFACT_BODY:
            differences.append(f"version {version}: {path} -> {answer.status_code} {answer.content[:80]!r}")
    return differences
