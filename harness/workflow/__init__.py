"""The suite's side of the training workflow (seed 004): a client of the platform's MLOps API (the service
itself is under services/mlops_api), the local pod that runs it, and the checks of what a job left in
MLflow."""
