"""The chart's Spark settings, translated for Spark on loopback: the one place where the local target departs
from what the chart renders, each departure named with its reason so the report can show it.

Everything not listed in a rule here passes through unchanged, so a wrong setting in the chart (a broken
catalog key, a misspelt resource name) reaches the local Spark and fails there as it would on a cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from harness.chart import Rendered

CATALOG_KEY = re.compile(r"^spark\.sql\.catalog\.(?P<catalog>[^.]+)(?P<rest>(\..+)?)$")
MASKED = "***"


@dataclass(frozen=True)
class Translation:
    setting: str
    chart: str  # "" when the chart does not set it
    local: str | None  # None: dropped locally
    why: str

    def line(self) -> str:
        local = "(dropped)" if self.local is None else self.local
        return f"{self.setting}: {self.chart or '(not set)'} -> {local}  [{self.why}]"


@dataclass(frozen=True)
class LocalEndpoints:
    """Where the chart's Services are on loopback, and what this machine can offer instead of Maven."""

    master_url: str
    scratch: Path  # stands for the pods' /tmp
    jdbc_host: str
    jdbc_port: int
    jdbc_password: str
    s3_endpoint: str
    gpu_discovery_script: Path | None
    spark_secret: str  # the local cluster's spark.authenticate.secret
    iceberg_jars: tuple[Path, ...] = ()  # empty: no Iceberg Spark runtime for this Spark version here
    driver_host: str | None = None  # set when the executors run in pods: the address they reach drivers at

    @property
    def iceberg_warehouse(self) -> str:
        return f"file://{self.scratch / 'iceberg-warehouse'}"


@dataclass
class LocalSettings:
    """Settings for one local Spark program, and how they differ from the chart's."""

    conf: dict[str, str]
    translations: list[Translation] = field(default_factory=list)

    def report(self) -> str:
        lines = [t.line() for t in self.translations] or ["(every setting exactly as the chart renders it)"]
        return "\n".join(lines)

    def write_properties(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{key} {value}\n" for key, value in self.conf.items()))
        return path

    def _set(self, key: str, value: str | None, why: str, shown: str | None = None) -> None:
        chart_value = self.conf.get(key, "")
        if value is None:
            self.conf.pop(key, None)
        else:
            self.conf[key] = value
        self.translations.append(Translation(key, chart_value, value if shown is None else shown, why))


# The drivers' pod serves every Spark version, and each version's Service names resolve only in its own namespace.
MASTER_ADDRESS_REASON = "the master's own address here (on loopback, or its pod's: one drivers' pod serves every version)"


def job_settings(rendered: Rendered, local: LocalEndpoints) -> LocalSettings:
    """spark-defaults.conf of the rendered mode, as a local job or Connect server must get it."""
    settings = LocalSettings(dict(rendered.spark_conf()))
    conf = dict(settings.conf)
    if "spark.master" in conf:
        settings._set("spark.master", local.master_url, MASTER_ADDRESS_REASON)
    if "spark.jars.ivy" in conf:
        settings._set("spark.jars.ivy", str(local.scratch / ".ivy2"), "the pods' /tmp is the run's folder here")
    if "spark.executor.resource.gpu.discoveryScript" in conf and local.gpu_discovery_script:
        settings._set("spark.executor.resource.gpu.discoveryScript", str(local.gpu_discovery_script),
                      "the image's discovery script is the harness's script of this machine's GPU kind")
    if "spark.jars.packages" in conf:
        settings._set("spark.jars.packages", None, "Maven cannot be reached from this machine")
    _iceberg(settings, conf, local)
    if conf.get("spark.authenticate") == "true":
        settings._set("spark.authenticate.secret", local.spark_secret, SECRET_APPENDED, shown=MASKED)
    if local.driver_host:
        for key in ("spark.driver.host", "spark.driver.bindAddress"):
            settings._set(key, local.driver_host, "the driver's address, which the executors' pods reach: its pod's "
                          "(the run's own on the bridge for drivers that are processes of this machine)")
    _fast_on_loopback(settings, conf)
    return settings


SECRET_APPENDED = ("the spark-conf init container appends it from the Secret (in the Kubernetes modes Spark makes "
                   "one per application; here one standalone master, with one secret, serves every mode)")
# What the master and the workers must share with every driver and executor.
DAEMON_SECURITY = ("spark.authenticate", "spark.network.crypto.enabled", "spark.master.rest.enabled")


# Short-lived JVMs on a shared 2-core machine: the client compiler alone (JIT time is most of a small job's CPU)
# and the serial collector (no GC threads competing for the two cores).
FAST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _fast_on_loopback(settings: LocalSettings, conf: dict[str, str]) -> None:
    """Speed settings for a scenario's job: they change how fast it runs, never what it computes."""
    settings._set("spark.ui.enabled", "false", "nobody looks at a scenario job's UI; its web server costs a start")
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        settings._set(key, " ".join(filter(None, (conf.get(key, ""), FAST_JVM_OPTIONS))),
                      "a job of seconds: JIT and GC threads cost more than they win on two cores")


def _iceberg(settings: LocalSettings, conf: dict[str, str], local: LocalEndpoints) -> None:
    catalogs = {m["catalog"] for key in conf if (m := CATALOG_KEY.match(key))}
    if not catalogs:
        return
    if not local.iceberg_jars:
        why = "no Iceberg Spark runtime for this Spark version can be had here: the job reads with pyiceberg"
        for key in [k for k in conf if CATALOG_KEY.match(k) or k == "spark.sql.extensions"]:
            settings._set(key, None, why)
        return
    settings._set("spark.jars", ",".join(str(jar) for jar in local.iceberg_jars),
                  "the Iceberg runtime and JDBC driver from local files instead of spark.jars.packages")
    for catalog in sorted(catalogs):
        prefix = f"spark.sql.catalog.{catalog}"
        uri = conf.get(f"{prefix}.uri", "")
        if uri:
            database = uri.rsplit("/", 1)[-1]
            settings._set(f"{prefix}.uri", f"jdbc:postgresql://{local.jdbc_host}:{local.jdbc_port}/{database}",
                          "the chart's PostgreSQL Service is the local PostgreSQL")
        settings._set(f"{prefix}.jdbc.password", local.jdbc_password,
                      "the spark-conf init container appends it from the Secret", shown=MASKED)
        # S3FileIO needs Iceberg's AWS bundle (AWS SDK v2), which no registry reachable here offers.
        no_s3 = "S3FileIO needs Iceberg's AWS bundle, which cannot be had here: the warehouse is a local folder"
        settings._set(f"{prefix}.warehouse", local.iceberg_warehouse, no_s3)
        for key in [k for k in conf if k.startswith((f"{prefix}.s3.", f"{prefix}.io-impl", f"{prefix}.client."))]:
            settings._set(key, None, no_s3)


@dataclass(frozen=True)
class DaemonSettings:
    """The standalone master's and worker's settings, from the rendered containers."""

    worker_cores: int
    worker_memory_mb: int
    daemon_memory: str
    worker_opts: str
    translations: tuple[Translation, ...]
    properties: tuple[tuple[str, str], ...] = ()  # spark-defaults.conf as the daemons' pods read it
    run_as: tuple[int, int] = (0, 0)  # uid and gid of the daemons' pods (securityContext)
    master_service: str = ""  # the name the workers reach the master by
    master_port: int = 7077
    webui_port: int = 8080
    worker_webui_port: int = 8081

    def write_properties(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{key} {value}\n" for key, value in self.properties))
        return path

    def report(self) -> str:
        return "\n".join(t.line() for t in self.translations)


def _memory_mb(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([mMgG])", text).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit.lower() == "g" else 1)


def _arg(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def _env(container: dict[str, object], name: str) -> str:
    entries = container.get("env", [])
    assert isinstance(entries, list)
    return next((str(e.get("value", "")) for e in entries if e["name"] == name), "")


def daemon_settings(rendered: Rendered, gpu_rendered: Rendered | None, gpu_discovery_script: Path | None,
                    spark_secret: str, in_pods: bool = False) -> DaemonSettings:
    """One local worker stands for all the chart's workers; GPU resources come from the gpu mode's worker; the
    daemons read the chart's security settings from spark-defaults.conf, as in their pods. `in_pods`: the
    daemons run in pods of their own (harness/system/pods.py), on the chart's ports."""
    worker = rendered.container("spark-worker", "worker")
    master = rendered.container("spark-master", "master")
    replicas = int(rendered.workload("spark-worker")["spec"]["replicas"])
    cores, memory = int(_arg(worker["args"], "--cores")), _memory_mb(_arg(worker["args"], "--memory"))
    translations = [
        Translation("worker --cores", f"{cores} x {replicas} workers", str(cores * replicas),
                    "one local worker offers what the chart's workers offer together"),
        Translation("worker --memory", f"{memory}m x {replicas} workers", f"{memory * replicas}m",
                    "one local worker offers what the chart's workers offer together"),
    ]
    if not in_pods:
        translations.append(Translation("master --port, --webui-port", " ".join(master["args"]), "free loopback "
                                        "ports", "the chart's Service ports may be taken on this machine"))
    security = rendered.workload("spark-master")["spec"]["template"]["spec"].get("securityContext", {})
    uid = int(security.get("runAsUser", 0))
    worker_opts = ""
    if gpu_rendered is not None and gpu_discovery_script is not None:
        chart_opts = _env(gpu_rendered.container("spark-worker", "worker"), "SPARK_WORKER_OPTS")
        worker_opts = re.sub(r"(discoveryScript=)\S+", lambda m: m.group(1) + str(gpu_discovery_script), chart_opts)
        translations.append(Translation("SPARK_WORKER_OPTS", chart_opts, worker_opts,
                                        "the image's discovery script is the harness's script of this machine's GPU kind"))
    conf = rendered.spark_conf()
    properties = [(key, conf[key]) for key in DAEMON_SECURITY if key in conf]
    if conf.get("spark.authenticate") == "true":
        properties.append(("spark.authenticate.secret", spark_secret))
        translations.append(Translation("spark.authenticate.secret", "", MASKED, SECRET_APPENDED))
    return DaemonSettings(cores * replicas, memory * replicas, _env(worker, "SPARK_DAEMON_MEMORY"), worker_opts,
                          tuple(translations), tuple(properties), (uid, int(security.get("runAsGroup", uid))),
                          str(urlparse(worker["args"][-1]).hostname), int(_arg(master["args"], "--port")),
                          int(_arg(master["args"], "--webui-port")), int(_arg(worker["args"], "--webui-port")))


CONNECT_PORT_ARG = "spark.connect.grpc.binding.port="


def connect_port(rendered: Rendered) -> int:
    """The port the chart's Connect server listens on."""
    args = rendered.container("spark-connect", "connect")["args"]
    return int(next(arg for arg in args if arg.startswith(CONNECT_PORT_ARG)).split("=", 1)[1])


def connect_server_args(rendered: Rendered, master_url: str, host: str, port: int) -> tuple[list[str], list[Translation]]:
    """The Connect container's spark-submit arguments (after the program) for a server at `host`:`port`."""
    args = list(rendered.container("spark-connect", "connect")["args"])
    translations = []
    for index, arg in enumerate(args):
        if arg.startswith(CONNECT_PORT_ARG) and arg != f"{CONNECT_PORT_ARG}{port}":
            args[index] = f"{CONNECT_PORT_ARG}{port}"
            translations.append(Translation("spark.connect.grpc.binding.port", arg.split("=", 1)[1], str(port),
                                            "a free loopback port"))
        elif arg.startswith("spark.driver.host="):
            args[index] = f"spark.driver.host={host}"
            translations.append(Translation("spark.driver.host", arg.split("=", 1)[1], host,
                                            "the server's address here (its pod's, as $(POD_IP) on a cluster)"))
    extra = ["--master", master_url, "--conf", f"spark.connect.grpc.binding.address={host}",
             "--conf", "spark.cores.max=1"]
    translations += [
        Translation("spark.connect.grpc.binding.address", "", host, "the server's own address (loopback "
                    "without pods)"),
        Translation("spark.cores.max", "", "1", "locally every mode of a Spark version shares one cluster; "
                    "on the chart the Connect server's release has its cluster to itself"),
    ]
    return extra + args, translations
