@seed-003-production @needs-local-processes
Feature: Tracking data written by the seed's MLflow 2.14 survives the upgrade to the chart's MLflow
  Seed 003's deployment ran MLflow 2.x. Moving it to this chart means starting the chart's MLflow pod on that
  PostgreSQL: its migrate-database init container upgrades the schema (under a lock, before any server starts),
  then the server serves the old runs. MLflow 2.14.3 runs here from a cached environment of its own.

  Background:
    Given the platform is running

  Scenario: The chart's MLflow pod upgrades an MLflow 2.14 database and serves its runs unchanged
    Given an MLflow 2.14.3 server tracked a run with params, metrics, a tag and an artifact on a database of its own
    When the chart's MLflow pod starts on that database
    Then that database's schema is at the revision of a database the chart's MLflow created
    And the run reads back through the new server with the same params, metrics, tag and artifact
