import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.config import RunConfig
from harness.system.temp_dir import java_temp_option, redirect_temp_dir
from harness.targets.local import LocalTarget


def test_the_run_folder_is_the_temp_dir_of_this_process_and_its_children_until_restored(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    run_temp = tmp_path / "run" / "tmp"
    run_temp.parent.mkdir()
    restore = redirect_temp_dir(run_temp)
    try:
        assert tempfile.gettempdir() == str(run_temp)
        assert stat.S_IMODE(run_temp.stat().st_mode) == 0o1777
        assert java_temp_option() == f"-Djava.io.tmpdir={run_temp}"
        child = subprocess.run([sys.executable, "-c", "import tempfile; print(tempfile.mkdtemp())"],
                               capture_output=True, text=True, check=True)
        assert child.stdout.startswith(str(run_temp) + os.sep)
    finally:
        restore()
    assert os.environ["TMPDIR"] == str(tmp_path) and tempfile.tempdir is None


def test_restoring_removes_a_tmpdir_that_was_not_set(tmp_path, monkeypatch):
    monkeypatch.delenv("TMPDIR", raising=False)
    restore = redirect_temp_dir(tmp_path / "tmp")
    restore()
    assert "TMPDIR" not in os.environ


def test_what_a_run_leaves_in_its_temp_dir_goes_with_the_local_targets_run_folder(private_tmp, monkeypatch):
    """MLflow's copy of a model it loads by URI is such a leftover: a mkdtemp() nobody removes."""
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    target = LocalTarget(RunConfig())
    try:
        left = Path(tempfile.mkdtemp())
        assert left.parent == target.workdir / "tmp"
    finally:
        target.close()
    assert not left.exists() and list(private_tmp.iterdir()) == []
    assert tempfile.gettempdir() == str(private_tmp)
