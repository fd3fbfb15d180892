"""The GitHub Actions workflow for a real cluster: it cannot run here, so its shape is checked: a kind cluster,
the README's command for the k8s target, the report and the grid kept whatever the outcome."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "acceptance-k8s.yml"


def _steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return list(job["steps"])


def test_the_workflow_makes_a_kind_cluster_before_it_runs_the_readmes_k8s_command():
    steps = _steps()
    uses = [step.get("uses", "") for step in steps]
    runs = [step.get("run", "") for step in steps]
    kind = next(i for i, use in enumerate(uses) if use.startswith("helm/kind-action@"))
    command = next(i for i, run in enumerate(runs) if "make acceptance TARGET=k8s" in run)
    assert kind < command
    assert "make acceptance TARGET=k8s" in (REPO / "README.md").read_text()


def test_the_report_and_the_grid_are_kept_even_when_the_suite_fails():
    kept = {path.strip() for step in _steps() if step.get("uses", "").startswith("actions/upload-artifact@")
            and step.get("if") == "always()" for path in step["with"]["path"].splitlines()}
    assert {"reports/allure-report", "reports/matrix.svg", "reports/matrix.md"} <= kept


def test_every_action_is_pinned_to_a_major_version():
    assert all("@v" in step["uses"] for step in _steps() if "uses" in step)
