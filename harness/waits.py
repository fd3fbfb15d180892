"""Every timeout and wait budget of the suite, in one place, each with why it is as long as it is. A budget
stops a wait that hangs; it is set far above what a slow start takes (figures from this 2-core machine running
both behave processes, JVMs and servers side by side; CI's machine has run 1.5-2x slower), and every wait gives
up at once when the process it waits for exits."""

# Services of the local target
POSTGRES_START_S = 30  # PostgreSQL answers in about 1 s
POSTGRES_INITDB_S = 120  # initdb of a new cluster, 1-3 s
S3_START_S = 30  # moto_server answers in under 1 s
MLFLOW_START_S = 240  # an MLflow server starts in 6-30 s here (12-17 s when the machine is quiet)
REPLICAS_READY_S = MLFLOW_START_S  # two replicas start together in about 23 s here
SPARK_CLUSTER_START_S = 90  # a standalone master and worker: 4.5-5.9 s
MLOPS_START_S = 120  # the MLOps API answers /healthz in a few seconds
CONTAINER_RUN_S = 300  # a chart container run here to its end (pg_dump, a backup upload, a restore): seconds
PG_CLIENT_S = 600  # pg_dump or pg_restore of the data `make platform` keeps: grows with that data

# Jobs and clients
TRAINING_JOB_S = 600  # the timeout a scenario's training upload asks of the MLOps API: a job takes 10-60 s
TRAINING_FOLLOW_MARGIN_S = 300  # the environment build and the driver's start come before the job's own timeout
DRIVER_REQUIREMENTS_S = 900  # pip install of MLflow into a driver pod on a cluster: from PyPI
SPARK_JOB_S = 420  # a LogisticRegression submit takes 20-50 s on 2 busy cores; an app waiting for GPUs forever
REFUSAL_WAIT_S = 180  # a driver the master refuses logs it within seconds, then retries for minutes
MODEL_CLIENT_S = 120  # MLflow's pyfunc loading and predicting in a fresh process, or logging a model: 3-10 s
DUMP_READ_S = 60  # pg_restore reading one table out of a dump

# The acceptance runner
SHARDS_STOP_S = 240  # both behave processes after Ctrl-C: each stops its services (MLflow, Spark, replicas)

# helm
HELM_RENDER_S = 120  # The acceptance runner
SHARDS_STOP_S = 240  # both behave processes after Ctrl-C: each stops its services (MLflow, Spark, replicas)

# helm lint or template: under a second
HELM_INSTALL_S = 900  # The acceptance runner
SHARDS_STOP_S = 240  # both behave processes after Ctrl-C: each stops its services (MLflow, Spark, replicas)

# helm upgrade --install --wait on a cluster: image pulls come first

# Kubernetes (the k8s target)
POD_WAIT_S = 300  # a pod Ready after an install: image pulls and probes
API_CALL_S = 30  # a plain API call (or an exec's handshake) that takes longer is a half-open connection
NAMESPACE_DELETE_S = 300  # finalizers of everything in it
PORT_FORWARD_OPEN_S = 30  # the client's port-forward ignores _request_timeout: a thread is given this long
FORWARD_POD_WAIT_S = 30  # the pod a forward goes to is already Ready after the install: this is a re-pick
CLIENT_DOWNLOAD_S = 60  # an artifact a client downloads through the server: seconds; from a URL it cannot reach, minutes
