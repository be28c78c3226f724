"""A memory/pids/cpu/cpuacct cgroup per worker, where the harness may make one. Standard library only.

As root, cgroup v1 controllers (memory, pids, cpu, and cpuacct where it is a hierarchy of its
own) get a child group of the harness's own group (so a worker never leaves the limits its
caller set); as an ordinary user, a cgroup v2 subtree delegated to us with the memory and
pids controllers enabled. The worker and everything it starts are put in the group before
the worker reads its configuration.

The group's CPU counter (cpuacct.usage in v1, cpu.stat's usage_usec in v2) adds up every
CPU-second of every process in it, reaped by anyone or by no one, readable or not: the
worker charges a test with the counter's growth less its own CPU time.

The memory group bounds what RLIMIT_AS cannot see, summed over all of a program's
processes: tmpfs files, page tables, kernel memory. Where no group can be made,
the reason is recorded and RLIMIT_AS (per process) is all that bounds memory.
"""
from __future__ import annotations

import os
import time

V1_ROOT = "/sys/fs/cgroup"
V2_MOUNTS = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")
# The group holds the worker too (its test processes are its forks: moving each into a group of
# its own costs up to milliseconds per fork in cgroup v1), and the worker briefly needs memory
# in proportion to the program and the records it handles. Hence a bound of twice the
# per-process limit plus room for the worker: still one bound for everything a program holds.
WORKER_OVERHEAD_MB = 128


def group_limit_mb(memory_mb: int) -> int:
    return 2 * memory_mb + WORKER_OVERHEAD_MB
EXTRA_PROCESSES = 8  # the worker's own processes


class WorkerCgroup:
    """The group(s) of one worker. `events_path`: where the kernel counts OOM kills."""

    def __init__(self, version: int, dirs: list[str], events_path: str, cpu_usage_path: str = "") -> None:
        self.version, self.dirs, self.events_path = version, dirs, events_path
        self.cpu_usage_path = cpu_usage_path  # "" when no CPU counter could be had

    def describe_cpu(self) -> str:
        where = os.path.dirname(self.cpu_usage_path)
        counter = "cpuacct.usage" if self.version == 1 else "cpu.stat usage_usec"
        return (f"cgroup v{self.version} {counter} of the worker's group ({where}): every process of the"
                " program, whoever reaps it, less the worker's own CPU time")

    def describe(self, memory_mb: int) -> str:
        where = ", ".join(self.dirs)
        return (f"memory cgroup v{self.version}: {group_limit_mb(memory_mb)} MB for the worker and"
                f" all a program starts (files in its tmpfs and the sum over its processes included); {where}")

    def add(self, pid: int) -> None:
        for folder in self.dirs:
            with open(os.path.join(folder, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def remove(self) -> None:
        """After the worker's processes are gone (the kernel may still be tearing them down)."""
        for folder in self.dirs:
            for _ in range(50):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _own_groups() -> dict[str, str]:
    """controller (or "" for cgroup v2) -> this process's group path."""
    groups = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for name in controllers.split(",") if controllers else [""]:
                    groups[name] = path
    except OSError:
        pass
    return groups


def _write(folder: str, name: str, value: str, required: bool = True) -> None:
    try:
        with open(os.path.join(folder, name), "w") as f:
            f.write(value)
    except OSError:
        if required:
            raise


def _make_v1(name: str, memory_mb: int, processes: int) -> WorkerCgroup:
    groups = _own_groups()
    dirs = []
    try:
        for controller in ("memory", "pids", "cpu"):
            parent = os.path.join(V1_ROOT, controller) + groups.get(controller, "/")
            if not os.path.isfile(os.path.join(parent, "cgroup.procs")):
                raise OSError(f"no cgroup v1 {controller} controller at {parent}")
            folder = os.path.join(parent, name)
            os.mkdir(folder, 0o755)
            dirs.append(folder)
        memory, pids, cpu = dirs
        limit = str(group_limit_mb(memory_mb) << 20)
        _write(memory, "memory.limit_in_bytes", limit)
        _write(memory, "memory.memsw.limit_in_bytes", limit, required=False)  # no swap to spill into
        _write(pids, "pids.max", str(processes + EXTRA_PROCESSES))
        return WorkerCgroup(1, dirs, os.path.join(memory, "memory.oom_control"), _v1_cpu_counter(name, cpu, groups, dirs))
    except OSError:
        WorkerCgroup(1, dirs, "").remove()
        raise


def _v1_cpu_counter(name: str, cpu: str, groups: dict[str, str], dirs: list[str]) -> str:
    """cpuacct.usage of the worker: in its cpu group where cpuacct is mounted with cpu, else in a
    cpuacct group of its own (appended to dirs); "" where neither can be had."""
    if os.path.isfile(os.path.join(cpu, "cpuacct.usage")):
        return os.path.join(cpu, "cpuacct.usage")
    parent = os.path.join(V1_ROOT, "cpuacct") + groups.get("cpuacct", "/")
    if not os.path.isfile(os.path.join(parent, "cpuacct.usage")):
        return ""
    folder = os.path.join(parent, name)
    try:
        os.mkdir(folder, 0o755)
    except OSError:
        return ""
    dirs.append(folder)
    return os.path.join(folder, "cpuacct.usage")


def _make_v2(name: str, memory_mb: int, processes: int) -> WorkerCgroup:
    path = _own_groups().get("")
    if path is None:
        raise OSError("not in a cgroup v2 hierarchy")
    for mount in V2_MOUNTS:
        parent = mount + path
        if os.path.isfile(os.path.join(parent, "cgroup.subtree_control")):
            break
    else:
        raise OSError("cgroup v2 is not mounted")
    with open(os.path.join(parent, "cgroup.subtree_control")) as f:
        enabled = f.read().split()
    if not {"memory", "pids"} <= set(enabled) or not os.access(parent, os.W_OK):
        raise OSError(f"no delegated cgroup v2 subtree with the memory and pids controllers ({parent})")
    folder = os.path.join(parent, name)
    os.mkdir(folder, 0o755)
    group = WorkerCgroup(2, [folder], os.path.join(folder, "memory.events"), os.path.join(folder, "cpu.stat"))
    try:
        _write(folder, "memory.max", str(group_limit_mb(memory_mb) << 20))
        _write(folder, "memory.swap.max", "0", required=False)
        _write(folder, "pids.max", str(processes + EXTRA_PROCESSES))
    except OSError:
        group.remove()
        raise
    return group


def make_worker_cgroup(name: str, memory_mb: int, processes: int) -> tuple[WorkerCgroup | None, str]:
    """The worker's group and what it bounds, or None and why there is none."""
    reasons = []
    makers = (_make_v1, _make_v2) if os.geteuid() == 0 else (_make_v2,)
    for make in makers:
        try:
            group = make(name, memory_mb, processes)
            return group, group.describe(memory_mb)
        except OSError as exc:
            reasons.append(str(exc.strerror or exc) if exc.strerror else str(exc))
    return None, ("RLIMIT_AS per process only: the sum over a program's processes and kernel memory of its pipes"
                  " and sockets are not bounded as one (files: size-limited tmpfs; memfds and System V shared"
                  " memory refused) (no memory cgroup: " + "; ".join(reasons) + ")")
