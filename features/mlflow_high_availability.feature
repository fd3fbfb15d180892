@production @seed-003-production @needs-local-processes
Feature: Two MLflow replicas keep tracking up through a crash, a rolling update and load
  Seed 003 runs MLflow with 2 replicas and promises zero-downtime rolling updates. Here the chart's production
  values (2 replicas, basic auth, metrics, a TLS Ingress with a body-size limit) run as two MLflow servers with
  the chart's own arguments on one PostgreSQL and one bucket, behind HAProxy doing what the Service (health-
  checked endpoints) and the Ingress (TLS) do on a cluster. Clients log metrics through it over HTTPS; each
  client counts what the server acknowledged and what failed.

  Background:
    Given the production deployment runs 2 MLflow replicas behind the balancer

  @smoke
  Scenario: Killing one replica loses no acknowledged metric and the balancer stops sending to it
    Given 4 clients log metrics through the balancer in a loop
    When replica-1 is killed with its whole process group while they log
    And the clients log for 3 more seconds and stop
    Then every metric a client saw acknowledged is in its run
    And the balancer took replica-1 out within its health-check window
    And every failed request failed between the kill and the balancer taking replica-1 out

  Scenario: A rolling restart of the replicas fails no request
    Given 4 clients log metrics through the balancer in a loop
    When the replicas restart one at a time, each taken out of the balancer and drained first
    And the clients stop
    Then no client request failed
    And every metric a client saw acknowledged is in its run

  Scenario: Eight clients logging together at a steady pace stay within the latency budget
    When 8 clients each log 30 metrics through the balancer at once, pausing 500 ms after each
    Then no client request failed
    And the 95th percentile latency is under 250 ms
