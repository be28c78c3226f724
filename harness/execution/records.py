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


@dataclass(frozen=True, slots=True)
class ExecutorRecord:
    """The executor backend of a run: `local`, or `ray` with the cluster address and its nodes."""

    backend: str = "local"
    address: str | None = None
    nodes: tuple[NodeRecord, ...] = ()
