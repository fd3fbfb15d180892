"""The Spark standalone master as the service asks it: its web UI's JSON (applications by name, workers and
cores) and its kill action."""

from __future__ import annotations

from typing import Any

import requests

ACTIVE = ("WAITING", "RUNNING", "SUBMITTED")


class SparkMaster:
    def __init__(self, webui_url: str, timeout: float = 5) -> None:
        self.webui_url = webui_url
        self.timeout = timeout

    def state(self, timeout: float | None = None) -> dict[str, Any]:
        response = requests.get(f"{self.webui_url}/json/", timeout=timeout or self.timeout)
        response.raise_for_status()
        return dict(response.json())

    def application(self, name: str) -> dict[str, Any] | None:
        """The newest record of the application called `name` (active ones first), None when it has none."""
        state = self.state()
        for group in ("activeapps", "completedapps"):
            found = [app for app in state.get(group, []) if app.get("name") == name]
            if found:
                return dict(found[-1])
        return None

    def kill(self, app_id: str) -> None:
        """Ask the master to kill an application whose driver this replica does not hold."""
        requests.post(f"{self.webui_url}/app/kill/", data={"id": app_id, "terminate": "true"},
                      timeout=self.timeout).raise_for_status()
