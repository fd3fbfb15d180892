@tracking @ws-001-07
Feature: MLflow tracking server keeps runs in PostgreSQL and artifacts in the bucket
  A platform engineer needs a tracking server whose runs live in PostgreSQL and whose files live
  in the "mlflow-artifacts" bucket, reached through the server, so that nothing is lost when it moves
  and no client needs storage credentials.

  Background:
    Given the platform is running

  Scenario: The MLflow server starts and serves its UI and health check on its port
    Then the MLflow health endpoint answers "OK"
    And the MLflow web UI page is served on the server's port

  Scenario: The backend store is PostgreSQL
    When a run logs the parameter "alpha" with value "0.5"
    Then the backend database holds that run with the parameter "alpha" = "0.5"

  Scenario: The artifacts bucket exists
    Then the bucket "mlflow-artifacts" exists in the artifact store

  @smoke
  Scenario: A test experiment logs a parameter and a metric and reads them back
    When a run logs the parameter "test_param" with value "value"
    And that run logs the metric "test_metric" with value 0.95
    Then reading the run back gives the parameter "test_param" = "value"
    And reading the run back gives the metric "test_metric" = 0.95

  Scenario: Artifacts go through the server into the bucket
    Given a client that has no storage credentials
    When that client logs the file "model-notes.txt" to a run
    Then the bucket "mlflow-artifacts" holds "model-notes.txt" under that run

  Scenario: A client outside the cluster downloads artifacts through the server, not from the store
    Given a client that has no storage credentials
    When that client logs the file "model-notes.txt" to a run
    Then that client downloads "model-notes.txt" from the run through the server, as it logged it

  Scenario: The MLflow UI shows the experiments list
    Given an experiment with a name unique to this scenario
    Then the MLflow UI lists that experiment on its experiments page
