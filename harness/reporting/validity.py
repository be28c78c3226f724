"""Dataset validity mask: which problems a run of the reference solutions shows to be sound.

A problem is invalid, for the first of these reasons that applies:
  * ``skipped``:               the loader left it out (e.g. it has no tests);
  * ``no_references``:         it has tests but no reference solution, so nothing shows the tests sound;
  * ``harness_error``:         every reference solution ended in a harness error, so nothing is known;
  * ``all_references_fail``:   no reference solution passes under the default comparison;
  * ``verdicts_disagree``:     for some reference solution the default and APPS-compatible
                               program verdicts differ (the problem's tests depend on comparison quirks).
Reference solutions that ended in a harness error are ignored by the last two rules.
Every other problem with a judged reference solution is valid. When a mask filters a
run, problems the mask does not know are excluded as ``not_in_mask``. The mask carries
the fingerprint of the problems it was made on; it filters only runs on the same ones.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from sandbox.records import Verdict

from harness.records import SampleResult
from harness.reporting.ordering import natural_sorted
from harness.errors import ConfigError, RunFolderError
from harness.storage import VALIDITY_FILE, read_json, write_json_atomic

FORMAT = "apps-eval-validity/2"  # /2: with the dataset fingerprint
SKIPPED = "skipped"
NO_REFERENCES = "no_references"
HARNESS_ERROR = "harness_error"
ALL_FAIL = "all_references_fail"
DISAGREE = "verdicts_disagree"
NOT_IN_MASK = "not_in_mask"
REASONS = (SKIPPED, NO_REFERENCES, HARNESS_ERROR, ALL_FAIL, DISAGREE, NOT_IN_MASK)


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str  # one of REASONS
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ValidityMask:
    valid: frozenset[str]
    invalid: Mapping[str, Invalid] = field(default_factory=dict)
    dataset_fingerprint: str = ""  # of the problems the reference solutions were judged on

    def is_valid(self, problem_id: str) -> bool:
        return problem_id in self.valid

    def why_excluded(self, problem_id: str) -> Invalid | None:
        """None for a valid problem; the recorded reason, or not_in_mask for an unknown one."""
        if problem_id in self.valid:
            return None
        return self.invalid.get(problem_id, Invalid(NOT_IN_MASK, "the validity mask does not list this problem"))

    def reason_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(i.reason for i in self.invalid.values()).items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "dataset_fingerprint": self.dataset_fingerprint,
            "valid": sorted(self.valid),
            "invalid": {pid: {"reason": i.reason, "detail": i.detail} for pid, i in sorted(self.invalid.items())},
            "counts": {"valid": len(self.valid), "invalid": len(self.invalid), **self.reason_counts()},
        }

    @classmethod
    def from_json(cls, obj: Any) -> "ValidityMask":
        """Raises ValueError naming what is wrong."""
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise ValueError(f"not a validity mask of this version (expected \"format\": \"{FORMAT}\"; "
                             "make it again with evaluate --solutions)")
        fingerprint = obj.get("dataset_fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise ValueError("\"dataset_fingerprint\" must be a non-empty string")
        valid, invalid = obj.get("valid"), obj.get("invalid")
        if not isinstance(valid, list) or not isinstance(invalid, dict):
            raise ValueError("\"valid\" must be a list and \"invalid\" an object")
        entries = {}
        for pid, entry in invalid.items():
            if not isinstance(entry, dict) or entry.get("reason") not in REASONS:
                raise ValueError(f"problem {pid}: \"reason\" must be one of {', '.join(REASONS)}")
            entries[str(pid)] = Invalid(entry["reason"], str(entry.get("detail", "")))
        overlap = set(map(str, valid)) & entries.keys()
        if overlap:
            raise ValueError(f"problem {min(overlap)} is listed both valid and invalid")
        return cls(frozenset(map(str, valid)), entries, fingerprint)

    def check_dataset(self, fingerprint: str, run: str) -> None:
        """Raises ConfigError unless the run was made on the problems this mask was made on."""
        if fingerprint != self.dataset_fingerprint:
            raise ConfigError(
                f"{run}: the validity mask was made on other problems (dataset fingerprint {self.dataset_fingerprint[:12]}, "
                f"the run's {fingerprint[:12]}); make the mask with evaluate --solutions and the run's --dataset and filters"
            )


def _judge_problem(rows: Sequence[SampleResult]) -> Invalid | None:
    judged = sorted((r for r in rows if r.verdict is not Verdict.HARNESS_ERROR), key=lambda r: r.sample_index)
    if not judged:
        return Invalid(HARNESS_ERROR, f"all {len(rows)} reference solutions ended in a harness error")
    passing = sum(r.verdict is Verdict.PASSED for r in judged)
    if passing == 0:
        verdicts = ", ".join(f"{v} {n}" for v, n in sorted(Counter(r.verdict.value for r in judged).items()))
        return Invalid(ALL_FAIL, f"0 of {len(judged)} reference solutions pass ({verdicts})")
    for r in judged:
        if r.verdict is not r.apps_verdict:
            return Invalid(DISAGREE, f"solution {r.sample_index}: default {r.verdict.value}, apps {r.apps_verdict.value}")
    return None


def validity_from_results(results: Sequence[SampleResult], skipped: Mapping[str, str], dataset_fingerprint: str,
                          without_references: Sequence[str] = ()) -> ValidityMask:
    """The mask of a run of the dataset's own reference solutions; skipped maps problem_id -> reason;
    without_references: selected problems (with tests) that have no reference solution to judge."""
    grouped: dict[str, list[SampleResult]] = defaultdict(list)
    for result in results:
        grouped[result.problem_id].append(result)
    invalid = {pid: Invalid(SKIPPED, reason) for pid, reason in skipped.items()}
    for pid in without_references:
        if pid not in grouped and pid not in invalid:
            invalid[pid] = Invalid(NO_REFERENCES, "the problem has tests but no reference solution")
    valid = set()
    for pid, rows in grouped.items():
        if pid in invalid:
            continue
        verdict = _judge_problem(rows)
        if verdict is None:
            valid.add(pid)
        else:
            invalid[pid] = verdict
    return ValidityMask(frozenset(valid), {pid: invalid[pid] for pid in natural_sorted(invalid)}, dataset_fingerprint)


def write_validity(path: Path, mask: ValidityMask) -> None:
    write_json_atomic(Path(path), mask.to_json())


def read_validity(path: Path) -> ValidityMask:
    """Raises RunFolderError (one line, naming the file) on a missing or malformed mask."""
    path = Path(path)
    try:
        return ValidityMask.from_json(read_json(path))
    except ValueError as exc:
        if isinstance(exc, RunFolderError):
            raise
        raise RunFolderError(f"{path}: {exc}") from None


def load_mask(spec: str | Path) -> ValidityMask:
    """--valid-only MASK: a validity.json file, or a run folder holding one."""
    path = Path(spec)
    if path.is_dir():
        if not (path / VALIDITY_FILE).is_file():
            raise RunFolderError(f"{path}: no {VALIDITY_FILE} in this folder (make one with evaluate --solutions)")
        path = path / VALIDITY_FILE
    return read_validity(path)


def apply_mask(results: Sequence[SampleResult], mask: ValidityMask | None,
               missing: Mapping[str, str] | None = None) -> tuple[list[SampleResult], dict[str, str], dict[str, Invalid]]:
    """The results and missing problems (id -> difficulty) of valid problems, and the excluded ones with their reasons."""
    missing = dict(missing or {})
    if mask is None:
        return list(results), missing, {}
    excluded = {}
    for pid in natural_sorted({r.problem_id for r in results} | missing.keys()):
        why = mask.why_excluded(pid)
        if why is not None:
            excluded[pid] = why
    kept_missing = {pid: d for pid, d in missing.items() if pid not in excluded}
    return [r for r in results if r.problem_id not in excluded], kept_missing, excluded


def exclusion_note(excluded: Mapping[str, Invalid]) -> str:
    """'12 problems excluded by the validity mask (all_references_fail 9, verdicts_disagree 3)'."""
    counts = Counter(i.reason for i in excluded.values())
    parts = ", ".join(f"{reason} {counts[reason]}" for reason in REASONS if counts[reason])
    noun = "problem" if len(excluded) == 1 else "problems"
    return f"{len(excluded)} {noun} excluded by the validity mask" + (f" ({parts})" if parts else "")
