"""The artifact store as the chart sets it up: the buckets its bucket-init Job creates, read from the Job's own
script, so the local target creates exactly those (and a wrong bucket name in the chart fails locally)."""

from __future__ import annotations

import shlex

from harness.chart.render import Rendered
from harness.errors import SuiteError

# `mc` commands of the Job's script and what they mean for the local S3 server.
CONNECTION_COMMANDS = ("alias",)  # the local client is already connected to the local server
BUCKET_COMMAND = "mb"


def bucket_job_script(rendered: Rendered) -> str:
    job = rendered.workload("bucket-init")
    container = job["spec"]["template"]["spec"]["containers"][0]
    return str(container["args"][0])


def buckets_created(script: str) -> list[str]:
    """The buckets `mc mb` makes in the Job's script. Any other `mc` command is refused: the local target
    cannot do it the chart's way, and silently skipping it would hide a difference."""
    buckets = []
    for line in script.splitlines():
        words = shlex.split(line.replace(";", " ; "))
        for index, word in enumerate(words):
            if word != "mc":
                continue
            command = words[index + 1] if index + 1 < len(words) else ""
            if command in CONNECTION_COMMANDS:
                continue
            if command != BUCKET_COMMAND:
                raise SuiteError(f"the chart's bucket-init Job runs 'mc {command}', which the local target cannot "
                                 "repeat", "teach harness/chart/storage.py what it means on a plain S3 server")
            targets = [w for w in words[index + 2:] if not w.startswith("-")]
            buckets.append(targets[0].split("/", 1)[1])
    if not buckets:
        raise SuiteError("the chart's bucket-init Job creates no bucket", "check templates/minio/bucket-job.yaml")
    return buckets
