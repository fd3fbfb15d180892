"""Group the Allure report's Suites view by feature.

allure-behave 2.16 gives each result a `feature` label but no `suite`, and drops labels added at run time
(allure.dynamic.suite), so the Suites view lists every scenario loose. `make report` runs this on the results
before Allure builds the report: each result without a suite gets its feature as its suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_feature_suites(results: Path) -> int:
    """Give every result file in `results` without a suite label its feature as suite; returns how many."""
    changed = 0
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text())
        labels = result.setdefault("labels", [])
        names = {label["name"] for label in labels}
        feature = next((label["value"] for label in labels if label["name"] == "feature"), None)
        if feature and "suite" not in names:
            labels.append({"name": "suite", "value": feature})
            path.write_text(json.dumps(result))
            changed += 1
    return changed


if __name__ == "__main__":
    add_feature_suites(Path(sys.argv[1]))
