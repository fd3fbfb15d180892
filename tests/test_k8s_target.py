"""The k8s target without a cluster: its helm command line is accepted by helm, and a missing or dead
cluster gives one line that says what to do."""

import subprocess
import tempfile

import pytest

from harness.system import tools
from harness.config import RunConfig
from harness.errors import ClusterUnreachable
from harness.matrix import all_cells
from harness.system.ports import free_port
from harness.targets.k8s.target import K8sTarget, helm_install_args, mlops_values


@pytest.mark.parametrize("mode, version", all_cells())
def test_the_install_command_line_is_accepted_by_helm(mode, version):
    args = helm_install_args("spec", "spec-test", mode, version, "registry.example/mlops-api:4.1.1")
    assert args[:2] == ["upgrade", "--install"] and "--wait=watcher" in args
    # `upgrade --install` asks the cluster for the release history; `install --dry-run=client` checks the same
    # chart, values and flags offline.
    offline = ["install", *[a for a in args[2:] if not a.startswith("--wait") and a not in ("--timeout", "10m")],
               "--dry-run=client"]
    done = subprocess.run([tools.helm(), *offline], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "STATUS: pending-install" in done.stdout


def test_no_kubeconfig_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    from harness.targets.k8s.target import K8sTarget

    with pytest.raises(ClusterUnreachable) as raised:
        K8sTarget(RunConfig(target="k8s"))
    assert "no Kubernetes cluster is configured" in str(raised.value)
    assert "KUBECONFIG" in raised.value.fix


def test_a_cluster_that_does_not_answer_is_one_clear_line(tmp_path, monkeypatch):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(f"""
apiVersion: v1
kind: Config
clusters: [{{name: dead, cluster: {{server: "https://127.0.0.1:{free_port()}"}}}}]
users: [{{name: me, user: {{token: x}}}}]
contexts: [{{name: dead, context: {{cluster: dead, user: me}}}}]
current-context: dead
""")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    from harness.targets.k8s.target import K8sTarget

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    with pytest.raises(ClusterUnreachable) as raised:
        K8sTarget(RunConfig(target="k8s"))
    assert "does not answer" in str(raised.value) and "\n" not in str(raised.value)
    assert list(private_tmp.iterdir()) == [], "a refused cluster left a temp dir"


def test_the_mlops_api_goes_wherever_the_mode_has_a_master_with_the_runs_image():
    assert mlops_values("iceberg", "registry.example:5000/team/mlops-api:4.1.1") == {
        "mlops.enabled": "true", "mlops.image.repository": "registry.example:5000/team/mlops-api",
        "mlops.image.tag": "4.1.1"}
    assert mlops_values("k8s", "r/mlops-api:1") == {} and mlops_values("standalone-submit", None) == {}


def test_without_the_mlops_image_the_training_feature_is_skipped_with_how_to_build_it():
    def cluster(config: RunConfig) -> K8sTarget:
        target = object.__new__(K8sTarget)
        target.config = config
        return target

    reason = cluster(RunConfig(target="k8s")).unmet_need("mlops-api")
    assert reason and "services/mlops_api/Dockerfile" in reason and "-D mlops_image=" in reason
    assert cluster(RunConfig(target="k8s", mlops_image="r/mlops-api:4.1.1")).unmet_need("mlops-api") is None
