"""load_dataset: read a source, select problems, normalise them once, fingerprint the selection."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from data import apps, sources
from data.problem import DataError, Dataset, Difficulty, Problem, ProblemFormatError, SkippedProblem

DEFAULT_SAMPLE = Path(__file__).resolve().parent / "sample" / "apps_sample.jsonl"
SAMPLE_SPECS = (None, "", "sample")
FINGERPRINT_VERSION = "apps-eval/dataset/v1"


def parse_difficulties(names: Iterable[str]) -> frozenset[Difficulty]:
    """Validated difficulty filter; an unknown name raises DataError listing the valid ones."""
    chosen = set()
    for name in names:
        try:
            chosen.add(Difficulty(str(name).strip().lower()))
        except ValueError:
            valid = ", ".join(d.value for d in Difficulty)
            raise DataError(f"unknown difficulty {name!r} (valid: {valid})") from None
    return frozenset(chosen)


def fingerprint(problems: Iterable[Problem]) -> str:
    """sha256 hex of a canonical JSON of the problems (ids, difficulty, question, starter code,
    fn_name, tests), sorted by id: the same on every machine, different if any test changes."""
    payload = [
        {
            "problem_id": p.problem_id,
            "difficulty": p.difficulty.value,
            "question": p.question,
            "starter_code": p.starter_code,
            "fn_name": p.fn_name,
            "tests": [[t.kind.value, t.input, t.expected] for t in p.tests],
        }
        for p in sorted(problems, key=lambda p: p.problem_id)
    ]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{FINGERPRINT_VERSION}\n{text}".encode("utf-8")).hexdigest()


BAD_ROW = "bad row"


class _BadRows:
    """Rows that cannot become a Problem: raised at once, or (skip_bad_rows) kept as SkippedProblems."""

    def __init__(self, skip: bool, split: str | None) -> None:
        self.skip, self.split = skip, split
        self.skipped: list[SkippedProblem] = []

    def handle(self, error: ProblemFormatError, row: apps.RawRow, problem_id: str | None = None) -> None:
        if not self.skip:
            raise error
        self.skipped.append(SkippedProblem(problem_id or self._best_id(row), f"{BAD_ROW} ({row.where}): {error.reason}"))

    def _best_id(self, row: apps.RawRow) -> str:
        """The row's problem id if it has a usable one, else where it is."""
        raw_id = row.fields.get("problem_id") if isinstance(row.fields, dict) else None
        try:
            return apps.problem_id_for(raw_id, apps.split_of(row) or self.split, row.where)
        except DataError:
            return row.where


def _header(row: apps.RawRow, split: str | None, seen: dict[str, str]) -> tuple[str, Difficulty] | None:
    """(problem id, difficulty) of a row of the requested split, None for another split."""
    apps.check_required_fields(row)
    row_split = apps.split_of(row)
    if split is not None and row_split is not None and row_split != split:
        return None
    problem_id = apps.problem_id_for(row.fields["problem_id"], row_split or split, apps.row_label(row))
    if problem_id in seen:
        raise ProblemFormatError(row.where, f"duplicate problem id {problem_id!r} (first at {seen[problem_id]})")
    difficulty = apps.parse_difficulty(row.fields["difficulty"], f"problem {problem_id} ({row.where})")
    seen[problem_id] = row.where
    return problem_id, difficulty


def _headers(
    rows: Iterator[apps.RawRow], split: str | None, bad: _BadRows
) -> Iterator[tuple[apps.RawRow, str, Difficulty]]:
    """(row, problem id, difficulty) for each row of the requested split; bad rows go to `bad`."""
    seen: dict[str, str] = {}
    for row in rows:
        try:
            header = _header(row, split, seen)
        except ProblemFormatError as error:
            bad.handle(error, row)
            continue
        if header is not None:
            yield (row, *header)


def _select(
    rows: Iterator[apps.RawRow],
    split: str | None,
    difficulties: frozenset[Difficulty],
    wanted_ids: frozenset[str],
    limit: int | None,
    bad: _BadRows,
) -> tuple[list[Problem], list[SkippedProblem], set[str]]:
    """Filter in source order; normalise only what is selected; stop early once `limit` is met."""
    problems: list[Problem] = []
    skipped: list[SkippedProblem] = []
    found: set[str] = set()
    for row, problem_id, difficulty in _headers(rows, split, bad):
        full = limit is not None and len(problems) >= limit
        if full and not wanted_ids:
            break
        if wanted_ids:
            if problem_id not in wanted_ids:
                continue
            found.add(problem_id)
        if full or (difficulties and difficulty not in difficulties):
            continue
        try:
            item = apps.row_to_problem(row, problem_id, difficulty)
        except ProblemFormatError as error:
            bad.handle(error, row, problem_id)
            continue
        (problems if isinstance(item, Problem) else skipped).append(item)
    return problems, skipped, found


def problem_order(spec: str | None = None, *, split: str | None = None) -> list[str | None]:
    """The problem id of every row of the split, in source order; None for a row without a
    usable id or difficulty. Positional programs files (the APPS repository's index keys,
    bigcode-evaluation-harness's lists) index into this. Rows of several splits without a
    split chosen are an error: positions would be ambiguous."""
    split = split.strip() if split and split.strip() else None
    label, rows = ("sample", sources.iter_jsonl(DEFAULT_SAMPLE)) if spec in SAMPLE_SPECS else sources.open_source(str(spec), split)
    order: list[str | None] = []
    seen: dict[str, str] = {}
    splits: set[str] = set()
    for row in rows:
        try:
            header = _header(row, split, seen)
        except ProblemFormatError:
            order.append(None)
            continue
        if header is not None:
            order.append(header[0])
            splits.add(apps.split_of(row) or "")
    if len(splits - {""}) > 1:
        raise DataError(f"{label} holds the splits {', '.join(sorted(splits - {''}))}: choose one (--split) for positional programs")
    return order


def load_dataset(
    spec: str | None = None,
    *,
    split: str | None = None,
    difficulties: Sequence[str] = (),
    limit: int | None = None,
    problem_ids: Sequence[str] = (),
    skip_bad_rows: bool = False,
) -> Dataset:
    """Load APPS problems from the bundled sample (spec None or "sample"), a .jsonl/.parquet
    file, a folder (original APPS layout or data files) or a hub dataset id.

    Filters apply in this order: split (rows whose split is known and different are dropped;
    rows with no known split, like the sample's, are kept), problem_ids (a string is read as
    "id,id,..."), difficulties, then limit (the first `limit` problems left). Problems without
    tests go to Dataset.skipped, never to Dataset.problems. Every data fault raises DataError
    with a one-line message; a row that cannot become a problem raises ProblemFormatError
    naming its id (when it has one) and its file and line, or with skip_bad_rows goes to
    Dataset.skipped with that message as its reason. Problem ids follow the rule in data/apps.py.
    """
    if isinstance(difficulties, str):
        difficulties = [difficulties]
    if isinstance(problem_ids, str):
        problem_ids = problem_ids.split(",")
    chosen = parse_difficulties(difficulties)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise DataError(f"limit must be a non-negative integer, got {limit!r}")
    wanted_ids = frozenset(str(i).strip() for i in problem_ids if str(i).strip())
    split = split.strip() if split and split.strip() else None
    if spec in SAMPLE_SPECS:
        label, rows = "sample", sources.iter_jsonl(DEFAULT_SAMPLE)
    else:
        label, rows = sources.open_source(str(spec), split)
    bad = _BadRows(skip_bad_rows, split)
    problems, skipped, found = _select(rows, split, chosen, wanted_ids, limit, bad)
    bad_rows = [s for s in bad.skipped if not wanted_ids or s.problem_id in wanted_ids]
    found |= {s.problem_id for s in bad_rows}
    skipped += bad_rows
    unknown = sorted(wanted_ids - found)
    if unknown:
        where = f"{label}" + (f" (split {split})" if split else "")
        raise DataError(f"unknown problem id(s) {', '.join(map(repr, unknown))} in {where}")
    return Dataset(
        source=label,
        fingerprint=fingerprint(problems),
        problems=tuple(problems),
        skipped=tuple(skipped),
    )
