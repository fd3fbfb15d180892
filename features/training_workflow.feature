@seed-004-training @needs-local-spark
Feature: A data scientist's training script goes from submission to served predictions
  A data scientist hands the platform a training script with its requirements, follows the job until it
  ends, finds the run in MLflow with everything the script logged, registers the model and gets predictions
  from it. The job engine is the platform's Spark: the script runs as the driver of a Spark application on
  the standalone master, in an environment built once for its requirements. The seed's platform could not
  save models at all; here the model goes through the MLflow server, and the client holds no storage keys.

  Background:
    Given the platform is running
    And the platform runs Spark 4.1.1 in standalone-submit mode

  Scenario: A submitted training script is followed from submission to FINISHED
    When the data scientist submits "train_random_forest.py" requiring "scikit-learn" with a timeout of 600 seconds
    Then the job went from SUBMITTED through RUNNING to FINISHED
    And the job's run in MLflow ended FINISHED
    And the run holds exactly the metrics, parameters and tags the script logs
    And the run's test accuracy is above 0.5 and at most 1, and its train accuracy is at least its test accuracy
    And the run carries the platform's tags: job id, Spark version and application id
    And the run's model has a signature and an input example, and its files are in the artifact bucket

  Scenario: A submission waits in the master's queue while another job holds every core
    Given a job that holds every core of the workers
    When "train_random_forest.py" requiring "scikit-learn" is submitted while those cores are held
    Then the master keeps the new job WAITING
    When the job that holds the cores ends
    Then the waiting job runs and ends FINISHED

  Scenario Outline: <case> is refused before anything starts
    When the data scientist submits "<script>" requiring "<requirements>" on Spark <version> with a timeout of <timeout> seconds
    Then the submission is refused with a message containing "<message>"
    And the experiment holds no run

    Examples:
      | case                                   | script                 | requirements               | version | timeout | message                        |
      | A timeout under a minute               | train_random_forest.py | scikit-learn               | 4.1.1   | 30      | outside 60-3600s               |
      | A timeout over an hour                 | train_random_forest.py | scikit-learn               | 4.1.1   | 7200    | outside 60-3600s               |
      | An empty script                        | empty.py               | scikit-learn               | 4.1.1   | 600     | is empty                       |
      | A script that is not UTF-8             | not_utf8.py            | scikit-learn               | 4.1.1   | 600     | is not UTF-8                   |
      | An unknown Spark version               | train_random_forest.py | scikit-learn               | 3.4.0   | 600     | unknown Spark version '3.4.0'  |
      | A requirement that cannot be installed | train_random_forest.py | no-such-package-spec==1.0  | 4.1.1   | 600     | pip could not install          |

  Scenario: A script that raises ends FAILED with its traceback in the job's log
    When the data scientist submits "raises.py" requiring "scikit-learn" with a timeout of 600 seconds
    Then the job went from SUBMITTED through RUNNING to FAILED
    And the job's run in MLflow ended FAILED
    And the job's log holds the traceback ending in "ValueError: the training data has no label column"

  Scenario: A script that outlives its timeout is stopped and its run ends KILLED
    When the data scientist submits "outlives_its_timeout.py" requiring "scikit-learn" with a timeout of 60 seconds
    Then the job went from SUBMITTED through RUNNING to KILLED
    And the master no longer lists the job as active
    And the job's run in MLflow ended KILLED

  Scenario: Models of two runs become versions 1 and 2 and the champion alias moves to the newer one
    Given two runs of "train_random_forest.py" requiring "scikit-learn" have FINISHED
    When the model of each run is registered under a name unique to this scenario
    And the alias "champion" is set on version 1 and then moved to version 2
    Then the registered models include that name with versions 1 and 2
    And the alias "champion" points at version 2, the model of the second run
    And "models:/<name>@champion" loads and predicts a label for every row

  Scenario: The champion model serves predictions equal to the ones it gives in process
    Given a run of "train_random_forest.py" requiring "scikit-learn" has FINISHED and its model is the "champion"
    When the champion is served with "mlflow models serve" on a free port
    Then the served model answers /invocations with the predictions the model gives in process
    And a malformed request gets a 4xx answer with MLflow's message

  Scenario: The platform's status is one cheap look at every service
    Given an experiment with a name unique to this scenario
    And a registered model with a name unique to this scenario
    When the platform's status is gathered
    Then it reports MLflow reachable, that model and experiment counted, and free cores on live Spark workers
    And gathering it took less than 1 second
