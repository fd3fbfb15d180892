import os
import subprocess
import sys
import zipfile
from pathlib import Path

from harness.spark.bytecode_zip import add_bytecode, has_bytecode

PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/answer.py": "VALUE = 42\n",
    "pkg/boom.py": "def go():\n    raise ValueError('from the zip')\n",
    "pkg/data/settings.txt": "kept\n",
}


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, text in files.items():
            zipped.writestr(name, text)
    return path


def run_from(archive: Path, code: str) -> subprocess.CompletedProcess[str]:
    # A new interpreter: zipimport caches what it read of an archive for the life of a process.
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(archive)},
                          capture_output=True, text=True, check=False)


def test_modules_are_imported_from_the_added_bytecode_and_other_entries_are_kept(tmp_path):
    archive = make_zip(tmp_path / "pyspark.zip", PACKAGE)
    assert not has_bytecode(archive)
    assert add_bytecode(archive) == 3
    assert has_bytecode(archive)
    with zipfile.ZipFile(archive) as zipped:
        assert zipped.read("pkg/data/settings.txt") == b"kept\n"
        assert "pkg/answer.pyc" in zipped.namelist()
    done = run_from(archive, "import pkg.answer as a; print(a.VALUE, a.__file__.endswith('.pyc'))")
    assert done.stdout.split() == ["42", "True"], done.stderr


def test_a_pyc_that_no_longer_matches_its_source_is_ignored(tmp_path):
    archive = make_zip(tmp_path / "pyspark.zip", PACKAGE)
    add_bytecode(archive)
    with zipfile.ZipFile(archive) as zipped:
        entries = {name: zipped.read(name) for name in zipped.namelist()}
    entries["pkg/answer.py"] = b"VALUE = 43\n"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)
    done = run_from(archive, "import pkg.answer as a; print(a.VALUE, a.__file__.endswith('.pyc'))")
    assert done.stdout.split() == ["43", "False"], done.stderr


def test_a_traceback_names_the_source_in_the_archive_and_shows_its_line(tmp_path):
    archive = make_zip(tmp_path / "pyspark.zip", PACKAGE)
    add_bytecode(archive)
    done = run_from(archive, "import traceback, pkg.boom\ntry:\n    pkg.boom.go()\nexcept ValueError:\n"
                             "    traceback.print_exc()")
    assert f'{archive.resolve()}/pkg/boom.py", line 2, in go' in done.stderr
    assert "raise ValueError('from the zip')" in done.stderr


def test_the_archive_is_replaced_so_a_hard_linked_original_is_untouched(tmp_path):
    archive = make_zip(tmp_path / "pyspark.zip", PACKAGE)
    cached = tmp_path / "uv-cache-copy.zip"
    os.link(archive, cached)
    before = cached.read_bytes()
    add_bytecode(archive)
    assert cached.read_bytes() == before and not has_bytecode(cached)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pyspark.zip", "uv-cache-copy.zip"]


def test_the_runtime_program_compiles_each_archive_once(tmp_path):
    archive = make_zip(tmp_path / "pyspark.zip", PACKAGE)
    program = [sys.executable, str(Path("harness/spark/bytecode_zip.py").resolve()), str(archive)]
    first = subprocess.run(program, capture_output=True, text=True, check=True)
    second = subprocess.run(program, capture_output=True, text=True, check=True)
    assert "3 modules compiled" in first.stdout and second.stdout == ""
