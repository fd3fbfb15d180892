"""Steps about the artifact store: the bucket, and uploads proxied by the MLflow server."""

from behave import given, then, when

from harness.mlflow.artifacts import (STORAGE_CREDENTIAL_VARS, bucket_keys, client_env_without_storage_credentials,
                                      log_file_as_client, read_file_as_client)
from support.reporting import attach_text
from support.scenario import world


@then('the bucket "{bucket}" exists in the artifact store')
def step_bucket_exists(context, bucket):
    platform = world(context).platform
    names = platform.bucket_names()
    assert bucket in names, f"buckets at {platform.s3_endpoint}: {names}"


@given("a client that has no storage credentials")
def step_client_without_credentials(context):
    world(context).tracking.client_env = client_env_without_storage_credentials(world(context).folder)
    attach_text("variables the client lacks", "\n".join(STORAGE_CREDENTIAL_VARS))


@when('that client logs the file "{filename}" to a run')
def step_client_logs_file(context, filename):
    current = world(context)
    run = current.new_run()
    file = current.folder / filename
    file.write_text(f"notes for run {run.run_id}\n")
    log_file_as_client(current.platform.mlflow_url, run.run_id, file, current.tracking.client_env)


@then('that client downloads "{filename}" from the run through the server, as it logged it')
def step_client_downloads_file(context, filename):
    current = world(context)
    text = read_file_as_client(current.platform.mlflow_url, current.run.run_id, filename,
                               current.folder / "downloaded", current.tracking.client_env)
    assert text == (current.folder / filename).read_text(), f"the client read {text!r}"


@then('the bucket "{bucket}" holds "{filename}" under that run')
def step_bucket_holds_file(context, bucket, filename):
    current = world(context)
    run_id = current.run.run_id
    keys = bucket_keys(current.platform.s3_client(), bucket)
    attach_text("keys in the bucket", "\n".join(keys))
    expected_suffix = f"{run_id}/artifacts/{filename}"
    assert any(key.endswith(expected_suffix) for key in keys), f"no key ends with {expected_suffix}"
    assert filename in current.api.list_artifacts(run_id), "the server does not list the file for the run"
