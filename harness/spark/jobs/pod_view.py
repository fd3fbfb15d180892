"""spark-submit job: what one executor sees of the pod it runs in, beside a file the driver wrote to its own
temporary folder, and what the driver sees of its own. Each --probe HOST:PORT is a TCP connection the executor
tries."""

import argparse
import errno
import os
import socket
import tempfile

from pyspark.sql import SparkSession

from jobcommon import report

parser = argparse.ArgumentParser()
parser.add_argument("--probe", action="append", default=[])
args = parser.parse_args()

spark = SparkSession.builder.appName("spec-pod-view").getOrCreate()
with tempfile.NamedTemporaryFile(prefix="driver-only-", delete=False) as marker:
    marker.write(b"written by the driver")
driver_file = marker.name


def connects(target):
    host, port = target.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            return "answered"
    except OSError as problem:
        return type(problem).__name__


def root_write_error():
    """Why a folder cannot be made in /var/tmp, open to every user on the root file system (None: it could)."""
    folder = f"/var/tmp/pod-view-{os.getpid()}"
    try:
        os.mkdir(folder)
    except OSError as problem:
        return errno.errorcode.get(problem.errno, str(problem.errno))
    os.rmdir(folder)
    return None


def address_of(hostname):
    try:
        return socket.gethostbyname(hostname)
    except OSError as problem:
        return f"unresolved ({problem})"


def source_address(toward):
    """The address this process sends from to `toward` (a UDP connect only picks the route: nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((toward, 9))
        return probe.getsockname()[0]


def view(_):
    hostname = socket.gethostname()
    yield {"uid": os.getuid(), "gid": os.getgid(), "hostname": hostname,
           "address": address_of(hostname), "tmp": tempfile.gettempdir(),
           "driver_file_visible": os.path.exists(driver_file),
           "root_write_error": root_write_error(),
           "probes": {target: connects(target) for target in args.probe}}


executor = spark.sparkContext.parallelize([0], 1).mapPartitions(view).collect()[0]
os.unlink(driver_file)
driver = {"hostname": socket.gethostname(), "address": source_address(executor["address"]), "driver_file": driver_file,
          "uid": os.getuid(), "gid": os.getgid(), "root_write_error": root_write_error()}
spark.stop()
report({"executor": executor, "driver": driver})
