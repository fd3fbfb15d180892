@tracking @seed-002-mlflow-api-report
Feature: The MLflow REST API answers every call a tracking client makes
  The nine endpoint checks of the MLflow API report, each asserting what the answer contains and that
  the endpoint answers within a latency budget (generous on purpose: 10x the medians measured here, so that
  a busy machine does not fail it but a server that stalls on every call does).

  Background:
    Given the platform is running

  Scenario: Health check
    Then the MLflow health endpoint answers "OK"
    And "/health" answers within 100 ms at the median of 10 calls

  Scenario: Search experiments
    Given an experiment with a name unique to this scenario
    Then searching experiments finds that experiment and the Default experiment
    And "experiments/search" answers within 100 ms at the median of 10 calls

  Scenario: Create an experiment
    When an experiment is created with a new name
    Then the new experiment can be fetched by its name
    And "experiments/create" answers within 100 ms at the median of 10 calls

  @smoke
  Scenario: Create a run
    When a run is created in the scenario's experiment
    Then reading the run back gives the status "RUNNING"
    And "runs/create" answers within 100 ms at the median of 10 calls

  Scenario: Log a metric
    Given a run in the scenario's experiment
    When that run logs the metric "accuracy" with value 0.95
    Then reading the run back gives the metric "accuracy" = 0.95
    And "runs/log-metric" answers within 100 ms at the median of 10 calls

  Scenario: Log a parameter
    Given a run in the scenario's experiment
    When that run logs the parameter "learning_rate" with value "0.001"
    Then reading the run back gives the parameter "learning_rate" = "0.001"
    And "runs/log-parameter" answers within 100 ms at the median of 10 calls

  Scenario: Mark a run FINISHED
    Given a run in the scenario's experiment
    When that run is marked FINISHED
    Then reading the run back gives the status "FINISHED"
    And "runs/update" answers within 100 ms at the median of 10 calls

  Scenario: Get a run with its logged data
    Given a run in the scenario's experiment
    And that run logs the parameter "learning_rate" with value "0.001"
    And that run logs the metric "accuracy" with value 0.95
    Then reading the run back gives the parameter "learning_rate" = "0.001"
    And reading the run back gives the metric "accuracy" = 0.95
    And "runs/get" answers within 100 ms at the median of 10 calls

  Scenario: Search registered models
    Given a registered model with a name unique to this scenario
    Then searching registered models finds that model
    And "registered-models/search" answers within 100 ms at the median of 10 calls
