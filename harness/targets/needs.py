"""What a scenario can need of its target (a `@needs-<need>` tag, or the matrix cell its steps name) and why a
scenario is skipped where its target lacks it. A target declares what it meets in one place, its
`capabilities()`; the skip of a tagged scenario and of a matrix row both read that declaration and this table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from harness.errors import SuiteError

# need -> why a scenario that needs it is skipped on a target lacking it (a target may say more, see Capabilities)
NEEDS: dict[str, str] = {
    "k8s": "needs a Kubernetes cluster: run with -D target=k8s and KUBECONFIG pointing at one",
    "gpu": "needs real GPUs, and this target offers none",
    "simulated-gpu": "simulated GPU rows run only with -D gpu=simulated",
    "local-processes": (
        "runs the chart's pods as local processes (server variants, the two-replica production deployment and the "
        "faults injected into it, the backup and restore Jobs); on a cluster these are `helm test` of a release with "
        "those values, pod deletion and scaling PostgreSQL to zero, which the k8s target does not automate yet"),
    "mlops-api": "needs the platform's MLOps API, which this target cannot run",
    "pod-isolation": (
        "needs the chart's Spark pods apart from each other and from the drivers (own network, hostname, user, "
        "read-only root and /tmp): the local target isolates them only as root with bubblewrap and network "
        "namespaces, and not with -D isolation=off"),
    "spark-connect-ml": (
        "Spark 3.5's Connect has no ML (pyspark.ml over Connect came with Spark 4.0) and the row trains with "
        "pyspark.ml; the pyspark 3.5 wheels also ship no Connect server jar (Maven only, which this machine cannot "
        "reach): run the Connect rows on Spark 4.1"),
}


def cell_needs(mode: str, version: str) -> tuple[str, ...]:
    """What a matrix row of `mode` on Spark `version` needs beyond its tags."""
    needs = []
    if mode in ("k8s", "connect-k8s"):
        needs.append("k8s")
    if mode.startswith("connect-") and version.startswith("3.5."):
        needs.append("spark-connect-ml")
    return tuple(needs)


@dataclass(frozen=True)
class Capabilities:
    """A target's one declaration of the needs it meets; `lacking` says more than NEEDS does about a need it
    could meet on another machine or with other options; `checked` holds needs only asking can settle (a
    cluster's GPU nodes): each check returns None when the need is met, else why not, and runs once, when a
    scenario first has that need."""

    met: frozenset[str]
    lacking: dict[str, str] = field(default_factory=dict)
    checked: dict[str, Callable[[], str | None]] = field(default_factory=dict)
    _answers: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted((set(self.met) | set(self.lacking) | set(self.checked)) - set(NEEDS))
        if unknown:
            raise SuiteError(f"a target declares needs the suite does not know: {', '.join(unknown)}")

    def unmet(self, need: str) -> str | None:
        """Why a scenario with this need cannot run here, or None when it can."""
        if need not in NEEDS:
            raise SuiteError(f"unknown tag @needs-{need}: the known needs are {', '.join(sorted(NEEDS))} "
                             "(harness/targets/needs.py)")
        if need in self.checked:
            if need not in self._answers:
                self._answers[need] = self.checked[need]()
            return self._answers[need]
        return None if need in self.met else self.lacking.get(need, NEEDS[need])


def gpu_capability(gpu_setting: str, real_gpus: str | None) -> tuple[set[str], dict[str, str]]:
    """The GPU needs met under `-D gpu=<gpu_setting>`, with `real_gpus` None when the target has real GPUs, or
    why it has none."""
    if gpu_setting == "simulated":
        return {"simulated-gpu"}, {"gpu": "-D gpu=simulated replaces GPUs with simulated ones: this row needs real "
                                          "GPUs"}
    if real_gpus is None:
        return {"gpu"}, {}
    return set(), {"gpu": f"needs a GPU: {real_gpus} (-D gpu=simulated exercises Spark's GPU scheduling without one, "
                          "in its own scenarios)"}
