@production @seed-003-production
Feature: Only the platform's own drivers run applications on its Spark cluster
  Spark's standalone master takes applications over RPC. The chart gives every Spark pod of a release one
  shared secret (spark.authenticate, the RPC traffic encrypted with keys derived from it), so a program that
  reaches the master without that secret runs nothing there, whatever network it comes from. Every other
  Spark scenario runs with the secret: they are the other half of this promise.

  Background:
    Given the platform is running

  @smoke
  Scenario: A driver with a secret of its own is refused by the standalone master
    Given the platform runs Spark 4.1.1 in standalone-submit mode
    When a driver that proves a secret of its own submits a job to the master
    Then the master refuses the driver's authentication
    And the job never runs
