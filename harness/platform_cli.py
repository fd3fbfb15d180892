"""`make platform`: the local platform (and with PRODUCTION=1 the production deployment) started and kept up
for you to explore, until Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import signal
import sys

from harness.config import RunConfig
from harness.errors import SuiteError
from harness.progress import console
from harness.targets.local import LocalTarget


def main() -> int:
    target = LocalTarget(RunConfig())
    signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        platform = target.platform()
        console.print(f"MLflow      {platform.mlflow_url}  (UI and API, no login)")
        console.print(f"S3          {platform.s3_endpoint}  bucket {platform.bucket} (any key pair)")
        if os.environ.get("PRODUCTION"):
            stack = target.production_deployment()
            console.print(f"production  {stack.url}  user {stack.admin[0]} password {stack.admin[1]}  "
                          f"(CA: {stack.ca_path})")
        console.print(f"logs        {target.workdir / 'logs'}")
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
    sys.exit(main())
