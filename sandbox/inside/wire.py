"""Length-prefixed messages over pipes, with deadlines; what they contain is protocol.py's.

Imported both as ``sandbox.inside.wire`` (harness side) and as ``wire`` (inside a worker,
which runs by path and puts this directory on its path). Stdlib only.
"""
from __future__ import annotations

import os
import select
import time

HEADER_SIZE = 4  # big-endian length (no struct module: keeps the worker's mappings small)
MAX_MESSAGE = 1 << 31  # a sanity bound: a corrupt header must not make us allocate forever


class WireError(Exception):
    """The other side closed the pipe or sent something that is not a message."""


class WireTimeout(WireError):
    """The other side did not read or answer before the deadline."""


def send(fd: int, body: bytes, deadline: float | None = None) -> None:
    """Write one message; blocks until it is all written (or, with a deadline, WireTimeout)."""
    write_all(fd, frame(body), deadline)


def frame(body: bytes) -> bytes:
    return len(body).to_bytes(HEADER_SIZE, "big") + body


def recv(fd: int, deadline: float | None = None, max_bytes: int = MAX_MESSAGE) -> bytes:
    """Read one message's bytes; WireError on EOF or an oversized header, WireTimeout at the deadline."""
    size = int.from_bytes(read_exact(fd, HEADER_SIZE, deadline), "big")
    if size > max_bytes:
        raise WireError(f"message header announces {size} bytes, more than {max_bytes}")
    return read_exact(fd, size, deadline)


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
    # poll, not select: select() cannot watch a descriptor numbered 1024 or above (many workers).
    poller = select.poll()
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    if not poller.poll(max(0, int((deadline - time.monotonic()) * 1000) + 1)):  # ms, rounded up
        raise WireTimeout("deadline passed")
