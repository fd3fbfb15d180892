@chart @ws-001-07
Feature: The spark-standalone chart renders a valid and secure platform for every mode and Spark version
  The platform ships as one Helm chart. Before anything reaches a cluster, every mode and Spark version
  must render objects that Kubernetes accepts, that keep every secret inside a Secret, and whose pods
  pass the Pod Security "restricted" profile. Bad values must be refused with a message saying what to set.

  # The chart is well-formed

  Scenario Outline: The chart passes helm lint --strict with the CI values of <mode> mode
    When the chart is linted strictly with the CI values of <mode> mode
    Then helm reports no lint failure

    Examples:
      | mode               |
      | k8s                |
      | connect-k8s        |
      | connect-standalone |
      | standalone-submit  |
      | gpu                |
      | iceberg            |

  # Every cell of the matrix renders exactly what its mode needs

  Scenario Outline: Spark <version> in <mode> mode renders valid objects
    When the chart is rendered for Spark <version> in <mode> mode
    Then every object passes strict schema validation for Kubernetes 1.33 and 1.27
    And the workloads of <mode> mode are rendered and no others
    And every Spark container runs the image of Spark <version>
    And GPU resources are requested only in gpu mode
    And the Iceberg catalog is configured only in iceberg mode
    And Spark-on-Kubernetes RBAC is rendered only in the k8s modes

    Examples:
      | mode               | version |
      | k8s                | 3.5.7   |
      | k8s                | 3.5.8   |
      | k8s                | 4.1.0   |
      | k8s                | 4.1.1   |
      | connect-k8s        | 3.5.7   |
      | connect-k8s        | 3.5.8   |
      | connect-k8s        | 4.1.0   |
      | connect-k8s        | 4.1.1   |
      | connect-standalone | 3.5.7   |
      | connect-standalone | 3.5.8   |
      | connect-standalone | 4.1.0   |
      | connect-standalone | 4.1.1   |
      | standalone-submit  | 3.5.7   |
      | standalone-submit  | 3.5.8   |
      | standalone-submit  | 4.1.0   |
      | standalone-submit  | 4.1.1   |
      | gpu                | 3.5.7   |
      | gpu                | 3.5.8   |
      | gpu                | 4.1.0   |
      | gpu                | 4.1.1   |
      | iceberg            | 3.5.7   |
      | iceberg            | 3.5.8   |
      | iceberg            | 4.1.0   |
      | iceberg            | 4.1.1   |

  # The chart is secure by default

  Scenario Outline: Secrets stay in Secrets and pods are restricted in <mode> mode
    When the chart is rendered for Spark 4.1.1 in <mode> mode with basic auth on
    Then no ConfigMap, environment value or argument holds a secret
    And every pod meets the Pod Security restricted profile
    And every container has a read-only root filesystem
    And only the pods that drive Spark on Kubernetes mount a service account token

    Examples:
      | mode               |
      | k8s                |
      | connect-k8s        |
      | connect-standalone |
      | standalone-submit  |
      | gpu                |
      | iceberg            |

  @smoke
  Scenario: The default values hold no password
    Then the chart's default values file holds no password

  # Bad values are refused with a message that says what to set

  Scenario Outline: <case> is refused
    When the chart is rendered with <values>
    Then rendering fails with a message containing "<message>"

    Examples:
      | case                                  | values                                                    | message                                                    |
      | an unsupported Spark version          | spark.version=3.4.0                                       | value must be one of '3.5.7', '3.5.8', '4.1.0', '4.1.1'    |
      | an unknown mode                       | mode=yarn                                                 | value must be one of 'k8s', 'connect-k8s'                  |
      | an external database with no host     | mlflow.postgresql.enabled=false                           | set mlflow.postgresql.host                                 |
      | an external database with no password | mlflow.postgresql.enabled=false,mlflow.postgresql.host=db | set mlflow.postgresql.existingSecret                       |
      | basic auth with a short password      | mlflow.auth.enabled=true,mlflow.auth.adminPassword=short  | admin password of at least 12 characters                   |
      | an external object store with no URL  | minio.enabled=false                                       | set s3.endpoint                                            |
      | a ServiceMonitor without metrics      | mlflow.metrics.serviceMonitor.enabled=true                | needs mlflow.metrics.enabled=true                          |
      | a misspelt value                      | mlflow.replica=3                                          | additional properties 'replica' not allowed                |
      | an option the chart does not have     | mlflow.urlPrefix=/x                                       | additional properties 'urlPrefix' not allowed              |
      | iceberg without the chart's database  | mode=iceberg,mlflow.enabled=false                         | mode iceberg keeps its catalog in the chart's PostgreSQL   |

  # Optional features render what production needs

  @seed-003-production
  Scenario: Two MLflow replicas are spread over nodes and protected by a disruption budget
    When the chart is rendered with mlflow.replicas=2
    Then the MLflow pods prefer different nodes
    And a PodDisruptionBudget keeps at least 1 MLflow pod available

  @seed-003-production
  Scenario: Basic auth runs the auth app with its admin password from a Secret
    When the chart is rendered for Spark 4.1.1 in standalone-submit mode with basic auth on
    Then the MLflow server runs with "--app-name=basic-auth"
    And the MLflow admin password comes from a Secret

  @seed-003-production
  Scenario: Basic auth from an existing Secret reads the admin password and the Flask key under their configured names
    When the chart is rendered with mlflow.auth.enabled=true,mlflow.auth.existingSecret=mine,mlflow.auth.existingSecretKeys.adminPassword=pw,mlflow.auth.existingSecretKeys.flaskSecretKey=fk
    Then the MLflow server reads "MLFLOW_AUTH_ADMIN_PASSWORD" from key "pw" of Secret "mine"
    And the MLflow server reads "MLFLOW_FLASK_SERVER_SECRET_KEY" from key "fk" of Secret "mine"

  @seed-003-production
  Scenario: Metrics expose /metrics to a ServiceMonitor
    When the chart is rendered with mlflow.metrics.enabled=true,mlflow.metrics.serviceMonitor.enabled=true
    Then the MLflow server runs with "--expose-prometheus=/tmp/prometheus"
    And a ServiceMonitor scrapes "/metrics" from the MLflow Service

  @seed-003-production
  Scenario: The MLflow UI can be published through an Ingress with TLS
    When the chart is rendered with mlflow.ingress.enabled=true,mlflow.ingress.host=mlflow.example.org,mlflow.ingress.tls.enabled=true
    Then an Ingress routes "mlflow.example.org" to the MLflow Service over TLS
    And the MLflow server accepts the host "mlflow.example.org"

  # What only a cluster would show (render checks: nothing of it can run here)

  Scenario: The Spark client pod's driver advertises the pod's IP to its executors
    When the chart is rendered for Spark 4.1.1 in k8s mode
    Then the spark-client container sets SPARK_LOCAL_IP and SPARK_LOCAL_HOSTNAME to the pod's IP

  Scenario: Executors on Kubernetes get a writable /tmp under their read-only root
    When the chart is rendered for Spark 4.1.1 in k8s mode
    Then the executor pod template mounts a writable volume at /tmp

  Scenario: GPU workers tolerate the taint of GPU nodes
    When the chart is rendered for Spark 4.1.1 in gpu mode
    Then the GPU workers tolerate the "nvidia.com/gpu" taint

  Scenario: The artifacts' volume outlives helm uninstall, like the database's
    When the chart is rendered for Spark 4.1.1 in standalone-submit mode
    Then MinIO's volume claim is kept by helm uninstall

  # The pods are apart from each other as on a cluster (the local target isolates them with the kernel)

  @needs-pod-isolation
  Scenario: A Spark executor runs in its worker's pod, apart from the driver and from the other pods
    Given the platform runs Spark 4.1.1 in standalone-submit mode
    When a job asks one of its executors what it sees of its pod
    Then the executor ran as the user and group of the worker pod's securityContext
    And the executor could not see the file the driver wrote to its temporary folder
    And the executor could not write to its read-only root file system
    And the executor's pod has a hostname and an address of its own
    And the master's Service name leads to the master's pod, which answers on the master's port only
    And the driver ran as the same user on a read-only root file system, in a pod of its own

  @needs-pod-isolation
  Scenario: The platform's MLflow, PostgreSQL and MinIO answer from pods of their own, at their Service names
    Given the platform runs Spark 4.1.1 in standalone-submit mode
    When a job asks one of its executors what answers at the platform's Service names
    Then the Service names of MLflow, PostgreSQL and MinIO lead to pods that answer on their own ports only

  # What the chart renders is what the platform runs, and each argument does what it promises

  Scenario: The running MLflow server keeps the promise of every argument the chart renders
    Given the platform is running
    When the running MLflow server is probed for what each of its arguments promises
    Then the server keeps the promise of every argument
