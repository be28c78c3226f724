"""One sha256 of a model's weights, recorded as config.json `model.weights_sha256`.

- a model folder (local, a hub snapshot, the embedded default's converted folder): the
  weights files' contents (WEIGHT_SUFFIXES), each hashed once and cached by (real path, size,
  mtime) under the cache root, so a 5 GB checkpoint costs its reading time once and a lookup after;
- a .gguf file: that file, the same way;
- a model object (the Python API): its state dict, tensor by tensor (names, dtypes, shapes, bytes).

Two folders with the same weights files (same names, same contents) have the same digest.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".h5", ".msgpack")
CACHE_FILE = "weights-sha256.json"
_CHUNK = 8 << 20
_lock = threading.Lock()


def folder_weights_sha256(folder: Path) -> str | None:
    """The digest of the weights files in `folder` (not its subfolders, which from_pretrained does not
    read either; None: it has none)."""
    files = sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES and p.is_file())
    if not files:
        return None
    return _combine([(p.relative_to(folder).as_posix(), p) for p in files])


def file_weights_sha256(path: Path) -> str:
    return _combine([(path.name, path)])


def state_dict_sha256(model: Any) -> str:
    """The digest of a model object's state dict, in name order."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}\t{data.dtype}\t{tuple(data.shape)}\n".encode())
        digest.update(data.reshape(-1).view(_byte_dtype()).numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()


def _byte_dtype() -> Any:
    import torch

    return torch.uint8


def _combine(named: list[tuple[str, Path]]) -> str:
    lines = "".join(f"{name}\t{path.stat().st_size}\t{cached_file_sha256(path)}\n" for name, path in named)
    return hashlib.sha256(lines.encode()).hexdigest()


def cached_file_sha256(path: Path) -> str:
    """sha256 of a file's contents, from the cache while its real path, size and mtime are unchanged."""
    real = os.path.realpath(path)  # a hub snapshot's files are links into its blob store
    stat = os.stat(real)
    key = f"{real}\t{stat.st_size}\t{stat.st_mtime_ns}"
    cache_path = _cache_path()
    with _lock:
        cached = _read_cache(cache_path).get(key)
    if isinstance(cached, str):
        return cached
    digest = hashlib.sha256()
    with open(real, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        cache = _read_cache(cache_path)
        cache[key] = value
        _write_cache(cache_path, cache)
    return value


def _cache_path() -> Path:
    from harness.generation.default_model import cache_root

    return cache_root() / CACHE_FILE


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, cache: dict[str, Any]) -> None:
    """Atomically (a crash never leaves half a cache); a cache that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".weights-sha256-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cache, f)
        os.replace(tmp, path)
    except OSError as error:
        logger.debug("weights digest cache %s not written: %s", path, error)
