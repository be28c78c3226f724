"""config.json files of earlier schemas, read as the current schema (run_record.SCHEMA).

UPGRADES maps a schema (None: the untyped config.json written before schemas, by apps-eval
up to commit f64f5d3) to a function that turns such a record into one of the next schema
(NEXT); RunRecord.from_json applies them in turn, in memory, so `report` and `compare` read
old run folders with defaults for what they lack. The file itself is never rewritten:
resuming such a folder is refused (its settings differ from the current ones).

To add a schema: write the step from the schema before it, register it in UPGRADES and NEXT.
"""
from __future__ import annotations

from typing import Any, Callable

from harness.record_codec import RecordError

LEGACY = None  # no "schema" key


def _legacy_to_1(obj: dict[str, Any]) -> dict[str, Any]:
    """The untyped config.json: flat generation settings, "source", "comparator", the model as a loose dict."""
    from harness.record_codec import encode
    from harness.run_record import IsolationRecord, ModelRecord

    if not isinstance(obj.get("source"), str) or not isinstance(obj.get("dataset"), dict):
        raise RecordError("schema None is not a known schema, and the record is not an untyped config.json of "
                          "the legacy schema either (no \"source\" or \"dataset\")")
    source = obj["source"]
    dataset = dict(obj.get("dataset") or {})
    gen = obj.get("generation")
    out: dict[str, Any] = {
        "command": obj.get("command"),
        "programs": {
            "source": source if source in ("generated", "solutions") else "generations-file",
            "path": obj.get("programs"), "format": obj.get("programs_format"),
        },
        "dataset": {k: dataset[k] for k in ("spec", "fingerprint", "problems", "split", "difficulties", "limit",
                                            "problem_ids", "skipped", "skip_bad_rows") if k in dataset},
        "command_line": obj.get("command_line") or [],
        "versions": obj.get("versions") or {},
        "upgraded_from": "legacy",
    }
    if isinstance(gen, dict):
        decoding = ("n_samples", "max_new_tokens", "temperature", "top_p", "num_beams", "seed", "stop")
        out["generation"] = {
            **{k: gen.get(k) for k in ("model", "revision", "dtype", "device", "batch_size")},
            "template": {"name": gen.get("template"), "text": gen.get("template_text")},
            "decoding": {k: gen.get(k) for k in decoding},
        }
    if isinstance(obj.get("model"), dict):
        out["model"] = encode(ModelRecord.from_resolved(obj["model"]))
    if isinstance(obj.get("execution"), dict):
        out["execution"] = obj["execution"]
    if isinstance(obj.get("comparator"), dict):
        out["comparators"] = obj["comparator"]
    if isinstance(obj.get("isolation"), dict):
        out["isolation"] = encode(IsolationRecord.from_sandbox(obj["isolation"]))
    if isinstance(obj.get("sandbox"), dict):
        out["sandbox"] = obj["sandbox"]
    return out


UPGRADES: dict[str | None, Callable[[dict[str, Any]], dict[str, Any]]] = {LEGACY: _legacy_to_1}
NEXT: dict[str | None, str] = {LEGACY: "apps-eval-run/1"}


def upgraded(obj: Any, current: str) -> dict[str, Any]:
    """`obj` as a record of schema `current`; RecordError (one line) for an unknown schema."""
    if not isinstance(obj, dict):
        raise RecordError(f"config: expected an object, got {type(obj).__name__}")
    schema = obj.get("schema")
    seen = set()
    while schema != current:
        if schema not in UPGRADES or schema in seen:
            known = ", ".join(repr(s) for s in [*UPGRADES, current])
            raise RecordError(f"schema {schema!r} is not one this apps-eval reads ({known}): written by a newer version?")
        seen.add(schema)
        obj = {**UPGRADES[schema](obj), "schema": NEXT[schema]}
        schema = obj["schema"]
    return obj
