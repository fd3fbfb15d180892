"""services/mlops_api, the platform's MLOps API, in pieces: what an upload must be, the one line of each
refusal, why a driver failed, the settings it starts with, the credentials vault, environment keys, and the
job store on a real PostgreSQL (migrations under a lock, claims bounded across replicas, orphans)."""

import base64
import threading
from datetime import datetime

import pytest
from fastapi.exceptions import RequestValidationError

from mlops_api.app import validation_line
from mlops_api.credentials import Vault
from mlops_api.engine import failure_reason
from mlops_api.environments import environment_key
from mlops_api.schemas import BadInput, UploadRequest, checked
from mlops_api.settings import Database, Settings, SettingsError
from mlops_api.store import MIGRATIONS, JobStore, migrate

SCRIPT = b"import mlflow\nprint('training')\n"


def _request(**changes) -> UploadRequest:
    fields = {"script_name": "train.py", "script_content": base64.b64encode(SCRIPT).decode(),
              "experiment_name": "e", "requirements": ["scikit-learn==1.9.1", "numpy"], "timeout": 600} | changes
    return UploadRequest(**fields)


def test_a_good_upload_passes_with_the_platforms_spark_and_its_script_decoded():
    upload = checked(_request(), "4.1.1", 1000)
    assert (upload.script, upload.spark_version, upload.requirements) == (SCRIPT, "4.1.1", ("scikit-learn==1.9.1", "numpy"))


@pytest.mark.parametrize("changes, status, words", [
    ({"timeout": 59}, 422, "outside 60-3600 s"), ({"timeout": 3601}, 422, "outside 60-3600 s"),
    ({"script_content": "%%%"}, 422, "is not base64"),
    ({"script_content": base64.b64encode(b" \n").decode()}, 422, "the script is empty"),
    ({"script_content": base64.b64encode(b"\xff\xfe").decode()}, 422, "not UTF-8 text (byte 0)"),
    ({"script_content": base64.b64encode(b"#" * 1001).decode()}, 413, "over the limit of 1000"),
    ({"script_content": "A" * 5000}, 413, "over the limit of 1000 bytes"),  # refused before decoding
    ({"script_name": "../x.py"}, 422, "plain file name"), ({"script_name": "dir/x.py"}, 422, "plain file name"),
    ({"script_name": ".hidden.py"}, 422, "plain file name"), ({"script_name": "train.sh"}, 422, "must end in .py"),
    ({"requirements": ["https://x.org/a.whl"]}, 422, "URLs, paths"), ({"requirements": ["./pkg"]}, 422, "URLs, paths"),
    ({"requirements": ["--index-url=http://x"]}, 422, "URLs, paths"),
    ({"requirements": ["pkg @ file:///tmp/p"]}, 422, "URLs, paths"), ({"requirements": ["not a [name"]}, 422, "is not a package name"),
    ({"spark_version": "3.4.0"}, 422, "unknown Spark version '3.4.0': this platform runs Spark 4.1.1"),
    ({"experiment_name": "  "}, 422, "experiment_name is empty"),
])
def test_bad_uploads_are_refused_with_their_status_and_one_line(changes, status, words):
    with pytest.raises(BadInput) as refused:
        checked(_request(**changes), "4.1.1", 1000)
    assert refused.value.status == status and words in str(refused.value) and "\n" not in str(refused.value)


def test_malformed_json_is_a_400_and_a_missing_field_a_422_naming_it():
    assert validation_line(RequestValidationError([{"type": "json_invalid", "loc": ("body", 12), "msg": "x",
                                                    "ctx": {"error": "Expecting value"}}])) == (
        400, "the request body is not valid JSON (Expecting value at character 12): send a JSON object")
    status, line = validation_line(RequestValidationError([
        {"type": "missing", "loc": ("body", "experiment_name"), "msg": "Field required"},
        {"type": "missing", "loc": ("body", "script_name"), "msg": "Field required"}]))
    assert (status, line) == (422, "experiment_name: Field required (and 1 more)")


@pytest.mark.parametrize("output, spark_log, reason", [
    ("Traceback (most recent call last):\n  File x\nValueError: no label column\n", "",
     "the script raised ValueError: no label column"),
    ("", "Error: Invalid properties file '/x'.\nUsage: spark-submit", "spark-submit failed: Error: Invalid properties file '/x'."),
    ("training...\n", "", "the driver exited with code 3"),
])
def test_a_failed_drivers_reason_is_one_line(output, spark_log, reason):
    assert failure_reason(3, output, spark_log) == reason


def _env(**changes) -> dict[str, str]:
    return {"MLOPS_MLFLOW_URL": "http://mlflow:5000/", "MLOPS_SPARK_VERSION": "4.1.1", "SPARK_HOME": "/opt/spark",
            "MLOPS_SPARK_MASTER_URL": "spark://m:7077", "MLOPS_SPARK_MASTER_WEBUI": "http://m:8080",
            "MLFLOW_DB_HOST": "pg", "MLFLOW_DB_USER": "mlflow", "MLFLOW_DB_PASSWORD": "pw", "MLOPS_DB_NAME": "mlops",
            "MLFLOW_DB_NAME": "mlflow", "MLOPS_ENV_ROOT": "/e", "MLOPS_WORK_DIR": "/w"} | changes


def test_settings_come_from_the_environment_with_the_charts_defaults():
    settings = Settings.from_env(_env())
    assert (settings.mlflow_url, settings.port, settings.max_running_jobs, settings.auth, settings.mlflow_ca) == (
        "http://mlflow:5000", 8000, 2, False, None)


@pytest.mark.parametrize("changes, words", [
    ({"MLOPS_MLFLOW_URL": ""}, "MLOPS_MLFLOW_URL is not set"),
    ({"MLOPS_MAX_SCRIPT_BYTES": "1.048576e+06"}, "MLOPS_MAX_SCRIPT_BYTES='1.048576e+06' is not a whole number"),
    ({"MLOPS_AUTH": "yes"}, "neither true nor false"),
    ({"MLOPS_AUTH": "true"}, "needs MLOPS_SECRET_KEY"),
    ({"MLFLOW_TRACKING_SERVER_CERT_PATH": "/nowhere/ca.crt"}, "MLFLOW_TRACKING_SERVER_CERT_PATH=/nowhere/ca.crt is not a file"),
])
def test_a_missing_or_malformed_setting_is_named(changes, words):
    with pytest.raises(SettingsError, match=words.replace("(", r"\(").replace("+", r"\+")):
        Settings.from_env(_env(**changes))


def test_the_vault_opens_what_it_sealed_and_nothing_sealed_with_another_key():
    sealed = Vault("key-1").seal("alice", "p@ss:word")
    assert Vault("key-1").open(sealed) == ("alice", "p@ss:word") and b"alice" not in sealed
    with pytest.raises(Exception):
        Vault("key-2").open(sealed)


def test_environments_are_keyed_by_the_sorted_requirements_and_the_spark_version():
    assert environment_key(("numpy", "scikit-learn"), "4.1.1") == environment_key(("scikit-learn", "numpy"), "4.1.1")
    assert environment_key(("scikit-learn",), "4.1.1") != environment_key(("scikit-learn",), "3.5.7")
    assert environment_key(("scikit-learn",), "4.1.1") != environment_key(("scikit-learn==1.5",), "4.1.1")


@pytest.fixture(scope="module")
def database(empty_mlflow_database):
    created = empty_mlflow_database
    return Database(created.host, created.port, created.user, created.password, "mlops", "mlflow")


def test_replicas_starting_together_create_and_migrate_the_database_once(database):
    stores, errors = [], []

    def start() -> None:
        try:
            stores.append(JobStore(database))
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and [store.schema_version for store in stores] == [len(MIGRATIONS)] * 3
    with stores[0].engine.begin() as connection:
        assert migrate(connection) == len(MIGRATIONS)  # a later start finds nothing to do
    for store in stores:
        store.close()


def test_claims_are_bounded_over_replicas_and_taken_in_order_and_orphans_found(database):
    store = JobStore(database)
    try:
        ids = [store.add(checked(_request(), "4.1.1", 1000), "", None) for _ in range(3)]
        first, second = store.claim_next("replica-a", 2), store.claim_next("replica-b", 2)
        assert [first["job_id"], second["job_id"]] == ids[:2] and store.claim_next("replica-a", 2) is None
        store.set_state(ids[0], "completed", "done")
        third = store.claim_next("replica-b", 2)
        assert third["job_id"] == ids[2]
        first_ended = datetime.fromisoformat(store.get(ids[0])["history"][-1]["at"])
        assert first["started_at"] < second["started_at"] < first_ended < third["started_at"], \
            "slots are stamped in the order they were granted, a freed one after the end that freed it"
        store.release("replica-a")  # replica-a stops: its job is an orphan at once, replica-b's is not
        assert [job["job_id"] for job in store.orphans(10)] == []  # replica-a's only job had ended
        store.release("replica-b")
        assert [job["job_id"] for job in store.orphans(10)] == ids[1:]
        assert store.adopt(ids[1], "replica-c", 10) and not store.adopt(ids[1], "replica-d", 10)
        record = store.get(ids[0])
        assert [change["status"] for change in record["history"]] == ["queued", "completed"]
        assert record["ended_at"] is not None and record["credentials"] is None
    finally:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM training_jobs")
        store.close()


def test_a_queued_job_cancelled_before_it_starts_ends_at_once(database):
    store = JobStore(database)
    try:
        job_id = store.add(checked(_request(), "4.1.1", 1000), "", None)
        record = store.cancel(job_id, "alice")
        assert (record["status"], record["reason"]) == ("killed", "cancelled by alice before it started")
        assert store.cancel("nope", "alice") is None
    finally:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM training_jobs")
        store.close()
