# The README's two commands: `make acceptance` (the suite on the local target) and `make test` (everything CI runs).
SHELL := /bin/bash
VENV := .venv/bin
CACHE ?= $(or $(SPEC_CACHE_DIR),$(HOME)/.cache/spark-mlflow-spec)
TARGET ?= local
BEHAVE_ARGS ?=
RESULTS := reports/allure-results
REPORT := reports/allure-report
# The command as typed, for the report's executor (harness/allure_meta.py).
export SPEC_COMMAND = make $(MAKECMDGOALS)$(if $(filter command line,$(origin TARGET)), TARGET=$(TARGET))
# The cached environments are installed without bytecode: their programs write it on first use (CI sets this).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup doctor platform acceptance smoke rerun report unit test bench clean

setup:
	@scripts/setup.sh

## Is this machine ready? One line per need (tools, disk, memory, leftovers of killed runs).
doctor: setup
	@$(VENV)/python -m harness.doctor

## The local platform up for exploring (PRODUCTION=1 adds the two-replica deployment) until Ctrl-C.
## DATA=folder keeps MLflow's runs and artifacts between sessions; SPARK=version (or none) picks the Spark.
platform: setup
	@$(VENV)/python -m harness.platform_cli $(if $(DATA),--data "$(DATA)") $(if $(SPARK),--spark $(SPARK))

## Run the acceptance features (two behave processes side by side, see harness/acceptance.py), then build the
## HTML report whatever the outcome; exit with behave's status. The last report's history/ goes into the new
## results, so the report shows trends and each test's history.
acceptance: setup
	@rm -rf $(RESULTS); mkdir -p $(RESULTS); [ ! -d $(REPORT)/history ] || cp -r $(REPORT)/history $(RESULTS)/; \
	status=0; \
	$(VENV)/python -m harness.acceptance $(RESULTS) -D target=$(TARGET) $(BEHAVE_ARGS) || status=$$?; \
	$(MAKE) --no-print-directory report; \
	exit $$status

## The quick lane: the scenarios tagged @smoke (one of every feature, the newest Spark of every mode), with
## the same report and grid (cells it does not run are marked so).
smoke: setup
	@$(MAKE) --no-print-directory acceptance BEHAVE_ARGS="--tags=smoke --no-skipped -D gpu=simulated $(BEHAVE_ARGS)"

## Exactly the scenarios that failed in the last run (reports/rerun.txt), with its -D options; their results
## join the last run's report (as retries) and their cells are laid over its grid.
rerun: setup
	@status=0; \
	mkdir -p $(RESULTS); \
	$(VENV)/python -m harness.acceptance $(RESULTS) --rerun \
	  $(if $(filter command line environment,$(origin TARGET)),-D target=$(TARGET)) $(BEHAVE_ARGS) || status=$$?; \
	$(MAKE) --no-print-directory report; \
	exit $$status

report:
	@$(VENV)/python -m harness.report_suites $(RESULTS)
	@ALLURE_NO_ANALYTICS=true $(CACHE)/allure/node_modules/.bin/allure generate $(RESULTS) -o $(REPORT) --clean >/dev/null \
	  && echo "Allure report: $(CURDIR)/$(REPORT)/index.html (open it with: $(CACHE)/allure/node_modules/.bin/allure open $(REPORT))"

## Two workers, each taking the next test when it is free: a few tests start whole platforms and take most of
## the time (serial 6 min, this way about 3 on 2 cores).
unit: setup
	$(VENV)/pytest -n 2 --dist worksteal tests

## CI: unit tests, then the whole acceptance suite; GPU rows run on simulated GPUs (labelled so) here.
test: unit
	@$(MAKE) --no-print-directory acceptance BEHAVE_ARGS="-D gpu=simulated $(BEHAVE_ARGS)"

bench: setup
	$(VENV)/python -m bench

clean:
	rm -rf reports/allure-results reports/allure-report reports/service-logs reports/screenshots
