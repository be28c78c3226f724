"""What a run records about where its programs ran: the backend and each node with its isolation.

A sub-record of the run record (config.json "executor"), encoded by harness.record_codec.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """One machine that judged programs, as its sandbox actor described itself."""

    node_id: str
    address: str
    hostname: str
    workers: int
    actor_pid: int
    worker_pids: tuple[int, ...] = ()
    isolation: dict[str, Any] = field(default_factory=dict)  # the node's sandbox facts
    sandbox: dict[str, Any] = field(default_factory=dict)  # the node's SandboxSummary, as JSON
    programs: int = 0  # programs this actor returned a run for


@dataclass(frozen=True, slots=True)
class ActorStats:
    """A sandbox actor's counters: programs run, seconds they spent in its sandbox Executor
    (submit to result, summed over programs in flight at once), and its process's CPU seconds."""

    programs: int
    executor_s: float
    cpu_s: float


@dataclass(frozen=True, slots=True)
class ExecutorRecord:
    """The executor backend of a run: `local`, or `ray` with the cluster address and its actors.

    `nodes` has one entry per sandbox actor that started (several per node with `cpus_per_actor`),
    nodes that joined during the run included."""

    backend: str = "local"
    address: str | None = None
    nodes: tuple[NodeRecord, ...] = ()
    cpus_per_actor: int | None = None  # None: one actor per node
