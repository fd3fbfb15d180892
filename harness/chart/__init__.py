"""The Helm chart under test (`charts/spark-standalone`), driven through the real `helm` binary.

render: lint, render, validate and read rendered objects; security: the chart's security promises;
mlflow: the MLflow server's rendered arguments; storage: the buckets the chart creates.
"""

from harness.chart.mlflow import MIGRATION_CONTAINER, artifact_bucket, migration_problems, mlflow_container_port, mlflow_server_args
from harness.chart.render import (CHART_DIR, KUBE_VERSIONS, KUBERNETES_DRIVERS, MODE_COMPONENTS,
                                  PLATFORM_COMPONENTS, RBAC_MODES, Rendered, RenderFailed, containers_of, gpu_requests,
                                  env_values, iceberg_catalogs, lint, mlflow_container, notes, parse_overrides,
                                  readiness_probe, render, render_default, requested, secret_files, template_args,
                                  token_mounting_components, validation_errors, values_file,
                                  writable_mounts)
from harness.chart.security import (default_value_passwords, non_readonly_root_containers, plaintext_secrets,
                                    restricted_violations)

__all__ = ["CHART_DIR", "KUBE_VERSIONS", "KUBERNETES_DRIVERS", "MIGRATION_CONTAINER", "MODE_COMPONENTS", "PLATFORM_COMPONENTS", "RBAC_MODES", "Rendered",
           "RenderFailed", "artifact_bucket", "containers_of", "default_value_passwords", "env_values", "gpu_requests", "iceberg_catalogs", "lint",
           "migration_problems", "mlflow_container", "mlflow_container_port", "mlflow_server_args", "non_readonly_root_containers", "notes", "parse_overrides",
           "plaintext_secrets", "readiness_probe", "render", "render_default", "requested", "restricted_violations", "secret_files", "template_args", "token_mounting_components",
           "validation_errors", "values_file", "writable_mounts"]
