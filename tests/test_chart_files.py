"""Every template of the chart has its test file under tests/chart/, listed in that folder's README."""

import re
from pathlib import Path

from harness import chart

TESTS = Path(__file__).parent / "chart"


def _templates() -> set[str]:
    folder = chart.CHART_DIR / "templates"
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def _table() -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|$", (TESTS / "README.md").read_text(), re.MULTILINE)
    return dict(rows)


def test_every_template_is_in_the_table_and_nothing_else_is():
    assert set(_table()) == _templates()


def test_every_test_file_of_the_table_exists_and_every_test_file_is_in_it():
    listed = set(_table().values())
    present = {path.name for path in TESTS.glob("test_*.py")} - {"test_every_template.py", "test_values_schema.py"}
    assert listed == present
