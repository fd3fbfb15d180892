@matrix @ws-00-008-05
Feature: MLflow tracks Spark jobs of every supported version in every deployment mode
  A data scientist submits Spark training jobs in whatever way the platform offers them: spark-submit to
  the standalone master, a Spark Connect client, Spark on Kubernetes, GPU executors, Iceberg training data.
  Whatever the mode and the Spark version, the MLflow server must hold a FINISHED run that captured the
  Spark parameters, a metric and a model that predicts, tagged with where it ran. Spark runs with the
  settings the chart renders for that mode.

  Background:
    Given the platform is running

  # spark-submit jobs are autologged (mlflow.pyspark.ml.autolog) and log their model with its requirements
  # named (left to infer them, MLflow starts a second Spark to reload the model). Autolog needs a
  # SparkContext, which Spark Connect does not offer: a Connect job logs its parameters, metric and model
  # explicitly.
  Scenario Outline: A <mode> job on Spark <version> trains a model that MLflow tracks
    Given the platform runs Spark <version> in <mode> mode
    When a LogisticRegression job with regParam 0.1 runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And the run's training AUC is above 0.5 and at most 1
    And the run's model under "model" loads and predicts the training labels
    And the run is tagged with the Spark version, master URL, mode and application id
    And the cluster manager reports the job's application <application state>

    # The Connect server's application stays RUNNING: it serves every Connect session.
    Examples: Spark's standalone cluster manager
      | mode               | version | application state |
      | standalone-submit  | 3.5.7   | FINISHED          |
      | standalone-submit  | 3.5.8   | FINISHED          |
      | standalone-submit  | 4.1.0   | FINISHED          |
      | connect-standalone | 3.5.7   | RUNNING           |
      | connect-standalone | 3.5.8   | RUNNING           |
      | connect-standalone | 4.1.0   | RUNNING           |

    @smoke
    Examples: Spark's standalone cluster manager, the newest Spark
      | mode               | version | application state |
      | standalone-submit  | 4.1.1   | FINISHED          |
      | connect-standalone | 4.1.1   | RUNNING           |

    @needs-k8s
    Examples: Kubernetes as cluster manager
      | mode        | version | application state |
      | k8s         | 3.5.7   | FINISHED          |
      | k8s         | 3.5.8   | FINISHED          |
      | k8s         | 4.1.0   | FINISHED          |
      | connect-k8s | 3.5.7   | RUNNING           |
      | connect-k8s | 3.5.8   | RUNNING           |
      | connect-k8s | 4.1.0   | RUNNING           |

    @needs-k8s @smoke
    Examples: Kubernetes as cluster manager, the newest Spark
      | mode        | version | application state |
      | k8s         | 4.1.1   | FINISHED          |
      | connect-k8s | 4.1.1   | RUNNING           |

  Scenario Outline: Executors of Spark <version> are each given a GPU from <gpu source> and the run records them
    Given the platform runs Spark <version> in <mode> mode
    When a job whose executors each request a GPU runs on Spark
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And every task of the job was given a GPU and the run records each address
    And every address the run records is a GPU that <gpu source> reports
    And the run is tagged with the Spark version, master URL, mode and application id

    # Newest first: the rows before ended on 4.1.x, whose clusters are still up (the local target keeps two
    # Spark versions running), and the Iceberg rows after start on 3.5.x, which these end with.
    @needs-gpu @smoke
    Examples: real GPUs, the newest Spark
      | mode | version | gpu source |
      | gpu  | 4.1.1   | nvidia-smi |

    @needs-gpu
    Examples: real GPUs
      | mode | version | gpu source |
      | gpu  | 4.1.0   | nvidia-smi |
      | gpu  | 3.5.8   | nvidia-smi |
      | gpu  | 3.5.7   | nvidia-smi |

    # Without a GPU this proves only Spark's resource scheduling, with a discovery script that reports
    # made-up addresses. These rows run only with -D gpu=simulated and never count as a GPU pass.
    @needs-simulated-gpu @smoke
    Examples: simulated GPUs, the newest Spark
      | mode | version | gpu source                    |
      | gpu  | 4.1.1   | the simulated discovery script |

    @needs-simulated-gpu
    Examples: simulated GPUs
      | mode | version | gpu source                    |
      | gpu  | 4.1.0   | the simulated discovery script |
      | gpu  | 3.5.8   | the simulated discovery script |
      | gpu  | 3.5.7   | the simulated discovery script |

  Scenario Outline: A job on Spark <version> trains on a pinned Iceberg snapshot and the run records it
    Given the platform runs Spark <version> in <mode> mode
    And an Iceberg table of training data in the platform's catalog
    When a LogisticRegression job with regParam 0.1 trains on the table's current snapshot
    And rows are appended to the table after the run
    Then the job's MLflow run is FINISHED
    And the run ran on Spark <version>
    And the job read the snapshot through the reader its target's Spark is configured with
    And the run records the table name and the snapshot id as its training input
    And the run captured the LogisticRegression parameter "regParam" = "0.1"
    And the run still records the snapshot it trained on, not the one the append made

    Examples:
      | mode    | version |
      | iceberg | 3.5.7   |
      | iceberg | 3.5.8   |
      | iceberg | 4.1.0   |

    @smoke
    Examples: the newest Spark
      | mode    | version |
      | iceberg | 4.1.1   |
