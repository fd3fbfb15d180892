@ws-00-008-05
Feature: MLflow tracks Spark jobs of every supported version in every deployment mode
  A data scientist submits Spark training jobs in whatever way the platform offers them: spark-submit to
  the standalone master, a Spark Connect client, Spark on Kubernetes, GPU executors, Iceberg training data.
  Whatever the mode and the Spark version, the MLflow server must hold a FINISHED run that captured the
  Spark parameters, a metric and the model, tagged with where it ran.

  Background:
    Given the platform is running

  Scenario Outline: standalone-submit: a spark-submit job on Spark <version> is tracked by MLflow
    Given Spark <version> runs in standalone-submit mode
    When a LogisticRegression job with regParam 0.1 runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And the run captured the metric "training_auc"
    And the run holds the model under "model"
    And the run is tagged with the Spark version, master URL, mode and application id
    And the Spark master reports the application FINISHED

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  # mlflow.pyspark.ml.autolog needs a SparkContext, which Spark Connect does not offer: the Connect job
  # logs its parameters, metric and model coefficients explicitly.
  Scenario Outline: connect-standalone: a Spark Connect job on Spark <version> is tracked by MLflow
    Given Spark <version> runs in connect-standalone mode
    When a LogisticRegression job with regParam 0.1 runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And the run captured the metric "training_auc"
    And the run holds the model under "model"
    And the run is tagged with the Spark version, master URL, mode and application id

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  @needs-k8s
  Scenario Outline: k8s: a spark-submit job on Spark <version> with Kubernetes as cluster manager is tracked by MLflow
    Given Spark <version> runs in k8s mode
    When a LogisticRegression job with regParam 0.1 runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And the run captured the metric "training_auc"
    And the run holds the model under "model"
    And the run is tagged with the Spark version, master URL, mode and application id

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  @needs-k8s
  Scenario Outline: connect-k8s: a Spark Connect job on Spark <version> running on Kubernetes is tracked by MLflow
    Given Spark <version> runs in connect-k8s mode
    When a LogisticRegression job with regParam 0.1 runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And the run captured the metric "training_auc"
    And the run holds the model under "model"
    And the run is tagged with the Spark version, master URL, mode and application id

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  @needs-gpu
  Scenario Outline: gpu: executors of Spark <version> run on GPUs and the run records their addresses
    Given Spark <version> runs in gpu mode
    When a job whose executors each request a GPU runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And every task of the job was given a GPU and the run records each address
    And the run records that the addresses came from nvidia-smi
    And the run is tagged with the Spark version, master URL, mode and application id

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  # Without a GPU this checks only Spark's resource scheduling, with a discovery script that reports
  # made-up addresses. It runs only with -D gpu=simulated and never counts as a GPU pass.
  @needs-simulated-gpu
  Scenario Outline: gpu (simulated GPUs): executors of Spark <version> are scheduled on GPU resources
    Given Spark <version> runs in gpu mode
    When a job whose executors each request a GPU runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And every task of the job was given a GPU and the run records each address
    And the run records that the addresses were simulated
    And the run is tagged with the Spark version, master URL, mode and application id

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  Scenario Outline: iceberg: a job on Spark <version> trains on a pinned Iceberg snapshot and the run records it
    Given Spark <version> runs in iceberg mode
    And an Iceberg table of training data in the platform's catalog and bucket
    When a LogisticRegression job with regParam 0.1 trains on the table's current snapshot
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the run records the table name and the snapshot id as its training input
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And rows appended to the table later do not change what the run recorded

    Examples:
      | version |
      | 3.5.7   |
      | 3.5.8   |
      | 4.1.0   |
      | 4.1.1   |

  Scenario: An MLflow project runs on the platform's Spark and its run is FINISHED with the project's parameters
    Given Spark 4.1.1 runs in standalone-submit mode
    When the MLflow project "mlflow_project" runs with alpha 0.5 and l1_ratio 0.5
    Then the project's MLflow run is FINISHED
    And the run captured the parameter "alpha" = "0.5"
    And the run captured the parameter "l1_ratio" = "0.5"
    And the run captured the metric "rmse"
    And the run ran on Spark 4.1.1
