"""The report's executor (host, commit, command, run number) and the categories that sort its failures."""

import json
import re

from harness.allure_meta import CATEGORIES, next_run_number, write_run_meta
from harness.acceptance import REPO


def _category(status: str, trace: str) -> str:
    """The first category whose statuses and trace pattern match, as Allure picks it (Java's matches())."""
    for category in CATEGORIES:
        if status in category["matchedStatuses"] and re.fullmatch(category.get("traceRegex", "(?s).*"), trace):
            return category["name"].split(" (")[0]
    return "none"


def test_failures_sort_into_product_suite_and_environment():
    assert _category("failed", "AssertionError: run abc is FAILED") == "Product defects"
    assert _category("broken", "KeyError: 'run_id'\n  File harness/mlflow/api.py") == "Suite defects"
    assert _category("broken", "harness.errors.ToolMissing: helm is not installed -- run make setup") == \
        "Environment problems"
    assert _category("broken", "harness.errors.ServiceFailed: MLflow did not become ready in 90 s") == \
        "Environment problems"
    assert _category("failed", "PortBusy: port 5000 is taken") == "Environment problems"


def test_each_run_gets_the_next_number_and_an_executor_naming_host_commit_and_command(tmp_path):
    counter = tmp_path / "run-number"
    assert [next_run_number(counter) for _ in range(3)] == [1, 2, 3]
    write_run_meta(tmp_path / "results", REPO, "make test", 3)
    executor = json.loads((tmp_path / "results" / "executor.json").read_text())
    assert executor["buildOrder"] == 3 and "make test" in executor["buildName"]
    assert json.loads((tmp_path / "results" / "categories.json").read_text()) == CATEGORIES
