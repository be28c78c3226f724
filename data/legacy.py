"""Run folders written before problem ids were the dataset's own ids: their ids and fingerprints.

Until issue 21, an integer id whose split was known (a `split` column, a file or folder named
after its split, `--split`) became "<split>-NNNN" ("test-0042"), and the dataset fingerprint
(`apps-eval/dataset/v1`) was the sha256 of one JSON list of the problems sorted by those ids.
Both are recomputed here from a ProblemIndex, one problem in memory at a time, so that a folder
of that time can be recognised (same data) and its ids mapped to today's (data/ids.py).
"""
from __future__ import annotations

import hashlib
import json
from typing import Iterable

from data.loader import ProblemIndex, ProblemRef

LEGACY_FINGERPRINT_VERSION = "apps-eval/dataset/v1"


def legacy_id(ref: ProblemRef) -> str:
    """The id the problem had before the rule: "test-0042" for an integer id of a known split."""
    if ref.own_id.isdigit() and ref.split:
        return f"{ref.split}-{int(ref.own_id):04d}"
    return ref.own_id


def legacy_ids(index: ProblemIndex) -> dict[str, str]:
    """Earlier id -> today's id, for every selected problem."""
    return {legacy_id(ref): ref.problem_id for ref in index.refs}


def legacy_fingerprint(index: ProblemIndex, refs: Iterable[ProblemRef] | None = None) -> str:
    """The v1 fingerprint of the selection: what config.json of that time holds for the same data."""
    ordered = sorted(index.refs if refs is None else refs, key=legacy_id)
    digest = hashlib.sha256(f"{LEGACY_FINGERPRINT_VERSION}\n[".encode("utf-8"))
    for position, ref in enumerate(ordered):
        problem = index.load(ref)
        item = {
            "problem_id": legacy_id(ref),
            "difficulty": problem.difficulty.value,
            "question": problem.question,
            "starter_code": problem.starter_code,
            "fn_name": problem.fn_name,
            "tests": [[t.kind.value, t.input, t.expected] for t in problem.tests],
        }
        text = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update((("," if position else "") + text).encode("utf-8"))
    digest.update(b"]")
    return digest.hexdigest()
