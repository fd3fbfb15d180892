"""Where the suite finds the programs it needs, with the one-line fix when one is missing."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from harness.errors import ToolMissing

CACHE_DIR = Path(os.environ.get("SPEC_CACHE_DIR", Path.home() / ".cache" / "spark-mlflow-spec"))
SETUP_HINT = "run 'make setup' (it installs everything the suite needs)"


def require(program: str, fix: str = SETUP_HINT) -> str:
    found = shutil.which(program)
    if not found:
        raise ToolMissing(f"'{program}' is not installed or not on PATH", fix)
    return found


def java() -> str:
    return require("java", "install Java 17 (apt-get install openjdk-17-jre-headless) and put it on PATH")


def haproxy() -> str:
    """Debian installs haproxy in /usr/sbin, which a non-root PATH often lacks."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if not found:
        raise ToolMissing("haproxy is not installed (the production deployment's Service and Ingress)",
                          "apt-get install haproxy, or " + SETUP_HINT)
    return found


def postgres_bin_dir() -> Path:
    """Debian keeps initdb/postgres out of PATH, under /usr/lib/postgresql/<major>/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent  # a symlink into Debian's folder: its siblings (pg_dump) too
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise ToolMissing("PostgreSQL server programs (initdb) are not installed",
                          "apt-get install postgresql-15, or " + SETUP_HINT)
    return Path(candidates[0]).parent


def postgres_jdbc_driver() -> Path:
    """Debian's PostgreSQL JDBC driver, which Iceberg's JDBC catalog needs inside Spark."""
    driver = Path("/usr/share/java/postgresql.jar")
    if not driver.exists():
        raise ToolMissing("the PostgreSQL JDBC driver is not installed",
                          "apt-get install libpostgresql-jdbc-java, or " + SETUP_HINT)
    return driver


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("no Chromium browser found for the UI checks", "apt-get install chromium, or " + SETUP_HINT)


def helm() -> str:
    cached = CACHE_DIR / "tools" / "helm"
    if cached.exists():
        return str(cached)
    return require("helm", SETUP_HINT + "; it unpacks Helm into " + str(cached.parent))


def allure() -> str:
    cached = CACHE_DIR / "allure" / "node_modules" / ".bin" / "allure"
    if cached.exists():
        return str(cached)
    raise ToolMissing("the Allure report generator is not installed", SETUP_HINT)
