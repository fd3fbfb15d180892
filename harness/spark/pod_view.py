"""What an executor sees of its pod, as a job reports it, and how that differs from what the chart renders for
the worker's pod: its user, its own /tmp, a read-only root, its own name and address, Service names that lead to
the pods they select."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, Sequence

import psutil

from harness import chart
from harness.spark.chart_settings import daemon_settings
from harness.spark.site import JobRun, SparkSite

ANSWERED = "answered"
PLATFORM_COMPONENTS = ("mlflow", "postgresql", "minio")  # the platform's services beside Spark


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
    driver_address: str
    driver_user: tuple[int, int]  # uid, gid
    driver_root_write_error: str | None

    @classmethod
    def from_job(cls, result: dict[str, Any]) -> "PodView":
        driver = result["driver"]
        return cls(**result["executor"], driver_hostname=driver["hostname"], driver_address=driver["address"],
                   driver_user=(driver["uid"], driver["gid"]), driver_root_write_error=driver["root_write_error"])


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

    @property
    def probes(self) -> list[str]:
        """The master's Service on the master's port and on the worker's UI port."""
        return [self.master_port_probe, self.worker_port_on_master_probe]


@dataclass(frozen=True)
class PlatformServices:
    """The Services of the platform's MLflow, PostgreSQL and MinIO as the chart renders them: name -> port."""

    ports: dict[str, int]

    @classmethod
    def rendered(cls, mode: str, version: str) -> "PlatformServices":
        rendered = chart.render(mode, version)
        ports = {}
        for service in rendered.of_kind("Service"):
            if service["spec"].get("selector", {}).get("app.kubernetes.io/component") in PLATFORM_COMPONENTS:
                ports[service["metadata"]["name"]] = int(service["spec"]["ports"][0]["port"])
        return cls(ports)

    @property
    def own_port_probes(self) -> list[str]:
        """Each Service name on its own port."""
        return [f"{name}:{port}" for name, port in self.ports.items()]

    @property
    def other_port_probes(self) -> list[str]:
        """Each Service name on the port of the next one: a name that led to another's pod would answer."""
        names, ports = list(self.ports), list(self.ports.values())
        return [f"{name}:{ports[(index + 1) % len(ports)]}" for index, name in enumerate(names)]

    def misdirected(self, probes: dict[str, str]) -> list[str]:
        """What the probes found wrong: an own port that did not answer, another's port that did."""
        silent = [f"{probe} did not answer: {probes[probe]}" for probe in self.own_port_probes
                  if probes[probe] != ANSWERED]
        return silent + [f"{probe} answered" for probe in self.other_port_probes if probes[probe] == ANSWERED]


def machine_addresses() -> set[str]:
    """The IPv4 addresses of the machine the suite runs on: a pod on its network would have one of them."""
    return {address.address for addresses in psutil.net_if_addrs().values() for address in addresses
            if address.family == socket.AF_INET}


def look_from_an_executor(site: SparkSite, probes: Sequence[str]) -> tuple[PodView, JobRun]:
    """Run the pod_view job; one executor reports what it sees, opening a TCP connection to each HOST:PORT of
    `probes`."""
    job = site.submit("pod_view.py", [arg for probe in probes for arg in ("--probe", probe)], {})
    if not job.succeeded:
        raise AssertionError(job.failure())
    return PodView.from_job(job.result), job
