"""`make platform`: the local platform (and with PRODUCTION=1 the production deployment) started and kept up
for you to explore, until Ctrl-C stops everything it started. What MLflow holds is kept in a data folder
between sessions (see harness/stores/kept_data.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from harness.config import RunConfig
from harness.errors import SuiteError
from harness.matrix import SPARK_VERSIONS, check_version
from harness.mlflow.artifacts import OUTSIDE_CLIENT_ENV
from harness.progress import console
from harness.stores.kept_data import KeptData
from harness.system import tools
from harness.system.ports import is_listening
from harness.system.process import stop_on_interrupts
from harness.targets.local import LocalTarget

DEFAULT_DATA = tools.CACHE_DIR / "platform"
MLOPS_PORT = 8000  # the seed's examples call localhost:8000; another free port when it is taken


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make platform", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder that keeps MLflow's runs and artifacts between sessions (default {DEFAULT_DATA})")
    parser.add_argument("--spark", default=SPARK_VERSIONS[-1],
                        help=f"Spark version, one of {', '.join(SPARK_VERSIONS)}, or none (MLflow only)")
    return parser.parse_args(argv)


def _print_spark(target: LocalTarget, version: str) -> None:
    # Spark Connect where this version's wheel carries its server (4.1.x), spark-submit to the master always.
    connect = target.skip_reason("connect-standalone", version) is None
    site = target.spark("connect-standalone" if connect else "standalone-submit", version)
    console.print(f"Spark       {site.master_url}  (master UI {site.cluster.webui_url})")
    if site.connect_url:
        console.print(f"Connect     {site.connect_url}")
    # The properties carry the cluster's spark.authenticate secret: without them the master refuses the driver.
    properties = site.properties_for(site.host_address)  # your driver is a process of this machine
    console.print(f"submit      {site.runtime.bin / 'spark-submit'} --properties-file {properties} your_job.py")


def main(argv: list[str]) -> int:
    options = _arguments(argv)
    try:
        version = None if options.spark == "none" else check_version(options.spark)
    except SuiteError as problem:
        console.print(f"[red]{problem}[/]")
        return 2
    kept = KeptData(options.data.expanduser().resolve())
    target = LocalTarget(RunConfig(), kept_data=kept)
    stop_on_interrupts()
    try:
        platform = target.platform()
        console.print(f"MLflow      {platform.mlflow_url}  (UI and API, no login)")
        console.print(f"S3          {platform.s3_endpoint}  bucket {platform.bucket} (any key pair)")
        if version is not None:
            _print_spark(target, version)
            if version == SPARK_VERSIONS[-1]:
                mlops = target.mlops_api(port=MLOPS_PORT if not is_listening(MLOPS_PORT) else None)
                console.print(f"MLOps API   {mlops.url}  (POST /mlops/training/upload, GET /mlops/status; README)")
        if os.environ.get("PRODUCTION"):
            stack = target.production_deployment()
            console.print(f"production  {stack.url}  user {stack.admin[0]} password {stack.admin[1]}  "
                          f"(CA: {stack.ca_path})")
        console.print(f"data        {kept.folder}  (saved when the platform stops)")
        console.print(f"logs        {target.workdir / 'logs'}")
        console.print(f"export MLFLOW_TRACKING_URI={platform.mlflow_url}", highlight=False)
        for name, value in OUTSIDE_CLIENT_ENV.items():  # a client of this machine is outside the pods
            console.print(f"export {name}={value}", highlight=False)
        console.print("Ctrl-C stops everything")
        signal.pause()
    except SuiteError as problem:
        console.print(f"[red]{problem}[/]")
        return 1
    except KeyboardInterrupt:
        console.print("stopping what was started")
    finally:
        target.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
