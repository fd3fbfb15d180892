import os
import subprocess
import sys

from harness.doctor import CHECKS


def _doctor(cache_dir: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.doctor"], capture_output=True, text=True,
                          env={**os.environ, "SPEC_CACHE_DIR": cache_dir, "COLUMNS": "300"}, timeout=60)


def test_an_empty_cache_is_reported_with_the_fix_and_a_failing_status(tmp_path):
    done = _doctor(str(tmp_path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(line.startswith("x Allure generator") and "make setup" in line for line in lines), done.stdout
    assert any(line.startswith("x Spark runtimes and MLflow 2.14: not built: Spark 3.5.7, Spark 3.5.8, "
                               "Spark 4.1.0, Spark 4.1.1, MLflow 2.14.3") and "make setup" in line
               for line in lines), done.stdout
    assert lines[-1].endswith("problems: fix them, then run make acceptance")


def test_every_need_gets_one_line_found_or_missing(tmp_path):
    lines = _doctor(str(tmp_path)).stdout.splitlines()
    for name in CHECKS:
        assert len([line for line in lines if line[2:].startswith(f"{name}: ")]) == 1, (name, lines)
