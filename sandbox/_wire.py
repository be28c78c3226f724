"""Length-prefixed JSON messages over pipes: the only protocol between harness and workers.

Imported both as ``sandbox._wire`` (harness side) and as ``_wire`` (inside a worker,
which runs with ``python -I -S`` and puts this directory on its path). Stdlib only.
"""
from __future__ import annotations

import json
import os

HEADER_SIZE = 4  # big-endian length (no struct module: keeps the worker's mappings small)
MAX_MESSAGE = 1 << 31  # a sanity bound: a corrupt header must not make us allocate forever


class WireError(Exception):
    """The other side closed the pipe or sent something that is not a message."""


def send(fd: int, obj: object) -> None:
    """Write one message; blocks until it is all written."""
    body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    data = memoryview(frame(body))
    while data:
        n = os.write(fd, data)
        data = data[n:]


def frame(body: bytes) -> bytes:
    return len(body).to_bytes(HEADER_SIZE, "big") + body


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise WireError("pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(fd: int) -> object:
    """Read one message; raises WireError on EOF or garbage."""
    size = int.from_bytes(_read_exact(fd, HEADER_SIZE), "big")
    if size >= MAX_MESSAGE:
        raise WireError(f"message header announces {size} bytes")
    try:
        return json.loads(_read_exact(fd, size))
    except ValueError as exc:
        raise WireError(f"undecodable message: {exc}") from None
