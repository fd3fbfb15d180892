"""The MLflow web UI as a person sees it: headless Chromium driven by Playwright."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.system import tools

# Without these Chromium tries to reach Google's services at start, which this closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class PageCheck:
    found: bool
    title: str
    screenshot: Path
    visible_text: str


def experiments_page(mlflow_url: str, expect_text: str, screenshot: Path, timeout_s: float = 30) -> PageCheck:
    """Open the experiments list and wait until `expect_text` is shown; always take a screenshot."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=tools.chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{mlflow_url}/#/experiments", wait_until="domcontentloaded")
            found = True
            try:
                page.get_by_text(expect_text).first.wait_for(state="visible", timeout=timeout_s * 1000)
            except Exception:  # noqa: BLE001 - a timeout is the answer "not shown"
                found = False
            page.screenshot(path=str(screenshot), full_page=True)
            return PageCheck(found, page.title(), screenshot, page.inner_text("body")[:2000])
        finally:
            browser.close()
