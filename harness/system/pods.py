"""Pods as a cluster gives them, made by the kernel with no images: each pod its own network namespace with an
address on a bridge of the run's own, its own hostname, the uid of its securityContext without capabilities, a
read-only root with only its volumes writable, and a private /tmp.

A process runs in a pod through `Pod.command(argv)`: `ip netns exec` puts it in the pod's network, bubblewrap
gives it the pod's file system and hostname, setpriv drops it to the pod's uid. Names resolve through the
network's hosts file, bound over /etc/hosts in every pod: each pod by its name and its Services' names.

The addresses are 10.217.N.0/24, one N per run (claimed by creating the bridge `smsbrN`, which fails if another
run has it). Pods get no default route: nothing they send can leave the bridge. What a run made is written to
its folder (RECORD_FILE), so a later run's sweeper removes it after a run that was killed too hard to clean up.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from harness.errors import SuiteError

BRIDGE_PREFIX = "smsbr"
VETH_PREFIX = "smsv"  # the host's end of a pod's veth pair
NETNS_PREFIX = "sms"
SUBNET = "10.217.{index}"
NETWORKS = range(1, 255)
RECORD_FILE = "pod-network"
# What an image's ENV gives every container: of this machine's environment a pod's process gets only these,
# besides what its caller gives it (the rendered environment); the rest of the suite's shell stays out.
IMAGE_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "JAVA_HOME")
# The mark by which the suite's own tests find every process a run under test started (tests/conftest.py).
LEAK_MARKER_ENV = "SPEC_LEAK_MARKER"
# Trees a pod sees only through explicit binds: the host's /tmp (a pod has its own) and root's home (0700 here).
HIDDEN_ROOTS = (Path("/tmp"), Path.home())


def isolation_unavailable() -> str | None:
    """Why pods cannot be isolated on this machine, None when they can."""
    if sys.platform != "linux":
        return f"network namespaces are Linux only (this is {sys.platform})"
    if os.geteuid() != 0:
        return "the suite is not root (network namespaces, veth pairs and bind mounts need it)"
    for tool, package in (("bwrap", "bubblewrap"), ("ip", "iproute2"), ("setpriv", "util-linux")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package {package}; make setup installs it)"
    # Root in a container may still be refused namespaces (no CAP_SYS_ADMIN or CAP_NET_ADMIN, a seccomp filter).
    for probe, what in ((["unshare", "--net", "true"], "network namespaces"),
                        (["bwrap", "--unshare-pid", "--unshare-uts", "--unshare-ipc", "--ro-bind", "/", "/", "--dev",
                          "/dev", "--proc", "/proc", "--", "true"], "bubblewrap's sandbox")):
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"this machine refuses {what}: {done.stderr.strip() or f'exit {done.returncode}'}"
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SuiteError(f"ip {' '.join(args)} failed: {done.stderr.strip()}",
                         "run as root on Linux, or choose -D isolation=off")


@dataclass
class Pod:
    """One pod: its network namespace and address, and how its processes see the machine."""

    name: str
    address: str
    netns: str
    network: "PodNetwork"
    uid: int
    gid: int
    namespace: str  # whose Service names it resolves (one per release on a cluster)
    writable: tuple[Path, ...] = ()  # its volumes: bound read-write at their own path
    readable: tuple[Path, ...] = ()  # what it reads (config): bound read-only where the pod would not see it
    devices: tuple[Path, ...] = ()  # host devices it gets, as a device plugin gives them (GPUs)
    read_only_root: bool = True
    private_tmp: bool = True

    def command(self, argv: Sequence[str], cwd: Path | None = None) -> list[str]:
        """`argv` as a process of this pod runs it."""
        mounts = ["--ro-bind" if self.read_only_root else "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        mounts += [part for device in self.devices for part in ("--dev-bind", str(device), str(device))]
        if self.private_tmp:
            mounts += ["--perms", "1777", "--tmpfs", "/tmp"]
        mounts += ["--perms", "0755", "--tmpfs", str(Path.home())]
        binds = [(path, "--ro-bind") for path in (*self.network.shared_readable, *self.readable)]
        binds += [(path, "--bind") for path in self.writable]
        made: set[Path] = set()
        for path, flag in sorted(binds, key=lambda bind: len(bind[0].parts)):
            for parent in reversed(path.parents):
                if parent not in made and any(parent.is_relative_to(root) and parent != root for root in self.hidden):
                    mounts += ["--perms", "0755", "--dir", str(parent)]
                    made.add(parent)
            if any(path.is_relative_to(root) for root in self.hidden) or flag == "--bind":
                mounts += [flag, str(path), str(path)]
        mounts += ["--ro-bind", str(self.network.hosts_file(self.namespace)), "/etc/hosts",
                   "--ro-bind", str(self.network.passwd_file), "/etc/passwd"]
        if cwd is not None:
            mounts += ["--chdir", str(cwd)]
        # A pid namespace of its own: when bubblewrap goes, its init goes (--die-with-parent) and the kernel
        # takes every process of the pod with it. The pod's own processes could not be told so: dropping the
        # uid (setpriv) clears a parent-death signal.
        return ["ip", "netns", "exec", self.netns, "bwrap", "--die-with-parent", "--unshare-pid", "--unshare-uts",
                "--unshare-ipc", "--hostname", self.name, *mounts, "--setenv", "TMPDIR", "/tmp",
                "--setenv", "HOME", "/tmp", "--", *self._as_its_user(), *argv]

    def join(self, sandbox_pid: int, argv: Sequence[str], cwd: Path | None = None) -> list[str]:
        """`argv` as a process that joins the running pod of process `sandbox_pid` (its network, file system,
        hostname and pid namespace: what a second process of one container shares), as the pod's user."""
        where = [f"--wd={cwd}"] if cwd is not None else []
        return ["nsenter", f"--target={sandbox_pid}", "--pid", "--mount", "--uts", "--ipc", "--net", *where,
                *self._as_its_user(), *argv]

    def _as_its_user(self) -> list[str]:
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all"]

    def environment(self, given: Mapping[str, str]) -> dict[str, str]:
        """What a process of the pod gets of `given`: what its caller set (a value this machine's environment
        does not hold) and IMAGE_ENV; a credential the suite's shell happens to hold does not reach the pod."""
        return {key: value for key, value in given.items()
                if key in IMAGE_ENV or key == LEAK_MARKER_ENV or os.environ.get(key) != value}

    @property
    def hidden(self) -> tuple[Path, ...]:
        return HIDDEN_ROOTS if self.private_tmp else HIDDEN_ROOTS[1:]

    def share(self, *folders: Path) -> None:
        """Mount `folders` read-write, as storage the pod shares with processes of this machine (which run as
        another user): open to every user, as a volume every pod mounts."""
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o1777)
        self.writable = (*self.writable, *folders)

    def own(self, *folders: Path) -> None:
        """Make `folders` the pod's volumes, owned by its user with all they hold (as fsGroup makes a volume
        the pod's)."""
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, self.uid, self.gid, follow_symlinks=False)
            for parent, names, files in os.walk(folder):
                for name in (*names, *files):
                    os.chown(os.path.join(parent, name), self.uid, self.gid, follow_symlinks=False)
        self.writable = (*self.writable, *(folder for folder in folders if folder not in self.writable))


@dataclass
class PodNetwork:
    """A bridge of the run's own and the pods on it; the run's address on the bridge is `gateway`."""

    index: int
    folder: Path  # the run's folder: hosts and passwd files, and the record the sweeper reads
    shared_readable: tuple[Path, ...] = ()  # what every pod reads (runtimes, the job files)
    pods: dict[str, Pod] = field(default_factory=dict)
    service_names: dict[str, list[str]] = field(default_factory=dict)  # pod name -> the Service names it answers
    namespaces: set[str] = field(default_factory=set)
    known_everywhere: set[str] = field(default_factory=set)  # pods whose Service names every namespace resolves

    @classmethod
    def create(cls, folder: Path, shared_readable: Sequence[Path] = ()) -> "PodNetwork":
        """Claim a free 10.217.N.0/24 (its bridge is the claim) and record it in `folder`. The search starts at
        a random N: runs that start together rarely race for one, and a name is seldom reused soon after."""
        start = random.randrange(len(NETWORKS))
        for index in [*NETWORKS[start:], *NETWORKS[:start]]:
            bridge = f"{BRIDGE_PREFIX}{index}"
            done = subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], capture_output=True, text=True,
                                  check=False)
            if done.returncode == 0:
                network = cls(index, folder, tuple(shared_readable))
                network._record(bridge)
                _ip("addr", "add", f"{network.gateway}/24", "dev", bridge)
                _ip("link", "set", bridge, "up")
                network._write_names()
                return network
            if "File exists" not in done.stderr:
                raise SuiteError(f"could not make the pods' bridge {bridge}: {done.stderr.strip()}",
                                 "run as root on Linux, or choose -D isolation=off")
        raise SuiteError(f"every pod network 10.217.1-254.0/24 is taken ({BRIDGE_PREFIX}1-254 exist)",
                         "stop other runs, or remove the bridges of killed ones: make doctor names them")

    @property
    def bridge(self) -> str:
        return f"{BRIDGE_PREFIX}{self.index}"

    @property
    def gateway(self) -> str:
        return f"{SUBNET.format(index=self.index)}.1"

    @property
    def subnet(self) -> str:
        return f"{SUBNET.format(index=self.index)}.0/24"

    def hosts_file(self, namespace: str) -> Path:
        return self.folder / f"pod-hosts-{namespace}"

    @property
    def passwd_file(self) -> Path:
        return self.folder / "pod-passwd"

    def pod(self, name: str, uid: int, gid: int, namespace: str, service_names: Sequence[str] = (),
            known_everywhere: bool = False) -> Pod:
        """The pod called `name` (made on first use): reachable by its name from every pod, and by its
        `service_names` from the pods of its namespace (of every namespace when `known_everywhere`: a service
        all the releases share here)."""
        if name not in self.pods:
            if known_everywhere:
                self.known_everywhere.add(name)
            address, netns = self._network_namespace(name)
            self.pods[name] = Pod(name, address, netns, self, uid, gid, namespace)
            self.service_names[name] = list(service_names)
            self.namespaces.add(namespace)
            self._write_names()
        return self.pods[name]

    def _network_namespace(self, name: str) -> tuple[str, str]:
        """A network namespace for pod `name` with a veth pair to the bridge: its address and name."""
        number = len(self.pods) + 2
        netns, host_side = f"{NETNS_PREFIX}{self.index}-{name}", f"{VETH_PREFIX}{self.index}-{number}"
        pod_side = f"smsp{self.index}-{number}"
        self._record(netns)
        self._record(host_side)
        _ip("netns", "add", netns)
        _ip("link", "add", host_side, "type", "veth", "peer", "name", pod_side)
        _ip("link", "set", pod_side, "netns", netns)
        _ip("link", "set", host_side, "master", self.bridge, "up")
        _ip("-n", netns, "link", "set", pod_side, "name", "eth0")
        address = f"{SUBNET.format(index=self.index)}.{number}"
        _ip("-n", netns, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", netns, "link", "set", "eth0", "up")
        _ip("-n", netns, "link", "set", "lo", "up")
        return address, netns

    def _write_names(self) -> None:
        # Written in place: a pod's /etc/hosts is a bind of this very file, which a new inode would not reach.
        for namespace in self.namespaces:
            lines = ["127.0.0.1 localhost"]
            lines += [" ".join([pod.address, name, *self._names_in(namespace, pod)]) for name, pod in self.pods.items()]
            with open(self.hosts_file(namespace), "w") as hosts:
                hosts.write("\n".join(lines) + "\n")
            os.chmod(self.hosts_file(namespace), 0o644)
        # A uid without a passwd entry stops Hadoop's login ("Invalid UID"): the images have one for theirs.
        users = Path("/etc/passwd").read_text()
        known = {int(line.split(":")[2]) for line in users.splitlines() if line.count(":") >= 6}
        added = {pod.uid: pod.gid for pod in self.pods.values() if pod.uid not in known}
        users += "".join(f"pod{uid}:x:{uid}:{gid}::/tmp:/bin/sh\n" for uid, gid in added.items())
        self.passwd_file.write_text(users)
        os.chmod(self.passwd_file, 0o644)

    def _names_in(self, namespace: str, pod: Pod) -> list[str]:
        """The Service names that lead to `pod` in `namespace`: its own namespace's, and a service every
        namespace shares where the namespace has none of that name itself."""
        if pod.namespace == namespace:
            return self.service_names[pod.name]
        if pod.name not in self.known_everywhere:
            return []
        own = {service for other in self.pods.values() if other.namespace == namespace
               for service in self.service_names[other.name]}
        return [service for service in self.service_names[pod.name] if service not in own]

    def _record(self, name: str) -> None:
        with open(self.folder / RECORD_FILE, "a") as record:
            record.write(name + "\n")

    def close(self) -> None:
        """Remove the pods' veth pairs, namespaces and the bridge."""
        remove_recorded(self.folder)


def remove_recorded(folder: Path) -> list[str]:
    """Remove the network namespaces and the bridge that the run of `folder` recorded; what was removed."""
    try:
        names = (folder / RECORD_FILE).read_text().split()
    except FileNotFoundError:
        return []
    removed = []
    # Links first: a deleted namespace takes its veth pairs along only later (the kernel tears it down
    # asynchronously), and a next network could meet their names.
    for name in sorted(names, key=lambda name: not name.startswith(VETH_PREFIX)):
        is_link = name.startswith((BRIDGE_PREFIX, VETH_PREFIX))
        command = ["ip", "link", "del", name] if is_link else ["ip", "netns", "del", name]
        with contextlib.suppress(FileNotFoundError):
            if subprocess.run(command, capture_output=True, check=False).returncode == 0:
                removed.append(name)
    (folder / RECORD_FILE).unlink(missing_ok=True)
    return removed


def leftover_networks() -> list[str]:
    """Bridges and network namespaces of the suite's naming that exist on this machine."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=False).stdout
        found += [name for line in links.splitlines()
                  if (name := line.split(":")[1].strip().split("@")[0]).startswith((BRIDGE_PREFIX, VETH_PREFIX))]
        namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
        found += [line.split()[0] for line in namespaces.splitlines() if line.startswith(NETNS_PREFIX)]
    return found
