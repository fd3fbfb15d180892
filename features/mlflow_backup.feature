@production @seed-003-production @needs-local-processes
Feature: Disaster recovery: the platform comes back from its backups alone
  Seed 003 promises backup procedures, a recovery time (RTO) under 30 minutes and at most an hour of lost data
  (RPO). With backup.enabled the chart runs a CronJob that dumps the MLflow database and, with basic auth on,
  the users' database (pg_dump, each dump read back with pg_restore --list), mirrors the artifacts
  incrementally, and writes a manifest last, into a bucket of its own (on a store apart from the artifacts'
  when backup.store says so); before every upgrade a Job takes the same backup. With restore.enabled the chart's
  restore Job fills an empty database and an empty bucket from a backup while the MLflow pods wait. Here each
  Job's containers run their own commands against local processes.

  Background:
    Given the platform is running

  @smoke
  Scenario: After losing its database and its object store, the platform comes back from the backup store alone
    Given a platform of its own with basic auth, whose backups go to a store apart from its artifacts
    And it holds runs, artifacts, registered models with aliases, a model that predicts, and "alice" with her experiment
    When the chart's backup CronJob runs against it
    And a run is logged after that backup
    And its PostgreSQL and its object store are both destroyed
    And the chart's restore Job brings the newest backup onto a new PostgreSQL and a new, empty object store, and the chart's MLflow pod starts on them
    Then every experiment, run, metric history, artifact, model version and alias from before the backup reads back through the restored server as it was
    And the run logged after the backup is the data lost, and it is younger than the backup was old at the loss
    And the registered model loads by its alias through the restored server and predicts as before
    And "alice" reads her experiment on the restored server with her password
    And the restored server's auth API reports "alice" with MANAGE permission on it
    And the restored server refuses "alice" with a wrong password
    And the restore took less than 30 minutes
    And the chart's backup schedule keeps the newest backup less than 60 minutes old

  Scenario: Every backup checks its dumps, records their checksums and is stored encrypted
    When the chart's backup CronJob runs against the platform
    Then the newest backup's manifest records each dump's size, sha256 and what pg_restore listed, and its artifact listing, matching what is stored
    And every object of the newest backup was stored with server-side encryption "AES256"

  Scenario: Artifacts are mirrored incrementally: a backup copies only what the mirror has not seen
    Given a run has logged an artifact
    And the chart's backup CronJob has written a backup
    And another run has logged an artifact
    When the CronJob runs again
    Then the newest backup lists both runs' artifacts and every artifact the backup before listed
    And it copied exactly the artifacts its mirror had not seen: the second run's, not the first's

  Scenario: A backup that cannot reach the database fails visibly and keeps the older backups
    Given the chart's backup CronJob has written a backup
    When the CronJob runs while the database cannot be reached
    Then the CronJob fails with pg_dump's message that it could not connect
    And the backups in the bucket are exactly those before, the newest good one included

  Scenario: A damaged dump is refused by the restore with a message naming it
    Given the chart's backup CronJob has written a backup
    And the newest backup's MLflow dump is damaged in the bucket
    When the chart's restore Job brings the newest backup onto a new PostgreSQL and S3 store
    Then the restore is refused with a message naming the damaged dump and its backup

  Scenario: MLflow's artifact proxy does not serve the backups
    Given the chart's backup CronJob has written a backup
    When a user asks MLflow's artifact proxy for the newest backup's MLflow dump
    Then the proxy hands out no dump: it answers with an error, not the file

  Scenario: The CronJob keeps only as many backups as its retention
    Given the chart's backup CronJob rendered with a retention of 2
    When it runs 3 times against the platform
    Then the bucket holds its 2 newest backups and not the oldest

  Scenario: An upgrade takes a backup before the chart's MLflow migrates the database
    Given an MLflow 2.14.3 server tracked a run with params, metrics, a tag and an artifact on a database of its own
    When the chart is upgraded onto that database with backups on: its pre-upgrade backup Job runs, then its MLflow pod starts
    Then the pre-upgrade backup holds that database at MLflow 2.14.3's schema revision
    And that database's schema is at the revision of a database the chart's MLflow created
