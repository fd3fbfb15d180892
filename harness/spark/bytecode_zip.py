"""Bytecode inside Spark's Python zips, so spark-submit drivers and executor workers stop compiling pyspark.

Spark puts `$SPARK_HOME/python/lib/pyspark.zip` (and py4j's zip) ahead of site-packages for its drivers and
Python workers. zipimport never writes bytecode, so every such process compiled all it imported from source:
importing pyspark.sql and pyspark.ml took 2.7-2.9 s from Spark 4.1.1's zip on a quiet machine (7 s on a busy
one) and 1.2-1.4 s from the zip holding these entries. Each entry `name.pyc` is a checked hash-based pyc (PEP 552):
zipimport compares it with the source beside it and ignores it when they differ.

Stdlib only: the runtime's own Python runs this file (`python bytecode_zip.py ZIP...`), so the bytecode is
that interpreter's. The archive is replaced, never written in place: the runtimes' files are hard links into
uv's cache."""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import tempfile
import zipfile
from pathlib import Path

MARKER = "spark-mlflow-spec-bytecode"
CHECKED_HASH_FLAGS = 0b11


def has_bytecode(archive: Path) -> bool:
    with zipfile.ZipFile(archive) as zipped:
        return MARKER in zipped.namelist()


def pyc_of(source: bytes, filename: str) -> bytes:
    """A checked hash-based pyc of `source`; `filename` is what tracebacks show."""
    code = compile(source, filename, "exec", dont_inherit=True)
    return (importlib.util.MAGIC_NUMBER + CHECKED_HASH_FLAGS.to_bytes(4, "little")
            + importlib.util.source_hash(source) + marshal.dumps(code))


def add_bytecode(archive: Path) -> int:
    """Rewrite `archive` with a pyc beside each .py entry; returns how many it compiled."""
    archive = archive.resolve()
    compiled = 0
    handle, temporary = tempfile.mkstemp(dir=archive.parent, prefix=f".{archive.name}.")
    os.close(handle)
    try:
        with zipfile.ZipFile(archive) as source, \
                zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            names = set(source.namelist())
            for entry in source.infolist():
                if entry.filename.endswith(".pyc") and entry.filename[:-1] in names:
                    continue
                data = source.read(entry)
                target.writestr(entry, data)
                if entry.filename.endswith(".py"):
                    # zipimport shows "<archive>/<entry>" as a module's file: tracebacks find the source there.
                    target.writestr(entry.filename + "c", pyc_of(data, f"{archive}/{entry.filename}"))
                    compiled += 1
            target.writestr(MARKER, f"{compiled} modules compiled by Python {sys.version.split()[0]}\n")
        os.chmod(temporary, archive.stat().st_mode & 0o777)
        os.replace(temporary, archive)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return compiled


if __name__ == "__main__":
    for name in sys.argv[1:]:
        if not has_bytecode(Path(name)):
            print(f"{name}: {add_bytecode(Path(name))} modules compiled")
