"""The run folder's config record: written once, checked on resume."""
from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.config import ConfigError
from harness.storage import CONFIG_FILE, read_json, write_json_atomic

# Settings that change what a result means; a resumed run must match them exactly.
IDENTITY_KEYS = ("source", "dataset.fingerprint", "generation", "execution.limits", "comparator")
# Generation settings that change neither programs nor scores.
NON_IDENTITY_GENERATION = ("batch_size", "device")

COMPARATORS = {
    "default": "per line, trailing whitespace and trailing blank lines ignored; tokens in order; "
    "numbers equal within a small relative tolerance, integers exact",
    "apps": "the original APPS chain: stripped text, stripped lines, numbers (rel. 1e-5), "
    "then unordered token sets (rounded to 3 decimals)",
}


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("apps-eval", "torch", "transformers", "datasets", "numpy"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return found


def _lookup(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if dotted == "generation" and isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in NON_IDENTITY_GENERATION}
    return json.loads(json.dumps(value))  # as stored: tuples become lists


def open_run_folder(out: Path, record: dict[str, Any]) -> bool:
    """Create `out` with its config record, or check that it holds the same run. True if resuming."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create folder ({exc.strerror or exc})") from None
    path = out / CONFIG_FILE
    if not path.exists():
        write_json_atomic(path, {**record, "command_line": sys.argv[1:], "versions": versions()})
        return False
    stored = read_json(path)
    for key in IDENTITY_KEYS:
        old, new = _lookup(stored, key), _lookup(record, key)
        if old != new:
            raise ConfigError(
                f"--out {out} holds a run with different {key} ({_short(old)} vs now {_short(new)}); "
                "use another --out to start a new run"
            )
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def update_config(out: Path, **fields: Any) -> None:
    """Add facts learned during the run (e.g. the resolved model) to the config record."""
    path = out / CONFIG_FILE
    record = read_json(path)
    record.update(fields)
    write_json_atomic(path, record)
