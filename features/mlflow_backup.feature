@seed-003-production @needs-local-processes
Feature: A backup taken by the chart's CronJob brings MLflow back on a fresh platform
  Seed 003 promises backup procedures, a recovery time (RTO) under 30 minutes and at most an hour of lost data
  (RPO). With backup.enabled the chart runs a CronJob that dumps the MLflow database and, with basic auth on,
  the users' database (pg_dump) into a bucket of their own under a dated prefix. Here the CronJob's containers
  run their own commands against the platform, and the restore follows the README's "Restore from a backup" on
  a new PostgreSQL and a new S3 store.

  Background:
    Given the platform is running

  @smoke
  Scenario: Runs and registered models come back from the newest backup on a fresh platform
    Given a run with params, metrics, a tag and an artifact, and a registered model with two versions of it
    When the chart's backup CronJob runs against the platform
    And the newest backup is restored onto a new PostgreSQL and S3 store and the chart's MLflow pod starts on them
    Then the run reads back through the restored server with the same params, metrics, tag and artifact
    And the registered model reads back through the restored server with both versions unchanged
    And the restore took less than 30 minutes
    And the chart's backup schedule keeps the newest backup less than 60 minutes old

  Scenario: Users, their passwords and their permissions come back from the newest backup
    Given an MLflow server with basic auth on databases of its own, where "alice" created an experiment
    When the chart's backup CronJob, rendered with that server's basic auth, runs against its databases
    And the newest backup is restored onto a new PostgreSQL and S3 store and the chart's MLflow pod starts on them
    Then the backup holds a dump of the MLflow database and one of the users' database
    And "alice" logs in to the restored server with her password and renames her experiment
    And the restored server's auth API reports "alice" with MANAGE permission on it
    And the restored server refuses "alice" with a wrong password

  Scenario: Every backup checks its dumps, records their checksums and is stored encrypted
    When the chart's backup CronJob runs against the platform
    Then the newest backup's manifest records each dump's size, sha256 and what pg_restore listed, matching the stored dumps
    And every object of the newest backup was stored with server-side encryption "AES256"

  Scenario: A backup that cannot reach the database fails visibly and keeps the older backups
    Given the chart's backup CronJob has written a backup
    When the CronJob runs while the database cannot be reached
    Then the CronJob fails with pg_dump's message that it could not connect
    And the backups in the bucket are exactly those before, the newest good one included

  Scenario: A damaged dump is refused by the restore with a message naming it
    Given the chart's backup CronJob has written a backup
    And the newest backup's MLflow dump is damaged in the bucket
    When the newest backup is restored onto a new PostgreSQL and S3 store
    Then the restore is refused with a message naming the damaged dump and its backup

  Scenario: MLflow's artifact proxy does not serve the backups
    Given the chart's backup CronJob has written a backup
    When a user asks MLflow's artifact proxy for the newest backup's MLflow dump
    Then the proxy hands out no dump: it answers with an error, not the file

  Scenario: The CronJob keeps only as many backups as its retention
    Given the chart's backup CronJob rendered with a retention of 2
    When it runs 3 times against the platform
    Then the bucket holds its 2 newest backups and not the oldest
