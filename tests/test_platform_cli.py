"""`make platform`: it comes up, prints where everything is, runs the README's MLOps examples as written, stops
everything on Ctrl-C, and a second session on the same data folder finds the first session's run and artifact.
One session does all of it: each start is a whole platform (about a minute of the unit tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import mlflow
import requests
from mlflow import MlflowClient

START_TIMEOUT_S = 240


def _start(data: Path, spark: str, tmp: Path, marker: str) -> tuple[subprocess.Popen[str], list[str]]:
    """The platform CLI, and what it printed up to its "Ctrl-C stops everything" line."""
    shell = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}  # not pasted ones
    env = {**shell, "SPEC_LEAK_MARKER": marker, "TMPDIR": str(tmp), "COLUMNS": "300"}
    cli = subprocess.Popen([sys.executable, "-m", "harness.platform_cli", "--data", str(data), "--spark", spark],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    assert cli.stderr is not None
    printed = []
    for line in cli.stderr:
        printed.append(line.rstrip())
        if "Ctrl-C stops everything" in line:
            return cli, printed
    cli.wait(timeout=60)
    raise AssertionError("the platform exited before it was up:\n" + "\n".join(printed))


def _ctrl_c(cli: subprocess.Popen[str]) -> list[str]:
    os.killpg(cli.pid, signal.SIGINT)  # what a terminal sends to the foreground group
    _, rest = cli.communicate(timeout=180)
    assert cli.returncode == 0, rest
    return rest.splitlines()


def _tracking_uri(printed: list[str]) -> str:
    exports = [line for line in printed if line.startswith("export MLFLOW_TRACKING_URI=")]
    assert len(exports) == 1, printed
    return exports[0].split("=", 1)[1]


def _paste_exports(printed: list[str], monkeypatch) -> None:
    """What a user pastes into a shell: every `export NAME=value` line the platform printed."""
    for line in printed:
        if line.startswith("export "):
            monkeypatch.setenv(*line.removeprefix("export ").split("=", 1))


def test_the_platform_runs_the_readmes_examples_keeps_its_runs_between_sessions_and_leaves_nothing(
        tmp_path, private_tmp, survivors, leak_marker, monkeypatch):
    data = tmp_path / "platform-data"
    marker = leak_marker
    cli, printed = _start(data, "4.1.1", private_tmp, marker)
    try:
        uri = _tracking_uri(printed)
        _paste_exports(printed, monkeypatch)
        assert any(line.startswith("Spark       spark://") for line in printed), printed
        assert requests.get(f"{uri}/health", timeout=10).text == "OK"
        _run_the_readmes_mlops_examples(printed, marker)
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment("kept between sessions")
        (tmp_path / "notes.txt").write_text("written in the first session")
        with mlflow.start_run() as run:
            mlflow.log_param("alpha", "0.5")
            mlflow.log_artifact(str(tmp_path / "notes.txt"))
    finally:
        stopped = _ctrl_c(cli)
    assert any("saving MLflow's database and artifacts" in line for line in stopped), stopped
    assert survivors(marker) == []
    assert list(private_tmp.iterdir()) == []
    assert not _answers(uri)

    cli, printed = _start(data, "none", private_tmp, marker)
    try:
        _paste_exports(printed, monkeypatch)
        client = MlflowClient(_tracking_uri(printed))
        assert client.get_run(run.info.run_id).data.params == {"alpha": "0.5"}
        copy = client.download_artifacts(run.info.run_id, "notes.txt", str(tmp_path / "downloaded"))
        assert Path(copy).read_text() == "written in the first session"
    finally:
        _ctrl_c(cli)
    assert survivors(marker) == []


def _answers(uri: str) -> bool:
    try:
        requests.get(f"{uri}/health", timeout=3)
    except requests.ConnectionError:
        return False
    return True


def test_an_unknown_spark_version_is_one_line_and_starts_nothing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "harness.platform_cli", "--data", str(tmp_path), "--spark", "9.9"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "300"})
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "9.9" in done.stderr and "3.5.7" in done.stderr
    assert list(tmp_path.iterdir()) == []


def _readme_examples() -> str:
    """The two Python examples of the README's MLOps API section (the seed's upload and follow), as one script."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## The MLOps API", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```python\n")[1:]
    assert len(blocks) == 2, "the README's MLOps section should hold the seed's two examples"
    return "\n".join(block.split("```", 1)[0] for block in blocks)


def _run_the_readmes_mlops_examples(printed: list[str], marker: str) -> None:
    """The README's MLOps examples, as written, against the MLOps API the platform printed."""
    urls = [line.split()[2] for line in printed if line.startswith("MLOps API   http://")]
    assert len(urls) == 1, printed
    script = _readme_examples().replace("http://localhost:8000", urls[0])  # 8000 unless it was taken
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "SPEC_LEAK_MARKER": marker})
    assert done.returncode == 0, done.stderr
    assert "Status: completed" in done.stdout and "Run ID: " in done.stdout, done.stdout
