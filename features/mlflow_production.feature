@seed-003-production @ws-001-07 @needs-local-processes
Feature: The chart's production options work on a real MLflow server
  A production deployment turns on Prometheus metrics and authentication. Each option is checked on an
  MLflow server started with exactly the arguments, environment and auth configuration the chart renders
  for it, against the platform's PostgreSQL and bucket.

  Background:
    Given the platform is running

  Scenario: With metrics on, the MLflow server exposes Prometheus metrics at /metrics
    Given an MLflow server started from the chart with mlflow.metrics.enabled=true
    When a client makes a tracking call to that server
    Then that server's "/metrics" page serves Prometheus metrics of its requests

  Scenario: With basic auth on, the MLflow API refuses requests without credentials
    Given an MLflow server started from the chart with mlflow.auth.enabled=true
    Then a tracking call to that server without credentials is refused with status 401
    And the same call with the admin's credentials from the Secret succeeds
