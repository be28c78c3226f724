"""Length-prefixed JSON messages over pipes: the only protocol between harness and workers.

Imported both as ``sandbox.wire`` (harness side) and as ``wire`` (inside a worker,
which runs with ``python -I -S`` and puts this directory on its path). Stdlib only.
"""
from __future__ import annotations

import json
import os
import select
import time

HEADER_SIZE = 4  # big-endian length (no struct module: keeps the worker's mappings small)
MAX_MESSAGE = 1 << 31  # a sanity bound: a corrupt header must not make us allocate forever


class WireError(Exception):
    """The other side closed the pipe or sent something that is not a message."""


class WireTimeout(WireError):
    """The other side did not read or answer before the deadline."""


def send(fd: int, obj: object) -> None:
    """Write one message; blocks until it is all written."""
    write_all(fd, frame(json.dumps(obj, separators=(",", ":")).encode("utf-8")))


def frame(body: bytes) -> bytes:
    return len(body).to_bytes(HEADER_SIZE, "big") + body


def recv(fd: int, deadline: float | None = None) -> object:
    """Read one message; raises WireError on EOF, garbage or (WireTimeout) the deadline."""
    size = int.from_bytes(read_exact(fd, HEADER_SIZE, deadline), "big")
    if size >= MAX_MESSAGE:
        raise WireError(f"message header announces {size} bytes")
    try:
        return json.loads(read_exact(fd, size, deadline))
    except ValueError as exc:
        raise WireError(f"undecodable message: {exc}") from None


def write_all(fd: int, data: bytes, deadline: float | None = None) -> None:
    """Write all of `data`; with a deadline (time.monotonic()), give up then (WireTimeout)."""
    view = memoryview(data)
    while view:
        if deadline is not None:
            _wait(fd, deadline, write=True)
        view = view[os.write(fd, view[: 1 << 16]):]


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks = []
    while n > 0:
        if deadline is not None:
            _wait(fd, deadline, write=False)
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise WireError("pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float, write: bool) -> None:
    readers, writers = ([], [fd]) if write else ([fd], [])
    ready = select.select(readers, writers, [], max(0.0, deadline - time.monotonic()))
    if not any(ready):
        raise WireTimeout("deadline passed")
