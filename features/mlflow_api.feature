@seed-002-mlflow-api-report
Feature: The MLflow REST API answers every call a tracking client makes
  The nine endpoint checks of the MLflow API report, each asserting what the answer contains,
  with the median latency of repeated calls attached to the report.

  Background:
    Given the platform is running

  Scenario: Health check
    Then the MLflow health endpoint answers "OK"
    And the median latency of "/health" over 10 calls is attached to the report

  Scenario: Search experiments
    Given an experiment with a name unique to this scenario
    Then searching experiments finds that experiment and the Default experiment
    And the median latency of "experiments/search" over 10 calls is attached to the report

  Scenario: Create an experiment
    When an experiment is created with a new name
    Then the new experiment can be fetched by its name
    And the median latency of "experiments/create" over 10 calls is attached to the report

  Scenario: Create a run
    When a run is created in the scenario's experiment
    Then reading the run back gives the status "RUNNING"
    And the median latency of "runs/create" over 10 calls is attached to the report

  Scenario: Log a metric
    Given a run in the scenario's experiment
    When that run logs the metric "accuracy" with value 0.95
    Then reading the run back gives the metric "accuracy" = 0.95
    And the median latency of "runs/log-metric" over 10 calls is attached to the report

  Scenario: Log a parameter
    Given a run in the scenario's experiment
    When that run logs the parameter "learning_rate" with value "0.001"
    Then reading the run back gives the parameter "learning_rate" = "0.001"
    And the median latency of "runs/log-parameter" over 10 calls is attached to the report

  Scenario: Mark a run FINISHED
    Given a run in the scenario's experiment
    When that run is marked FINISHED
    Then reading the run back gives the status "FINISHED"
    And the median latency of "runs/update" over 10 calls is attached to the report

  Scenario: Get a run with its logged data
    Given a run in the scenario's experiment
    And that run logs the parameter "learning_rate" with value "0.001"
    And that run logs the metric "accuracy" with value 0.95
    Then reading the run back gives the parameter "learning_rate" = "0.001"
    And reading the run back gives the metric "accuracy" = 0.95
    And the median latency of "runs/get" over 10 calls is attached to the report

  Scenario: Search registered models
    Given a registered model with a name unique to this scenario
    Then searching registered models finds that model
    And the median latency of "registered-models/search" over 10 calls is attached to the report
