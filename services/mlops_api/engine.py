"""Runs the queued jobs on the platform's Spark, a bounded number at once, and settles the jobs a stopped
replica left behind.

A job's driver runs here in client mode (Python applications cannot use cluster mode on a standalone master):
`spark-submit --name mlops-job-<id> launcher.py <script>` in the environment built for its requirements, in a
process group of its own. Its state is Spark's: `queued` while it waits for a slot, for its environment, or
while the master keeps the application WAITING (the reason says which), `running` once the master runs it,
then `completed` or `failed` from the driver's exit status, `killed` when it ran past its timeout.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from mlops_api.credentials import Vault
from mlops_api.environments import RequirementsFailed, ensure_environment
from mlops_api.mlflow_rest import MlflowError, MlflowRest
from mlops_api.processes import stop_group
from mlops_api.settings import Settings
from mlops_api.spark_master import ACTIVE, SparkMaster
from mlops_api.store import JobStore

LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
POLL_S = 0.5
HEARTBEAT_S = 2.0
ORPHAN_AFTER_S = 10.0  # a replica that beat no heartbeat for this long is gone
LOG_LINES = 200
KILL_GRACE_S = 10
RUN_STATUS = {"completed": "FINISHED", "failed": "FAILED", "killed": "KILLED"}
FROM_RUN_STATUS = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "killed"}
RESTARTED = "the service restarted while the job ran"
# What the driver must not inherit from the service: the database password, the vault key.
SERVICE_SECRETS = ("MLFLOW_DB_PASSWORD", "PGPASSWORD", "MLOPS_SECRET_KEY")
REGISTERED_TAG = "mlops.model_version"

log = logging.getLogger("mlops_api.engine")


def app_name(job_id: str) -> str:
    return f"mlops-job-{job_id}"


def tail(path: Path, lines: int = LOG_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def failure_reason(code: int, output: str, spark_log: str) -> str:
    """Why a driver failed, in one line: the exception its traceback ends with, or spark-submit's own error,
    else its exit code."""
    lines = output.splitlines()
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        raised = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b", line)]
        if raised:
            return f"the script raised {raised[-1]}"
    submit_errors = [line for line in spark_log.splitlines() if line.startswith(("Error:", "Exception in thread"))]
    if submit_errors:
        return f"spark-submit failed: {submit_errors[0]}"
    return f"the driver exited with code {code}"


class Engine:
    def __init__(self, settings: Settings, store: JobStore, master: SparkMaster, vault: Vault | None) -> None:
        self.settings = settings
        self.store = store
        self.master = master
        self.vault = vault
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- life ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        for name, loop in (("dispatcher", self._dispatch_loop), ("keeper", self._keep_loop)):
            thread = threading.Thread(target=loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop following; drivers run on. The jobs become orphans at once, for the next replica to settle."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.store.release(self.settings.instance)

    def wake(self) -> None:
        self._wake.set()

    def _spawn(self, target: Any, job: dict[str, Any]) -> None:
        thread = threading.Thread(target=target, args=(job,), name=f"job-{job['job_id']}", daemon=True)
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.store.claim_next(self.settings.instance, self.settings.max_running_jobs)
            except Exception:  # the database is away for a moment: try again at the next tick
                log.exception("claiming the next job failed")
                job = None
            if job is not None:
                self._spawn(self._run, job)
                continue
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _keep_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.store.beat(self.settings.instance)
                for orphan in self.store.orphans(ORPHAN_AFTER_S):
                    if self.store.adopt(orphan["job_id"], self.settings.instance, ORPHAN_AFTER_S):
                        self._spawn(self._settle_orphan, orphan)
            except Exception:
                log.exception("heartbeat or reconciliation failed")
            self._stopping.wait(HEARTBEAT_S)

    # -- one job ---------------------------------------------------------------------------------------
    def _mlflow_for(self, job: dict[str, Any]) -> MlflowRest:
        auth = self.vault.open(job["credentials"]) if self.vault and job["credentials"] else None
        return MlflowRest(self.settings.mlflow_url, auth, ca=self.settings.mlflow_ca)

    def _run(self, job: dict[str, Any]) -> None:
        job_id = job["job_id"]
        try:
            requirements = tuple(job["requirements"])
            self.store.set_state(job_id, "queued", f"building the Python environment for "
                                                   f"{', '.join(requirements) or 'no requirements'}")
            try:
                environment = ensure_environment(self.settings.env_root, requirements, job["spark_version"])
            except RequirementsFailed as exc:
                self.store.set_state(job_id, "failed", "its requirements could not be installed", logs=str(exc))
                return
            mlflow = self._mlflow_for(job)
            experiment_id = mlflow.experiment_id_for(job["experiment_name"])
            tags = {**job["tags"], "platform.job_id": job_id, "spark.version": job["spark_version"],
                    "platform.mode": "standalone-submit", "mlops.script_name": job["script_name"]}
            if job["username"]:
                tags["mlflow.user"] = job["username"]
            run_id = mlflow.create_run(experiment_id, f"job-{job_id}", tags)
            self.store.update(job_id, run_id=run_id, experiment_id=experiment_id)
            folder = self.settings.work_dir / job_id
            folder.mkdir(parents=True, exist_ok=True)
            (folder / job["script_name"]).write_bytes(bytes(job["script"]))
            process = self._launch(job, environment.python, environment.bin, folder, run_id, experiment_id)
            self.store.set_state(job_id, "queued", "submitted to the Spark master; waiting for it to list the "
                                                   "application")
            self._follow_driver({**job, "run_id": run_id}, process, folder, mlflow)
        except Exception as exc:  # anything unforeseen still ends the job, with the reason
            log.exception("job %s", job_id)
            self.store.set_state(job_id, "failed", f"the service could not run the job: {exc}")

    def _launch(self, job: dict[str, Any], python: Path, bin_dir: Path, folder: Path, run_id: str,
                experiment_id: str) -> subprocess.Popen[bytes]:
        env = {key: value for key, value in os.environ.items() if key not in SERVICE_SECRETS}
        env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYSPARK_PYTHON=str(python),
                   PYSPARK_DRIVER_PYTHON=str(python), MLFLOW_TRACKING_URI=self.settings.mlflow_url,
                   MLFLOW_RUN_ID=run_id, MLFLOW_EXPERIMENT_ID=experiment_id, MLOPS_MODEL_NAME=job["model_name"],
                   MLOPS_JOB_ID=job["job_id"])
        if self.vault and job["credentials"]:
            env["MLFLOW_TRACKING_USERNAME"], env["MLFLOW_TRACKING_PASSWORD"] = self.vault.open(job["credentials"])
        properties = (["--properties-file", str(self.settings.spark_properties)]
                      if self.settings.spark_properties else [])
        argv = [str(self.settings.spark_home / "bin" / "spark-submit"), "--master", self.settings.spark_master_url,
                *properties, "--name", app_name(job["job_id"]), str(LAUNCHER), str(folder / job["script_name"])]
        # The driver's Python output (tracebacks included) goes to stdout, Spark's own logging to stderr.
        with open(folder / "output.log", "ab") as out, open(folder / "spark.log", "ab") as err:
            return subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=folder, env=env,
                                    start_new_session=True)

    def _observe(self, job: dict[str, Any], mlflow: MlflowRest) -> dict[str, Any] | None:
        """The master's record of the job's application, recorded with the state it means: the application id
        the first time it is seen (and tagged on the run), and WAITING as `queued`, RUNNING as `running`, in
        one write, so that a reader never sees the id without the state."""
        try:
            app = self.master.application(app_name(job["job_id"]))
        except OSError:
            return None
        if app is None:
            return None
        fields: dict[str, Any] = {}
        if not job.get("app_id"):
            job["app_id"] = fields["app_id"] = str(app["id"])
            mlflow.set_tag(job["run_id"], "spark.app_id", job["app_id"])
        state = None
        if app.get("state") == "RUNNING":
            state = ("running", f"running on Spark as {app['id']}")
        elif app.get("state") in ACTIVE:
            state = ("queued", f"the Spark master keeps {app['id']} {app['state']}: no worker has the free cores "
                               "it asks for")
        if state is not None and (state != job.get("recorded_state") or fields):
            self.store.set_state(job["job_id"], *state, **fields)  # once per change, not at every poll
            job["recorded_state"] = state
        elif fields:
            self.store.update(job["job_id"], **fields)
        return app

    def _follow_driver(self, job: dict[str, Any], process: subprocess.Popen[bytes], folder: Path,
                       mlflow: MlflowRest) -> None:
        deadline = time.monotonic() + job["timeout_s"]
        last_logs = 0.0
        while process.poll() is None:
            if self._stopping.is_set():
                return  # the driver runs on; the next replica adopts the job
            stop_reason = self._stop_reason(job, time.monotonic() > deadline)
            if stop_reason:
                stop_group(process, KILL_GRACE_S)
                self._end(job, mlflow, "killed", stop_reason, tail(folder / "output.log"))
                return
            self._observe(job, mlflow)
            if time.monotonic() - last_logs > 5:
                self.store.update(job["job_id"], logs=tail(folder / "output.log"))
                last_logs = time.monotonic()
            time.sleep(POLL_S)
        self._observe(job, mlflow)
        output = tail(folder / "output.log")
        if process.returncode == 0:
            self._end(job, mlflow, "completed", "the driver exited with code 0", output)
        else:
            spark_log = tail(folder / "spark.log")
            self._end(job, mlflow, "failed", failure_reason(process.returncode, output, spark_log),
                      output or spark_log)

    def _stop_reason(self, job: dict[str, Any], timed_out: bool) -> str | None:
        """Why the job must stop now: past its timeout, or cancelled by a caller; None to go on."""
        if timed_out:
            return f"it ran past its timeout of {job['timeout_s']} s"
        cancelled_by = self.store.cancelled_by(job["job_id"])
        return f"cancelled by {cancelled_by or 'a caller'}" if cancelled_by is not None else None

    def _end(self, job: dict[str, Any], mlflow: MlflowRest, status: str, reason: str, logs: str) -> None:
        """Record the end; the run gets the job's end state unless the script ended it itself (MLflow marks a
        run FAILED when the script raised inside it, FINISHED when it left it normally)."""
        fields: dict[str, Any] = {"logs": logs}
        try:
            run = mlflow.run(job["run_id"])
            run_status = run["info"]["status"]
            if run_status == "RUNNING" or (status == "killed" and run_status != "KILLED"):
                mlflow.end_run(job["run_id"], RUN_STATUS[status])
            registered = {t["key"]: t["value"] for t in run.get("data", {}).get("tags", [])}.get(REGISTERED_TAG)
            if registered and registered != "none":
                fields["model_version"] = registered
        except (MlflowError, OSError) as exc:
            reason = f"{reason}; its MLflow run could not be closed: {exc}"
        self.store.set_state(job["job_id"], status, reason, **fields)

    # -- what a stopped replica left ------------------------------------------------------------------------
    def _settle_orphan(self, job: dict[str, Any]) -> None:
        """A job whose replica stopped: back in the queue if it never reached Spark; followed on the master if
        its application is still there; else ended as its run says, or failed with the reason."""
        job_id = job["job_id"]
        try:
            if not job["run_id"]:
                self.store.update(job_id, claimed_by=None, heartbeat_at=None, started_at=None)
                self.store.set_state(job_id, "queued", "back in the queue: the replica that took it stopped "
                                                       "before it started")
                self.wake()
                return
            mlflow = self._mlflow_for(job)
            app = self._observe(job, mlflow)
            if app is None or app.get("state") not in ACTIVE:
                self._settle_ended(job, mlflow)
                return
            self._follow_application(job, mlflow)
        except Exception as exc:
            log.exception("settling job %s", job_id)
            self.store.set_state(job_id, "failed", f"{RESTARTED}, and settling it failed: {exc}")

    def _settle_ended(self, job: dict[str, Any], mlflow: MlflowRest) -> None:
        """The application is gone: the run says how the script ended; a run left RUNNING lost its driver."""
        run_status = mlflow.run(job["run_id"])["info"]["status"]
        logs = tail(self.settings.work_dir / job["job_id"] / "output.log") or job["logs"]
        if run_status in FROM_RUN_STATUS:  # the driver ended it (launcher.py): it tells how the script ended
            self._end(job, mlflow, FROM_RUN_STATUS[run_status], f"its application ended and its run is "
                                                                  f"{run_status}", logs)
        else:
            self._end(job, mlflow, "failed", RESTARTED, logs)

    def _follow_application(self, job: dict[str, Any], mlflow: MlflowRest) -> None:
        """Follow a job whose driver another replica started: the master's record alone tells its state."""
        started = job["started_at"].timestamp()
        while not self._stopping.is_set():
            app = self._observe(job, mlflow)
            if app is None or app.get("state") not in ACTIVE:
                self._settle_ended(job, mlflow)
                return
            stop_reason = self._stop_reason(job, time.time() > started + job["timeout_s"])
            if stop_reason:
                self.master.kill(str(app["id"]))
                self._end(job, mlflow, "killed", stop_reason, job["logs"])
                return
            time.sleep(POLL_S)
