"""Results get their feature as suite, once, and a suite already set is kept."""

import json

from harness.report_suites import add_feature_suites


def test_each_result_without_a_suite_gets_its_feature(tmp_path):
    loose = {"name": "a", "labels": [{"name": "feature", "value": "Backups"}]}
    placed = {"name": "b", "labels": [{"name": "feature", "value": "Backups"}, {"name": "suite", "value": "Mine"}]}
    (tmp_path / "1-result.json").write_text(json.dumps(loose))
    (tmp_path / "2-result.json").write_text(json.dumps(placed))
    (tmp_path / "3-container.json").write_text(json.dumps({"children": []}))
    assert add_feature_suites(tmp_path) == 1
    assert {"name": "suite", "value": "Backups"} in json.loads((tmp_path / "1-result.json").read_text())["labels"]
    assert json.loads((tmp_path / "2-result.json").read_text()) == placed
    assert add_feature_suites(tmp_path) == 0
