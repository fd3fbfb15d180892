@production @seed-003-production @ws-001-07 @needs-local-processes
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

  # The MLflow pod creates the auth database itself when it is missing: auth can be turned on for a platform
  # whose PostgreSQL already exists, or an external one (no first-boot script is relied on).
  @smoke
  Scenario: With basic auth on, the MLflow API refuses requests without credentials
    Given an MLflow server started from the chart with mlflow.auth.enabled=true
    Then a tracking call to that server without credentials is refused with status 401
    And the same call with the admin's credentials from the Secret succeeds
    And the platform's PostgreSQL holds the auth database "mlflow_auth"

  # Found by trying the chart as a user on a cluster would (each failed on the chart before it was fixed)

  Scenario: The UI behind the Ingress can save: its origin is allowed and a foreign one is refused
    Given an MLflow server started from the chart with mlflow.ingress.enabled=true,mlflow.ingress.host=mlflow.example.org
    When a browser page from "https://mlflow.example.org" creates an experiment through that server
    Then that server answers the page's request with status 200
    And the same request from a page on "https://elsewhere.example.com" is refused with status 403

  Scenario: Prometheus can scrape /metrics by the pod's IP
    Given an MLflow server started from the chart with mlflow.metrics.enabled=true
    When Prometheus scrapes "/metrics" from that server addressed as "10.42.0.17:5000"
    Then the scrape gets Prometheus metric lines

  Scenario: The database password appears in no command line and may hold @, : and /
    Given an MLflow server started from the chart on a database whose password is "p@ss:w/rd@host:5432/x"
    When a client makes a tracking call to that server
    Then that server's command line holds no password


  Scenario: With a static prefix everything is served under it, the chart's probes included
    Given an MLflow server started from the chart with mlflow.staticPrefix=/mlflow
    Then that server answers the chart's readiness probe with OK
    And a tracking call under "/mlflow" succeeds while the same call without it gets 404
