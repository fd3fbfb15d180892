"""What an executor sees of its pod, as a job reports it, and how that differs from what the chart renders for
the worker's pod: its user, its own /tmp, a read-only root, its own name and address, Service names that lead to
the pods they select."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness import chart
from harness.spark.chart_settings import daemon_settings
from harness.spark.site import JobRun, SparkSite

ANSWERED = "answered"


@dataclass(frozen=True)
class PodView:
    uid: int
    gid: int
    hostname: str
    address: str
    tmp: str
    driver_file_visible: bool
    root_write_error: str | None  # errno name of making a folder in /var/tmp; None: it was made
    probes: dict[str, str]  # "host:port" -> "answered" or why the connection failed
    driver_hostname: str
    driver_user: tuple[int, int]  # uid, gid
    driver_root_write_error: str | None

    @classmethod
    def from_job(cls, result: dict[str, Any]) -> "PodView":
        driver = result["driver"]
        return cls(**result["executor"], driver_hostname=driver["hostname"], driver_user=(driver["uid"], driver["gid"]),
                   driver_root_write_error=driver["root_write_error"])


@dataclass(frozen=True)
class WorkerPod:
    """What the chart renders for the worker's pod and the Service it reaches the master by."""

    uid: int
    gid: int
    master_service: str
    master_port: int
    worker_ui_port: int

    @classmethod
    def rendered(cls, mode: str, version: str) -> "WorkerPod":
        daemons = daemon_settings(chart.render(mode, version), None, None, "", in_pods=True)
        uid, gid = daemons.run_as
        return cls(uid, gid, daemons.master_service, daemons.master_port, daemons.worker_webui_port)

    @property
    def master_port_probe(self) -> str:
        return f"{self.master_service}:{self.master_port}"

    @property
    def worker_port_on_master_probe(self) -> str:
        return f"{self.master_service}:{self.worker_ui_port}"


def look_from_an_executor(site: SparkSite, worker: WorkerPod) -> tuple[PodView, JobRun]:
    """Run the pod_view job; one executor reports what it sees, probing the master's Service on the master's
    port and on the worker's UI port."""
    probes = [arg for probe in (worker.master_port_probe, worker.worker_port_on_master_probe)
              for arg in ("--probe", probe)]
    job = site.submit("pod_view.py", probes, {})
    if not job.succeeded:
        raise AssertionError(job.failure())
    return PodView.from_job(job.result), job
