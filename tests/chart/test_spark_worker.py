"""spark/worker.yaml: workers with the cores and memory of their values; in gpu mode each requests its GPUs,
announces them to Spark and tolerates the GPU nodes' taint beside its own tolerations."""

import pytest

from harness import chart


def test_workers_offer_the_cores_and_memory_of_their_values():
    rendered = chart.render("standalone-submit", "4.1.1", {"spark.worker.replicas": "3", "spark.worker.cores": "4",
                                                          "spark.worker.memory": "6g",
                                                          "spark.worker.resources.limits.memory": "7Gi"})
    worker = rendered.workload("spark-worker")
    args = rendered.container("spark-worker", "worker")["args"]
    assert worker["spec"]["replicas"] == 3
    assert args[:4] == ["--cores", "4", "--memory", "6g"] and args[-1] == "spark://spec-spark-standalone-master:7077"


def test_gpu_workers_request_and_announce_their_gpus():
    rendered = chart.render("gpu", "4.1.1", {"spark.gpu.amountPerWorker": "2"})
    worker = rendered.container("spark-worker", "worker")
    assert worker["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert "-Dspark.worker.resource.gpu.amount=2" in chart.env_values(worker)["SPARK_WORKER_OPTS"]
    assert "SPARK_WORKER_OPTS" not in chart.env_values(chart.render("standalone-submit", "4.1.1")
                                                       .container("spark-worker", "worker"))


def test_gpu_workers_keep_the_gpu_toleration_beside_their_own():
    rendered = chart.render("gpu", "4.1.1", {"spark.worker.tolerations[0].key": "spot",
                                            "spark.worker.tolerations[0].operator": "Exists"})
    tolerations = rendered.workload("spark-worker")["spec"]["template"]["spec"]["tolerations"]
    assert tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                           {"key": "spot", "operator": "Exists"}]


def test_a_worker_whose_executors_cannot_fit_its_container_is_refused():
    """Issue 23: spark.worker.memory and the container's limit were not tied, so a worker could offer its
    executors more than the kernel lets the container hold (OOM kill mid-job)."""
    with pytest.raises(chart.RenderFailed, match="spark.worker.memory 3g plus spark.daemonMemory 512m do not fit "
                                                 "in the worker container's memory limit 3Gi"):
        chart.render("standalone-submit", "4.1.1", {"spark.worker.memory": "3g"})
    fits = chart.render("standalone-submit", "4.1.1", {"spark.worker.memory": "5g",
                                                       "spark.worker.resources.limits.memory": "5632Mi"})
    assert "5g" in fits.container("spark-worker", "worker")["args"]
