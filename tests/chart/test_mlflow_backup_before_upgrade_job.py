"""mlflow/backup-before-upgrade-job.yaml: with backups on, a pre-upgrade hook Job takes a backup before every
upgrade (and so before the new MLflow's migration); off with backup.beforeUpgrade=false."""

from harness import chart


def backup_hooks(values: dict[str, str]) -> list[str]:
    rendered = chart.render("standalone-submit", "4.1.1", values)
    return [job["metadata"]["name"] for job in rendered.of_kind("Job") if job["metadata"]["name"].endswith("-backup-before-upgrade")]


def test_a_backup_is_taken_before_every_upgrade_when_backups_are_on():
    assert backup_hooks({}) == []
    rendered = chart.render("standalone-submit", "4.1.1", {"backup.enabled": "true"})
    job = rendered.named("Job", "-backup-before-upgrade")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-upgrade"
    # Kept after it ran (for its logs) until the next upgrade replaces it.
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    assert job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "backup"
    assert chart.restricted_violations(rendered) == [] and chart.validation_errors(rendered, chart.KUBE_VERSIONS[0]) == []


def test_it_can_be_turned_off():
    assert backup_hooks({"backup.enabled": "true", "backup.beforeUpgrade": "false"}) == []
