#!/usr/bin/env bash
# Installs everything the suite needs on a fresh Debian machine with Python 3.11 and Java 17.
# Each part is skipped when already done, so running it again costs a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SPEC_CACHE_DIR:-$HOME/.cache/spark-mlflow-spec}"
PYTHON="${PYTHON:-python3.11}"
ALLURE_VERSION="2.46.1"

step() { printf '\033[1;36m>\033[0m %s\n' "$*"; STEP_START=$EPOCHREALTIME; }
done_step() { awk -v s="$STEP_START" -v e="$EPOCHREALTIME" -v l="$1" 'BEGIN { printf "\033[1;32m✓\033[0m %s (%.1fs)\n", l, e - s }'; }
fail() { printf '\033[1;31mx\033[0m %s\n' "$*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || fail "Python 3.11 is needed, found $("$PYTHON" --version 2>&1): install python3.11 or set PYTHON=/path/to/python3.11"
command -v java >/dev/null || fail "java is not installed: apt-get install openjdk-17-jre-headless (Spark and the Allure report need it)"

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql-15)
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)  # Iceberg's JDBC catalog in Spark
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)  # the local Service/Ingress of the production deployment
command -v bwrap >/dev/null || missing+=(bubblewrap)  # the chart's pods isolated on the local target
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing system packages: ${missing[*]} -- run: sudo apt-get install -y ${missing[*]}"
  echo "> installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

UV_VERSION="0.13.8"  # as pinned in pyproject.toml: it builds the suite's environment and every cached one
# One cache for every environment; the system's CA bundle (registries may sit behind a TLS proxy).
export UV_CACHE_DIR="$CACHE/uv" UV_NATIVE_TLS=1
# uv's build locks (uv-setuptools-*.lock, one per sdist it builds) go beside its cache, not into /tmp for good.
UV_TMPDIR="$CACHE/uv-tmp"
stamp="$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)"
if [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
  step "installing the suite's Python packages into .venv (uv $UV_VERSION)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" = "$UV_VERSION" ] \
    || .venv/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" 2>&1 | grep -v '^WARNING: Location' || true
  # No bytecode at install: compiling every module of every package took 40 of the 50 s (measured). The Makefile
  # lets the suite's programs write the bytecode of what they import, once, even where PYTHONDONTWRITEBYTECODE is set.
  mkdir -p "$UV_TMPDIR"
  TMPDIR="$UV_TMPDIR" .venv/bin/uv pip install --quiet --python .venv/bin/python -c requirements.lock -e . \
    || fail "uv could not install the suite's packages: see its output above"
  .venv/bin/python -c 'import behave, allure_behave, mlflow, moto, psycopg2, playwright' \
    || fail "the Python packages did not install: see the output above"
  echo "$stamp" > .venv/.installed
  done_step "Python packages"
fi

if [ ! -x "$CACHE/allure/node_modules/.bin/allure" ]; then
  step "installing the Allure report generator $ALLURE_VERSION into $CACHE/allure"
  mkdir -p "$CACHE/allure"
  npm install --silent --no-audit --no-fund --prefix "$CACHE/allure" "allure-commandline@$ALLURE_VERSION"
  done_step "Allure"
fi

if ! .venv/bin/python -c 'import sys; from harness.system.install_tools import installed, CACHE_DIR; sys.exit(not installed(CACHE_DIR / "tools"))'; then
  step "unpacking Helm and kubectl into $CACHE/tools (pinned by sha256)"
  .venv/bin/python -m harness.system.install_tools >/dev/null
  done_step "Helm and kubectl"
fi

# The Spark runtimes and MLflow 2.14, each built once into the cache (all at once when several are missing).
.venv/bin/python -m harness.prebuild
