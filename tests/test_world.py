"""The scenario's world: one typed home for what steps hand each other, with a clear REQUIRE when a value is read
before the step that sets it ran."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.world import BackupState, ScenarioWorld


def _world(tmp_path: Path, started: list[str] | None = None) -> ScenarioWorld:
    def start():
        (started if started is not None else []).append("platform")
        return SimpleNamespace(mlflow_url="http://127.0.0.1:1")

    return ScenarioWorld(SimpleNamespace(workdir=tmp_path), start, "a scenario", [("iceberg", "4.1.1")])


def test_a_value_read_before_any_step_set_it_fails_with_require_and_its_name():
    with pytest.raises(AssertionError, match=r"REQUIRE: a step that renders the chart's backup Job and runs it "
                                             r"\(no earlier step set BackupState.job\)"):
        BackupState().job
    with pytest.raises(AttributeError, match="BackupState has no jobs"):
        BackupState().jobs  # a name no state declares is a plain mistake, not a missing step


def test_a_value_set_by_one_step_is_read_by_the_next_and_belongs_to_its_own_world(tmp_path):
    first, second = _world(tmp_path), _world(tmp_path)
    first.backup.seconds = 1.5
    assert first.backup.seconds == 1.5
    with pytest.raises(AssertionError, match="REQUIRE"):
        second.backup.seconds


def test_a_scenario_that_never_asks_for_the_platform_does_not_start_it(tmp_path):
    started: list[str] = []
    current = _world(tmp_path, started)
    current.chart.mode = "k8s"
    assert started == [] and not current.started
    assert current.api.base_url == "http://127.0.0.1:1" and started == ["platform"]


def test_the_scratch_folder_is_made_on_first_use_and_removed_with_the_scenario(tmp_path):
    current = _world(tmp_path)
    current.close()  # nothing made, nothing to remove
    folder = current.folder
    assert folder.is_dir() and folder.parent == tmp_path and current.folder == folder
    current.close()
    assert not folder.exists()


def test_an_error_inside_a_property_of_the_world_shows_as_itself(tmp_path):
    def start():
        raise AttributeError("the platform's start broke")

    current = ScenarioWorld(SimpleNamespace(workdir=tmp_path), start, "a scenario", [])
    with pytest.raises(AttributeError, match="the platform's start broke"):
        current.platform


def test_the_matrix_cells_are_read_once_and_carried(tmp_path):
    assert _world(tmp_path).cells == [("iceberg", "4.1.1")]
