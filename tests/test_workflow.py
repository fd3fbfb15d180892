"""harness/workflow: refusals before anything starts, environment keys, the seed run's expected contents."""

from pathlib import Path

import pytest

from harness.mlflow.api import Run
from harness.workflow.checks import SEED_METRICS, SEED_PARAMS, SEED_TAGS, dataframe_split, sample_rows, seed_run_problems
from harness.workflow.environments import environment_key
from harness.workflow.submission import Submission, SubmissionRefused

DATA = Path(__file__).resolve().parent.parent / "features" / "data"
SCRIPT = DATA / "train_random_forest.py"


def _submission(**changes) -> Submission:
    fields = {"script": SCRIPT, "requirements": ("scikit-learn",), "experiment": "e", "spark_version": "4.1.1",
              "timeout_s": 600} | changes
    return Submission(**fields)


def test_a_good_submission_passes_its_checks():
    assert _submission().checked().timeout_s == 600


@pytest.mark.parametrize("changes, message", [
    ({"timeout_s": 59}, "outside 60-3600s"), ({"timeout_s": 3601}, "outside 60-3600s"),
    ({"script": DATA / "empty.py"}, "is empty"), ({"script": DATA / "not_utf8.py"}, "is not UTF-8"),
    ({"script": DATA / "missing.py"}, "does not exist"), ({"spark_version": "3.4.0"}, "unknown Spark version"),
    ({"experiment": " "}, "no experiment name"),
])
def test_bad_submissions_are_refused_with_one_line(changes, message):
    with pytest.raises(SubmissionRefused, match=message) as refused:
        _submission(**changes).checked()
    assert "\n" not in str(refused.value)


def test_environments_are_keyed_by_the_sorted_requirements_and_the_spark_version():
    assert environment_key(("numpy", "scikit-learn"), "4.1.1") == environment_key(("scikit-learn", "numpy"), "4.1.1")
    assert environment_key(("scikit-learn",), "4.1.1") != environment_key(("scikit-learn",), "3.5.7")
    assert environment_key(("scikit-learn",), "4.1.1") != environment_key(("scikit-learn==1.5",), "4.1.1")


def test_the_seed_run_must_hold_exactly_its_metrics_and_params_and_its_tags():
    run = Run("r", "1", "FINISHED", dict(SEED_PARAMS), {name: 0.9 for name in SEED_METRICS},
              {**SEED_TAGS, "platform.job_id": "x"})
    assert seed_run_problems(run) == []
    extra = Run("r", "1", "FINISHED", {**SEED_PARAMS, "extra": "1"}, {**run.metrics, "loss": 0.1}, {})
    assert len(seed_run_problems(extra)) == 3


def test_sample_rows_have_the_seed_features_and_are_the_same_every_time():
    rows = sample_rows()
    assert rows["columns"] == [f"f{i}" for i in range(30)] and len(rows["data"]) == 10
    assert rows == sample_rows() and '"dataframe_split"' in dataframe_split(rows)
