"""What a target meets is declared once: the skips of tagged scenarios and of matrix rows both read it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import SuiteError
from harness.targets.abilities import NEED_ABILITIES, RunsBackupJobs, ability
from harness.targets.k8s.target import K8sTarget
from harness.targets.local import LOCAL_NEEDS, LocalTarget
from harness.targets.needs import NEEDS, Capabilities, cell_needs, gpu_capability

FEATURES = Path(__file__).resolve().parents[1] / "features"


def test_every_needs_tag_of_the_features_is_a_known_need():
    tags = {tag for path in FEATURES.glob("*.feature") for tag in re.findall(r"@needs-([\w-]+)", path.read_text())}
    assert tags and tags <= set(NEEDS), tags - set(NEEDS)


def test_an_unknown_need_is_refused_with_the_known_ones():
    with pytest.raises(SuiteError, match="unknown tag @needs-tpu: the known needs are .*k8s"):
        Capabilities(frozenset()).unmet("tpu")
    with pytest.raises(SuiteError, match="does not know: tpu"):
        Capabilities(frozenset({"tpu"}))


def test_a_need_a_target_lacks_gives_its_own_reason_or_the_general_one():
    declared = Capabilities(frozenset({"k8s"}), {"gpu": "no node offers one"})
    assert declared.unmet("k8s") is None
    assert declared.unmet("gpu") == "no node offers one"
    assert declared.unmet("local-processes") == NEEDS["local-processes"]


def test_a_matrix_row_needs_a_cluster_in_the_kubernetes_modes_and_connect_ml_before_spark_4():
    assert cell_needs("k8s", "4.1.1") == ("k8s",)
    assert cell_needs("connect-k8s", "3.5.7") == ("k8s", "spark-connect-ml")
    assert cell_needs("connect-standalone", "3.5.8") == ("spark-connect-ml",)
    assert cell_needs("standalone-submit", "3.5.7") == () and cell_needs("connect-standalone", "4.1.0") == ()


def test_simulated_gpus_meet_only_the_simulated_rows():
    assert gpu_capability("simulated", None) == ({"simulated-gpu"}, {"gpu": pytest.approx(
        "-D gpu=simulated replaces GPUs with simulated ones: this row needs real GPUs")})
    assert gpu_capability("auto", None) == ({"gpu"}, {})
    met, lacking = gpu_capability("auto", "no nvidia-smi on this machine")
    assert met == set() and "no nvidia-smi on this machine" in lacking["gpu"]


def test_a_target_that_meets_a_need_can_do_what_the_need_promises():
    for target, met in ((LocalTarget, LOCAL_NEEDS), (K8sTarget, {"mlops-api"})):
        for need in met:
            missing = [a.__name__ for a in NEED_ABILITIES.get(need, ()) if not issubclass(target, a)]
            assert not missing, f"{target.__name__} meets @needs-{need} but lacks {missing}"
    assert not issubclass(K8sTarget, RunsBackupJobs)


def test_asking_a_target_for_an_ability_it_lacks_names_the_tag_that_skips_the_scenario():
    cluster = object.__new__(K8sTarget)
    with pytest.raises(AssertionError, match="REQUIRE: a target that RunsBackupJobs; the k8s target does not: "
                                             "tag the scenario @needs-local-processes"):
        ability(cluster, RunsBackupJobs)


SUBJECTS = {"chart", "tracking", "matrix", "production", "training"}  # what a feature proves (README: Tags)


def test_every_feature_says_what_it_proves_and_which_requirement_document_it_traces_to():
    for path in sorted(FEATURES.glob("*.feature")):
        first = next(line for line in path.read_text().splitlines() if line.startswith("@"))
        tags = {tag.lstrip("@") for tag in first.split()}
        assert len(tags & SUBJECTS) == 1, f"{path.name}: one of {sorted(SUBJECTS)}, found {sorted(tags)}"
        assert any(tag.startswith(("ws-", "seed-")) for tag in tags), f"{path.name}: no seed tag in {sorted(tags)}"
