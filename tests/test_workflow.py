"""harness/workflow: the seed run's expected contents, the client's reading of job histories, the bad uploads
the feature names."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from harness.mlflow.api import Run
from harness.workflow.api import Job, StateChange, Upload, overlap_of_slots, slot_order_problems
from harness.workflow.bad_uploads import DEFECTS, bad_upload
from harness.workflow.checks import SEED_METRICS, SEED_PARAMS, SEED_TAGS, dataframe_split, sample_rows, seed_run_problems

DATA = Path(__file__).resolve().parent.parent / "features" / "data"
T0 = datetime(2026, 12, 6, 9, 0, 0)


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


def _job(*changes: tuple[str, str, int], granted: int | None = None) -> Job:
    history = [StateChange(status, reason, T0 + timedelta(seconds=at)) for status, reason, at in changes]
    return Job("j", history[-1].status, history[-1].reason, None, None, None, "", None, history, "",
               None if granted is None else T0 + timedelta(seconds=granted))


def _slot(start: int, end: int, recorded: int = 0) -> Job:
    return _job(("queued", "waiting for a free job slot", 0), ("queued", "building", start + recorded),
                ("running", "on Spark", start + recorded + 1), ("completed", "done", end), granted=start)


def test_statuses_are_each_status_once_in_order():
    assert _slot(0, 5).statuses() == ["queued", "running", "completed"]


def test_a_job_holds_its_slot_from_the_services_grant_until_it_ends():
    assert _slot(3, 9, recorded=2).slot_held() == (T0 + timedelta(seconds=3), T0 + timedelta(seconds=9))
    assert _job(("queued", "waiting for a free job slot", 0), ("running", "x", 2), granted=1).slot_held()[1] is None
    with pytest.raises(ValueError, match="never granted a job slot"):
        _job(("queued", "waiting for a free job slot", 0), ("killed", "cancelled", 1)).slot_held()


def test_the_overlap_counts_slots_held_at_the_same_moment():
    assert overlap_of_slots([_slot(0, 10), _slot(1, 5), _slot(5, 12)]) == 2  # the third took the second's slot
    assert overlap_of_slots([_slot(0, 10), _slot(1, 5), _slot(2, 12)]) == 3


def test_jobs_past_the_limit_take_their_slot_in_upload_order_after_an_earlier_job_ended():
    assert slot_order_problems([_slot(0, 10), _slot(1, 5), _slot(5, 12)], limit=2) == []
    assert slot_order_problems([_slot(1, 10), _slot(0, 5), _slot(5, 12)], limit=2) == [], \
        "those that found a free slot at once are not ranked"
    took_early = slot_order_problems([_slot(0, 10), _slot(1, 5), _slot(3, 12)], limit=2)
    assert len(took_early) == 1 and "did not wait for an earlier job to end" in took_early[0]
    overtook = slot_order_problems([_slot(0, 10), _slot(1, 5), _slot(7, 12), _slot(6, 14)], limit=2)
    assert any("before an earlier upload" in problem for problem in overtook)
    assert slot_order_problems([_slot(0, 10), _slot(1, 5), _slot(5, 12, recorded=3), _slot(6, 14)], limit=2) == [], \
        "the grants rank the queue, not the order the jobs' threads recorded their next state"


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_bad_upload_differs_from_the_good_one(defect):
    good = Upload(DATA / "train_random_forest.py", "e", ("scikit-learn",))
    assert bad_upload(defect, good, DATA) != good.body()


def test_an_unknown_defect_names_the_known_ones():
    with pytest.raises(KeyError, match="known: script content that is not base64"):
        bad_upload("a script in Latin", Upload(DATA / "logs_one_metric.py", "e"), DATA)
