@matrix @ws-00-008-05
Feature: MLflow projects run on the platform's Spark
  A data scientist packages training code as an MLflow project and runs it with `mlflow run` against the
  platform: the project's run lands in the tracking server, FINISHED, with the parameters it was given and
  the metric it logs, and it ran on the platform's Spark cluster.

  Background:
    Given the platform is running

  @smoke
  Scenario: An MLflow project runs on the platform's Spark and its run is FINISHED with the project's parameters
    Given the platform runs Spark 4.1.1 in standalone-submit mode
    When the MLflow project "mlflow_project" runs with alpha 0.5 and l1_ratio 0.5
    Then the project's MLflow run is FINISHED
    And the run captured the parameter "alpha" = "0.5"
    And the run captured the parameter "l1_ratio" = "0.5"
    And the run captured the metric "rmse"
    And the run ran on Spark 4.1.1
