@production @ws-001-07 @needs-local-processes
Feature: Tracking data written by the seed's MLflow 2.14 survives the upgrade to the chart's MLflow
  WS-001-07 deployed MLflow 2.14 (image v2.14.0). Moving it to this chart means starting the chart's MLflow pod
  on that PostgreSQL: its migrate-database init container upgrades the schema (under a lock, before any server
  starts), then the server serves the old runs and models. MLflow 2.14.3 runs here from a cached environment of
  its own.

  Background:
    Given the platform is running

  @smoke
  Scenario: The chart's MLflow pod upgrades an MLflow 2.14 database and serves its runs and models unchanged
    Given an MLflow 2.14.3 server tracked a run with params, metrics, a tag and an artifact, and a registered model with two versions of it, on a database of its own
    When the chart's MLflow pod starts on that database
    Then that database's schema is at the revision of a database the chart's MLflow created
    And the run reads back through the new server with the same params, metrics, tag and artifact
    And the registered model reads back through the new server with both versions unchanged
    And each version of the registered model downloads through the new server with the files it was made from

  Scenario: New runs go into the experiments MLflow 2.14 created
    Given an MLflow 2.14.3 server tracked a run with params, metrics, a tag and an artifact on a database of its own
    And the chart's MLflow pod started on that database
    When a run is written into that run's experiment through the new server
    Then that experiment lists both runs through the new server

  # MLflow 3.17 does not refuse an older schema: a database that lacks any of its tables counts as new, and the
  # server runs every migration itself as it starts, unlocked (two replicas starting at once would each run
  # them). Its message only appears for a database that has every table at an older revision.
  Scenario: Left to itself the chart's MLflow would migrate an old database as it starts, so the chart migrates first
    Given an MLflow 2.14.3 server tracked a run with params, metrics, a tag and an artifact on a database of its own
    When an MLflow server with the chart's arguments starts on that database without the pod's migrate-database init container
    Then that database's schema is at the revision of a database the chart's MLflow created
    And the server's log says it migrated the database itself
    And the chart's MLflow pod migrates the schema in its migrate-database init container, under a lock, before any server starts
