@training @seed-004-training @needs-mlops-api
Feature: A data scientist's training script goes from upload to served predictions
  A data scientist uploads a training script with its requirements to the platform's MLOps API, follows the
  job until it ends, finds the run in MLflow with everything the script logged and its model registered, and
  gets predictions from the model over HTTP. The job engine is the platform's Spark: the script runs as the
  driver of a Spark application on the standalone master, in an environment built once for its
  requirements. The seed's platform could not save models at all; here the model goes through the MLflow
  server, and the script holds no storage keys. Every check reads what the platform answers: the MLOps API,
  the MLflow server and the Spark master.

  Background:
    Given the platform's MLOps API is running

  @smoke
  Scenario: An uploaded training script is followed from queued to completed
    When the data scientist uploads "train_random_forest.py" requiring "scikit-learn"
    Then the upload is answered 202 with a job id and the status "queued"
    And the job went from queued through running to completed
    And the job's run in MLflow ended FINISHED
    And the run holds exactly the metrics, parameters and tags the script logs
    And the run's test accuracy is above 0.5 and at most 1, and its train accuracy is at least its test accuracy
    And the run carries the platform's tags: job id, Spark version and the application id the master ran
    And the run's model has a signature and an input example, and its files are in the artifact bucket
    And the job registered the run's model as version 1 of the scenario's model name

  Scenario: More uploads than job slots wait queued in order and all complete
    When 4 uploads of "logs_one_metric.py" arrive together
    Then no more jobs held a slot at once than the platform's limit of 2
    And the jobs took their slots in the order they were uploaded, those past the limit after an earlier job ended
    And all 4 jobs completed

  Scenario: A job stays queued while the Spark master keeps its application waiting for cores
    Given a job that holds every core of the workers
    When "logs_one_metric.py" is uploaded while those cores are held
    Then the job is reported queued because the Spark master keeps its application WAITING
    When the job that holds the cores is released
    Then the waiting job runs and completes

  Scenario: A script that raises ends failed with its traceback in the job's logs
    When the data scientist uploads "raises.py" requiring "scikit-learn"
    Then the job went from queued through running to failed
    And the job's reason names "ValueError: the training data has no label column"
    And the job's logs hold the traceback ending in "ValueError: the training data has no label column"
    And the job's run in MLflow ended FAILED

  Scenario: A script that outlives its timeout is killed and its run ends KILLED
    When the data scientist uploads "outlives_its_timeout.py" requiring "scikit-learn" with a timeout of 60 seconds
    Then the job went from queued through running to killed
    And the Spark master no longer lists the job's application as active
    And the job's run in MLflow ended KILLED

  Scenario: A requirement pip cannot install fails the job with pip's message
    When the data scientist uploads "train_random_forest.py" requiring "no-such-package-spec==1.0"
    Then the job ends failed because "its requirements could not be installed"
    And the job's logs hold "no-such-package-spec"
    And the experiment holds no run

  Scenario Outline: An upload with <defect> is refused with one line saying what to change
    When an upload arrives with <defect>
    Then it is answered <status> with one line containing "<message>"
    And no job was added and the experiment holds no run

    Examples:
      | defect                               | status | message                                 |
      | script content that is not base64    | 422    | is not base64                           |
      | an empty script                      | 422    | the script is empty                     |
      | a script that is not UTF-8           | 422    | is not UTF-8 text                       |
      | a script over the size limit         | 413    | over the limit of                       |
      | a timeout of 30 seconds              | 422    | outside 60-3600 s                       |
      | a timeout of 7200 seconds            | 422    | outside 60-3600 s                       |
      | a script name with a folder in it    | 422    | must be a plain file name               |
      | a requirement that is a URL          | 422    | URLs, paths and pip options             |
      | a requirement that is a path         | 422    | URLs, paths and pip options             |
      | a body that is not JSON              | 400    | is not valid JSON                       |
      | the unknown Spark version 3.4.0      | 422    | unknown Spark version '3.4.0'           |
      | no experiment name                   | 422    | experiment_name: Field required         |

  Scenario: An unknown job is answered 404
    When the data scientist asks for the job "00000000"
    Then it is answered 404 with one line containing "no job '00000000'"

  @needs-local-processes
  Scenario: A job keeps running through a restart of the service and is followed to its end
    Given a job that holds every core of the workers
    When the MLOps API restarts while that job runs
    And the job that holds the cores is released
    Then that job completes and its run ended FINISHED

  @needs-local-processes
  Scenario: A job whose driver was lost with the service's pod ends failed with the reason
    Given a job that holds every core of the workers
    When the MLOps API's pod is lost with that job's driver and the service starts again
    Then that job ends failed because "the service restarted while the job ran"
    And the Spark master no longer lists that job's application as active
    And that job's run in MLflow ended FAILED

  Scenario: The platform's status is one quick look at every service
    Given an experiment with a name unique to this scenario
    And a registered model with a name unique to this scenario
    When the platform's status is asked of the MLOps API
    Then it reports MLflow, the Spark master and the job store reachable
    And its counts of registered models and active experiments are MLflow's own, and it counts free cores on live Spark workers

  Scenario: Jobs' models become versions 1 and 2 and the champion alias moves to the newer one
    Given two jobs of "train_random_forest.py" requiring "scikit-learn" completed
    When the alias "champion" is set on version 1 and then moved to version 2
    Then the MLOps API lists the scenario's model with versions 1 and 2 and "champion" on version 2
    And version 2 is the model of the second job's run

  Scenario: The champion answers predictions equal to the ones it gives in process
    Given a job of "train_random_forest.py" requiring "scikit-learn" completed and its model is the "champion"
    When the champion is asked for predictions through the MLOps API
    Then the answer holds the predictions the model gives in process
    And a malformed request gets a 4xx answer with MLflow's message

  @needs-local-processes
  Scenario: Uploads need an MLflow login and the job runs as the user who uploaded it
    Given the MLOps API of a platform whose MLflow asks for a login, with the user "alice"
    When an upload arrives without a login
    Then it is answered 401 with one line containing "log in with your MLflow user name and password"
    When "alice" uploads "logs_one_metric.py" with her login
    Then the job completes and "alice" manages the experiment it created
