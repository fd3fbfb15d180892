"""Uploads with one thing wrong each, named as a feature's Examples name them: the service must refuse each
with one status and one line, and start nothing."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Callable

from harness.workflow.api import Upload

MAX_SCRIPT_BYTES = 1048576  # the chart's default mlops.maxScriptBytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _with(**changes: Any) -> Callable[[dict[str, Any], Path], dict[str, Any] | str]:
    return lambda body, _data: {**body, **changes}


def _without(key: str) -> Callable[[dict[str, Any], Path], dict[str, Any] | str]:
    return lambda body, _data: {name: value for name, value in body.items() if name != key}


DEFECTS: dict[str, Callable[[dict[str, Any], Path], dict[str, Any] | str]] = {
    "script content that is not base64": _with(script_content="this is not base64!"),
    "an empty script": _with(script_content=_b64(b"\n  \n")),
    "a script that is not UTF-8": lambda body, data: {**body, "script_content": _b64((data / "not_utf8.py").read_bytes())},
    "a script over the size limit": _with(script_content=_b64(b"#" * (MAX_SCRIPT_BYTES + 1))),
    "a timeout of 30 seconds": _with(timeout=30),
    "a timeout of 7200 seconds": _with(timeout=7200),
    "a script name with a folder in it": _with(script_name="../train.py"),
    "a requirement that is a URL": _with(requirements=["https://example.org/packages/train-0.1.whl"]),
    "a requirement that is a path": _with(requirements=["./my-package"]),
    "a body that is not JSON": lambda body, _data: '{"script_name": "train.py", "script_content": ',
    "the unknown Spark version 3.4.0": _with(spark_version="3.4.0"),
    "no experiment name": _without("experiment_name"),
}


def bad_upload(defect: str, good: Upload, data: Path) -> dict[str, Any] | str:
    """The body of `good` with `defect`; an unknown defect names the known ones."""
    if defect not in DEFECTS:
        raise KeyError(f"no upload defect called {defect!r}; known: {', '.join(DEFECTS)}")
    return DEFECTS[defect](good.body(), data)
