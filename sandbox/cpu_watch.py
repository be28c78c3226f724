"""CPU time of whole process trees, read from /proc by the harness. Standard library only.

The executor asks it, a few times a second and only for workers whose test has been running
a while, whether a program is using a CPU or sleeping (blocked on a pipe, a lock, time.sleep):
a worker whose tree gains almost no CPU time can leave its CPU to a spare worker. It decides
nothing about verdicts: a test's limits are enforced in the worker, as always.
"""
from __future__ import annotations

import os

__all__ = ["tree_cpu_seconds"]

_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, int, bool]]:
    """pid -> (parent pid, CPU ticks of the process and of its reaped children, runnable)."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            found[int(name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]), fields[0] == b"R")
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile: its time is now its parent's
    return found


def tree_cpu_seconds(roots: dict) -> dict:
    """key -> (CPU seconds of the process tree under `roots[key]` (a pid), whether one of its
    processes is running or waiting for a CPU), from one pass over /proc; keys whose root is
    gone are left out."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    out = {}
    for key, root in roots.items():
        if root not in processes:
            continue
        ticks, running, stack = 0, False, [root]
        while stack:
            pid = stack.pop()
            ticks += processes[pid][1]
            running |= processes[pid][2]
            stack.extend(children.get(pid, ()))
        out[key] = ticks / _TICKS, running
    return out
