"""What the rendered objects promise, read out of their Kubernetes shape so that a step names the promise
("the PodDisruptionBudget keeps one MLflow pod") and never walks the objects itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.chart.render import Rendered, containers_of, env_values, mlflow_container, writable_mounts


@dataclass(frozen=True)
class IngressRoute:
    host: str
    tls_hosts: list[str]
    service: str  # the Service the first path goes to


def spark_images(rendered: Rendered) -> set[str]:
    """The images of every Spark container the chart runs."""
    return {container["image"] for container in containers_of(rendered, "spark-")}


def runs_spark_version(image: str, version: str) -> bool:
    return re.search(rf":{re.escape(version)}-", image) is not None


def executor_image(rendered: Rendered) -> str:
    """The image Spark on Kubernetes gives its executors ("" where Spark does not run on Kubernetes)."""
    return rendered.spark_conf().get("spark.kubernetes.container.image", "")


def has_spark_rbac(rendered: Rendered) -> bool:
    kinds = {doc["kind"] for doc in rendered.docs}
    return {"ServiceAccount", "Role", "RoleBinding"} <= kinds


def rendered_kinds(rendered: Rendered) -> list[str]:
    return sorted({doc["kind"] for doc in rendered.docs})


def gpu_settings(rendered: Rendered) -> list[str]:
    """Spark settings of GPU resources in spark-defaults.conf."""
    return [key for key in rendered.spark_conf() if ".resource.gpu." in key]


def mlflow_anti_affinity_topology(rendered: Rendered) -> str | None:
    """The topology key the MLflow pods prefer to spread over, or None."""
    pod = rendered.named("Deployment", "-mlflow")["spec"]["template"]["spec"]
    terms = pod.get("affinity", {}).get("podAntiAffinity", {}).get("preferredDuringSchedulingIgnoredDuringExecution", [])
    return str(terms[0]["podAffinityTerm"]["topologyKey"]) if terms else None


def mlflow_pdb_min_available(rendered: Rendered) -> int | str:
    return rendered.named("PodDisruptionBudget", "-mlflow")["spec"]["minAvailable"]  # type: ignore[no-any-return]


def mlflow_service_monitor_path(rendered: Rendered) -> str:
    return str(rendered.named("ServiceMonitor", "-mlflow")["spec"]["endpoints"][0]["path"])


def mlflow_ingress_route(rendered: Rendered) -> IngressRoute:
    spec = rendered.named("Ingress", "-mlflow")["spec"]
    rule = spec["rules"][0]
    return IngressRoute(rule["host"], [host for tls in spec.get("tls", []) for host in tls["hosts"]],
                        rule["http"]["paths"][0]["backend"]["service"]["name"])


def mlflow_allowed_hosts(rendered: Rendered) -> list[str]:
    """The hosts MLflow's --allowed-hosts accepts ([] without the argument)."""
    for argument in mlflow_container(rendered)["args"]:
        if argument.startswith("--allowed-hosts="):
            return str(argument.split("=", 1)[1]).split(",")
    return []


def mlflow_secret_reference(rendered: Rendered, variable: str) -> dict[str, str] | None:
    """{"name", "key"} of the Secret the MLflow container reads `variable` from, or None when it does not."""
    entry = next((e for e in mlflow_container(rendered)["env"] if e["name"] == variable), {})
    reference = entry.get("valueFrom", {}).get("secretKeyRef")
    return dict(reference) if reference else None


def client_addresses(rendered: Rendered) -> dict[str, str]:
    """What the spark-client container advertises: where POD_IP comes from, SPARK_LOCAL_IP, SPARK_LOCAL_HOSTNAME."""
    container = rendered.container("spark-client", "client")
    pod_ip = next((e for e in container["env"] if e["name"] == "POD_IP"), {})
    env = env_values(container)
    return {"POD_IP": pod_ip.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", ""),
            "SPARK_LOCAL_IP": env.get("SPARK_LOCAL_IP", ""), "SPARK_LOCAL_HOSTNAME": env.get("SPARK_LOCAL_HOSTNAME", "")}


def executor_volume_at(rendered: Rendered, path: str) -> str | None:
    """The kind of writable volume the executor pod template mounts at `path`, or None."""
    return writable_mounts(rendered.executor_pod_template()["spec"], "spark-kubernetes-executor").get(path)


def worker_tolerations(rendered: Rendered) -> list[dict[str, Any]]:
    return list(rendered.workload("spark-worker")["spec"]["template"]["spec"].get("tolerations", []))


def tolerates(tolerations: list[dict[str, Any]], taint: str) -> bool:
    return any(t["key"] == taint and t.get("operator") == "Exists" for t in tolerations)


def kept_by_uninstall(rendered: Rendered, kind: str, suffix: str) -> bool:
    """Whether helm uninstall leaves the object (its resource policy is "keep")."""
    annotations = rendered.named(kind, suffix)["metadata"].get("annotations", {})
    return annotations.get("helm.sh/resource-policy") == "keep"

