@production @seed-003-production @needs-local-processes
Feature: The tracking server loses nothing it acknowledged when its process, database or store fails
  Each fault is injected into the production deployment (two replicas from the chart's production values
  behind the balancer, on a PostgreSQL and an S3 store of their own) and undone after the scenario. On a
  cluster the same faults are an MLflow pod deleted, PostgreSQL scaled to zero, the S3 Service unreachable.

  Background:
    Given the production deployment runs 2 MLflow replicas behind the balancer

  # The client retries refused connections until the server is back, so no call made while it is down fails;
  # the one call in flight at the kill may fail: MLflow's client does not retry an answer cut in the middle.
  @smoke
  Scenario: A server killed and started again is carried over by the MLflow client's retries
    Given a client logs metrics straight to replica-1 with the MLflow client and its retries
    When replica-1 is killed with its whole process group and started again
    And the client logs for 3 more seconds and stops
    Then no call of the client failed but the one in flight when replica-1 was killed
    And every metric a client saw acknowledged is in its run

  # /health does not touch the database: a readiness probe on it keeps sending traffic to a server whose
  # every API call fails, and a liveness probe on it never restarts one. Both are right for this fault:
  # a restart would not bring PostgreSQL back, and the server recovers by itself when it returns.
  Scenario: With PostgreSQL down the API answers 503 while /health stays OK, and it recovers by itself
    Given a run with 20 metrics logged through the balancer
    When PostgreSQL stops under the running replicas
    And a client makes a tracking call through the balancer
    Then the call is answered 503 "TEMPORARILY_UNAVAILABLE"
    And the answer holds neither the admin's nor the database's password
    And each replica's /health still answers OK
    When PostgreSQL starts again
    Then tracking calls through the balancer succeed again
    And no replica was restarted
    And the run still holds its 20 metrics

  Scenario: With the S3 store cut off, uploads fail visibly while metrics keep working
    Given a run with 20 metrics logged through the balancer
    When the S3 store becomes unreachable from the replicas
    And the run uploads an artifact through the balancer
    And the run logs one more metric through the balancer
    Then the upload failed with status 500
    And the metric was acknowledged
    When the S3 store is reachable again
    And the run uploads the artifact again
    Then the upload succeeded and the file is in the bucket
    And the run still holds its 21 metrics
