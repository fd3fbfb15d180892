"""The mode x Spark version grid of one run: each cell passed, failed or skipped (with the reason) and its time,
as a terminal table, Markdown and an SVG picture (reports/matrix.md, reports/matrix.svg).

Where the run's scenarios are shared out to processes side by side (harness/acceptance.py), each process saves
what it recorded and the runner makes one grid of them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table

from harness.matrix import MODES, SPARK_VERSIONS
from harness.progress import console

# "simulated": a GPU row that passed on the simulated discovery script: Spark's scheduling proven, no GPU used.
MARKS = {"passed": "pass", "simulated": "sim", "failed": "FAIL", "skipped": "skip", "not run": "-"}
COLOURS = {"passed": "#97cc64", "simulated": "#9ec5e8", "failed": "#fd5a3e", "skipped": "#d5d5d5",
           "not run": "#ffffff"}
LEGEND = {"simulated": "sim: passed on simulated GPUs (a made-up discovery script; no GPU was used)",
          "not run": "-: not run in this run"}
MATRIX_JSON = "matrix.json"
RECORDS_JSON = "matrix-records.json"  # every scenario's record of the last run: what `make rerun` merges into
ATTACHMENT_NAME = "Spark matrix of this run"
RICH_STYLES = {"passed": "green", "simulated": "blue", "failed": "bold red", "skipped": "dim", "not run": "dim"}


@dataclass
class Cell:
    """Every scenario of one mode and version: failed if any failed, passed if any passed, else skipped."""

    outcomes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        for status in ("failed", "passed", "simulated", "skipped"):
            if status in self.outcomes:
                return status
        return "not run"

    @property
    def label(self) -> str:
        timing = f" {self.seconds:.0f}s" if self.status in ("passed", "simulated", "failed") else ""
        return MARKS[self.status] + timing


class MatrixGrid:
    def __init__(self) -> None:
        self.cells = {(mode, version): Cell() for mode in MODES for version in SPARK_VERSIONS}
        self._records: list[dict[str, object]] = []

    @classmethod
    def merged(cls, parts: list[Path]) -> MatrixGrid:
        """One grid of what processes side by side saved (save_records); each part is removed once read, a
        missing one (a process that died first) adds nothing."""
        grid = cls()
        for part in parts:
            if part.exists():
                for record in json.loads(part.read_text()):
                    grid.record(**record)
                part.unlink()
        return grid

    @classmethod
    def rerun_over(cls, previous: Path, rerun: MatrixGrid) -> MatrixGrid:
        """The last run's grid with the cells a rerun ran taken from the rerun (the rest as they were)."""
        grid = cls()
        rerun_cells = {(str(r["mode"]), str(r["version"])) for r in rerun._records}
        earlier = json.loads(previous.read_text()) if previous.exists() else []
        for record in [r for r in earlier if (r["mode"], r["version"]) not in rerun_cells] + rerun._records:
            grid.record(**record)  # type: ignore[arg-type]
        return grid

    def save_records(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self._records))

    def record(self, mode: str, version: str, outcome: str, seconds: float, reason: str = "") -> None:
        self._records.append({"mode": mode, "version": version, "outcome": outcome, "seconds": seconds,
                              "reason": reason})
        cell = self.cells[(mode, version)]
        cell.outcomes.append(outcome)
        if outcome == "skipped":
            if reason and reason not in cell.reasons:
                cell.reasons.append(reason)
        else:
            cell.seconds += seconds

    @property
    def recorded(self) -> bool:
        return any(cell.outcomes for cell in self.cells.values())

    def _reason_numbers(self) -> dict[str, int]:
        """Each distinct skip reason of a skipped cell, numbered for the footnotes."""
        numbers: dict[str, int] = {}
        for cell in self.cells.values():
            if cell.status == "skipped":
                for reason in cell.reasons:
                    numbers.setdefault(reason, len(numbers) + 1)
        return numbers

    def legend(self) -> list[str]:
        """What the marks that need saying mean, for those the grid shows."""
        shown = {cell.status for cell in self.cells.values()}
        return [text for status, text in LEGEND.items() if status in shown]

    def _cell_text(self, cell: Cell, numbers: dict[str, int]) -> str:
        notes = "".join(f"[{numbers[r]}]" for r in cell.reasons if r in numbers) if cell.status == "skipped" else ""
        return cell.label + notes

    def markdown(self) -> str:
        numbers = self._reason_numbers()
        lines = ["| mode | " + " | ".join(SPARK_VERSIONS) + " |", "| --- |" + " --- |" * len(SPARK_VERSIONS)]
        for mode in MODES:
            row = [self._cell_text(self.cells[(mode, version)], numbers) for version in SPARK_VERSIONS]
            lines.append(f"| {mode} | " + " | ".join(row) + " |")
        lines.append("")
        lines += [f"{text}  " for text in self.legend()]
        lines += [f"[{number}] {reason}  " for reason, number in numbers.items()]
        return "\n".join(lines).rstrip() + "\n"

    def table(self) -> Table:
        numbers = self._reason_numbers()
        table = Table(title="Spark matrix: mode x version", caption="\n".join(
            [*self.legend(), *(f"[{number}] {reason}" for reason, number in numbers.items())]),
            caption_justify="left")
        table.add_column("mode")
        for version in SPARK_VERSIONS:
            table.add_column(version, justify="center")
        for mode in MODES:
            cells = [self.cells[(mode, version)] for version in SPARK_VERSIONS]
            table.add_row(mode, *(f"[{RICH_STYLES[c.status]}]{self._cell_text(c, numbers)}[/]" for c in cells))
        return table

    def svg(self) -> str:
        numbers = self._reason_numbers()
        notes = [*self.legend(), *(f"[{number}] {reason}" for reason, number in numbers.items())]
        head_w, cell_w, row_h, top = 150, 110, 30, 40
        longest_note = max((len(note) for note in notes), default=0)
        width = max(head_w + cell_w * len(SPARK_VERSIONS), 10 + int(6.5 * longest_note))  # 11px text: ~6.5px a char
        height = top + row_h * (len(MODES) + 1) + 18 * len(notes) + 10
        svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", width=str(width), height=str(height),
                         style="font-family:sans-serif;font-size:13px")
        ET.SubElement(svg, "text", x="5", y="20", style="font-weight:bold").text = "Spark matrix: mode x version"
        for column, version in enumerate(SPARK_VERSIONS):
            x = head_w + column * cell_w
            ET.SubElement(svg, "text", x=str(x + cell_w // 2), y=str(top + 20), **{"text-anchor": "middle"}).text = version
        for row, mode in enumerate(MODES, 1):
            y = top + row * row_h
            ET.SubElement(svg, "text", x="5", y=str(y + 20)).text = mode
            for column, version in enumerate(SPARK_VERSIONS):
                cell = self.cells[(mode, version)]
                x = head_w + column * cell_w
                rect = ET.SubElement(svg, "rect", x=str(x + 2), y=str(y + 2), width=str(cell_w - 4),
                                     height=str(row_h - 4), fill=COLOURS[cell.status], stroke="#999")
                ET.SubElement(rect, "title").text = "; ".join(cell.reasons) or cell.status
                ET.SubElement(svg, "text", x=str(x + cell_w // 2), y=str(y + 20),
                              **{"text-anchor": "middle"}).text = self._cell_text(cell, numbers)
        y = top + row_h * (len(MODES) + 1) + 14
        for note in notes:
            ET.SubElement(svg, "text", x="5", y=str(y), style="font-size:11px").text = note
            y += 18
        return ET.tostring(svg, encoding="unicode")

    def as_json(self) -> str:
        return json.dumps([{"mode": mode, "version": version, "status": cell.status, "seconds": round(cell.seconds, 1),
                            "reasons": cell.reasons} for (mode, version), cell in self.cells.items()], indent=1)

    def write(self, folder: Path) -> tuple[Path, Path]:
        """matrix.md and matrix.svg for people, matrix.json for `make bench`."""
        folder.mkdir(parents=True, exist_ok=True)
        markdown, picture = folder / "matrix.md", folder / "matrix.svg"
        markdown.write_text("# Spark matrix: mode x version\n\n" + self.markdown())
        picture.write_text(self.svg())
        (folder / MATRIX_JSON).write_text(self.as_json())
        self.save_records(folder / RECORDS_JSON)
        return markdown, picture

    def publish(self, folder: Path) -> None:
        """The grid on the terminal and in `folder` (see write)."""
        console.print(self.table())
        markdown, picture = self.write(folder)
        console.print(f"matrix: {picture} and {markdown}", markup=False)


def show_whole_run(results: Path, grid: MatrixGrid) -> int:
    """Each process attached the grid of its own scenarios to its last matrix scenario: make those attachments
    in the Allure results show the whole run's grid. Returns how many were replaced."""
    replaced = 0
    for path in results.glob("*-result.json"):
        for attachment in json.loads(path.read_text()).get("attachments", []):
            if attachment.get("name") == ATTACHMENT_NAME:
                (results / attachment["source"]).write_text(grid.svg())
                replaced += 1
    return replaced


def totals_text(cells: list[dict[str, object]]) -> str:
    """The matrix's time per mode and in all, from a run's matrix.json."""
    per_mode: dict[str, float] = {}
    for cell in cells:
        per_mode[str(cell["mode"])] = per_mode.get(str(cell["mode"]), 0.0) + float(cell["seconds"])  # type: ignore[arg-type]
    ran = {mode: seconds for mode, seconds in per_mode.items() if seconds}
    return (f"Spark matrix of the last run: {sum(ran.values()):.0f}s in all ("
            + ", ".join(f"{mode} {seconds:.0f}s" for mode, seconds in ran.items()) + ")")
