"""`python -m mlops_api`: the service on MLOPS_HOST:MLOPS_PORT, one process (its job threads share it)."""

import logging
import sys

import uvicorn

from mlops_api.app import create_app
from mlops_api.settings import Settings, SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as problem:
        print(f"mlops_api: {problem}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False,
                timeout_graceful_shutdown=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
