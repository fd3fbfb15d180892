@production @seed-003-production @needs-local-processes
Feature: Only known users reach MLflow, over verified HTTPS end to end, and each changes only what they may
  The production deployment (the chart's production values) with HTTPS end to end, every certificate from a CA
  this run creates as a cert-manager CA issuer would: the balancer serves the Ingress's, re-encrypts to the
  replicas and verifies theirs as the Ingress's annotations ask, each replica serves its Secret's certificate,
  and the object store's endpoint speaks HTTPS too (the servers trust its CA, AWS_CA_BUNDLE). Basic auth is on:
  users are created by the admin through the API. This is MLflow's own login, not the seed's single sign-on
  (mlflow_single_sign_on.feature proves that mode).

  Background:
    Given the production deployment runs 2 MLflow replicas behind the balancer

  Scenario: The MLflow client reaches the server over HTTPS, verifying it with the deployment's CA
    When the MLflow client logs a run through the Ingress with MLFLOW_TRACKING_SERVER_CERT_PATH set to that CA
    Then the run is stored with its metric

  Scenario: Plain HTTP to the Ingress is refused
    When a client calls the Ingress with plain HTTP
    Then the call gets no HTTP answer

  Scenario: A client that trusts another CA refuses the server
    When a client that trusts only an unrelated CA calls the Ingress
    Then the call fails certificate verification

  Scenario: A replica refuses plain HTTP and answers HTTPS that the deployment's CA verifies
    When a client calls replica-1 directly with plain HTTP
    Then the call gets no HTTP answer
    And replica-1 answers its health check over HTTPS verified with the deployment's CA

  Scenario: The balancer takes out a replica whose certificate is not from the deployment's CA
    When replica-2 is restarted with a certificate from a CA the deployment does not trust
    Then replica-2 answers its probe, but the balancer marks it down for its TLS handshake
    And 20 requests through the Ingress are all answered, none by replica-2

  Scenario: Artifacts travel to the object store over TLS
    When the admin logs an artifact through the Ingress
    Then the artifact's bytes are in the store, read from the store itself
    And the servers reached the store at its HTTPS endpoint, which took connections for the upload

  Scenario: The object store's endpoint refuses plain HTTP
    When a client calls the store's endpoint with plain HTTP
    Then the call gets no HTTP answer

  @smoke
  Scenario: A user cannot change another user's experiment
    Given the users "alice" and "bob" created by the admin
    When "alice" creates an experiment through the Ingress
    Then "bob" can read it but creating a run in it is refused with status 403
    And renaming it as "bob" is refused with status 403
    And the auth API reports "alice" with MANAGE permission on it

  # MLflow's basic auth does not stamp runs with the login: user_id is whatever the client sends.
  Scenario: A run records the user_id its client sends, even one that is not the login
    Given the users "alice" and "bob" created by the admin
    When "alice" creates a run that names "mallory" as its user
    Then the run's user_id is "mallory"

  Scenario: The admin password appears in no server log and no report attachment
    Given the users "alice" and "bob" created by the admin
    Then no replica's log holds the admin password
    And no report attachment written so far holds the admin password
