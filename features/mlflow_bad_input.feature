@production @seed-003-production @seed-002-mlflow-api-report @needs-local-processes
Feature: A bad request gets a precise error and changes nothing
  Every request goes through the production deployment's Ingress (the balancer, over HTTPS, as the admin),
  against a run that already holds the param alpha = 0.1. The error code is MLflow's `error_code`; a refusal
  that comes from the balancer or the host check has none (shown as "-").

  Background:
    Given the production deployment runs 2 MLflow replicas behind the balancer
    And a run holding the param "alpha" = "0.1"

  Scenario Outline: <bad request> is refused with <status> <error code>
    When a client sends <bad request>
    Then the answer has status <status> and error code "<error code>"
    And the run holds only what it held before

    Examples: tracking calls
      | bad request                                    | status | error code              |
      | a metric value that is not a number            | 400    | INVALID_PARAMETER_VALUE |
      | a metric value that is null                    | 400    | INVALID_PARAMETER_VALUE |
      | a metric key with illegal characters           | 400    | INVALID_PARAMETER_VALUE |
      | a metric key that climbs out with ../          | 400    | INVALID_PARAMETER_VALUE |
      | a new value for a param already logged         | 400    | INVALID_PARAMETER_VALUE |
      | a param key longer than 250 characters         | 400    | INVALID_PARAMETER_VALUE |
      | a log-batch of 1001 metrics                    | 400    | INVALID_PARAMETER_VALUE |
      | a log-batch of 101 params                      | 400    | INVALID_PARAMETER_VALUE |
      | malformed JSON                                 | 400    | INVALID_PARAMETER_VALUE |
      | an experiment name that is taken               | 400    | RESOURCE_ALREADY_EXISTS |
      | a run id that does not exist                   | 404    | RESOURCE_DOES_NOT_EXIST |
      | an experiment id that does not exist           | 404    | RESOURCE_DOES_NOT_EXIST |
      | a negative max_results                         | 400    | INVALID_PARAMETER_VALUE |
      | a run search asking for 100000 results         | 400    | INVALID_PARAMETER_VALUE |
      | a run filter with an unknown comparator        | 400    | INVALID_PARAMETER_VALUE |
      | a GET on the POST-only log-metric endpoint     | 405    | -                       |

    Examples: the edge of the deployment
      | bad request                                    | status | error code              |
      | an artifact path climbing to ../../etc/passwd  | 400    | INVALID_PARAMETER_VALUE |
      | a Host header naming another site              | 403    | -                       |
      | wrong credentials                              | 401    | -                       |
      | an artifact upload over the body-size limit    | 413    | -                       |

  # Accepted, but not stored as sent: recorded so that a change in MLflow shows up here.
  @smoke
  Scenario: A 1 MB param value is stored cut to 6000 characters
    When the run logs the param "huge" with a value of 1000000 characters
    Then the call succeeds
    And the run holds the param "huge" cut to its first 6000 characters

  Scenario: A metric of 1e400 (beyond a double) is stored as 0.0
    When the run logs the metric "overflow" with the JSON number 1e400
    Then the call succeeds
    And the run holds the metric "overflow" = 0.0
