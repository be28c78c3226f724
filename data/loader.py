"""Reading a dataset: select problems in one streaming pass, keep only what finds them again.

`open_dataset` reads the source once: each row's id, split and difficulty; each selected row is
normalised once, its content hashed (for the fingerprint) and counted, then dropped. What is kept
is a ProblemRef per problem (a few hundred bytes: id, difficulty, test count, where the row is),
so memory does not grow with the tests' size; `ProblemIndex.load` reads a problem again when it
is needed. `load_dataset` is the same with every problem in memory (small datasets, the API).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from data import apps, memory, sources
from data.ids import IdKey, IdResolver, colliding, qualified
from data.problem import DataError, Dataset, Difficulty, Problem, ProblemFormatError, SkippedProblem

DEFAULT_SAMPLE = Path(__file__).resolve().parent / "sample" / "apps_sample.jsonl"
SAMPLE_SPECS = (None, "", "sample")
FINGERPRINT_VERSION = "apps-eval/dataset/v2"


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


def problem_digest(problem: Problem, own: str) -> str:
    """sha256 hex of one problem's content (own id, difficulty, question, starter code, fn_name,
    tests), hashed piece by piece so that no copy of its tests is made."""
    head = {"problem_id": own, "difficulty": problem.difficulty.value, "question": problem.question,
            "starter_code": problem.starter_code, "fn_name": problem.fn_name}
    digest = hashlib.sha256(json.dumps(head, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    for test in problem.tests:
        for part in (test.kind.value, test.input, test.expected):
            digest.update(b"\0" + len(part).to_bytes(8, "big") + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def combine_digests(pairs: Iterable[tuple[str, str]]) -> str:
    """The dataset fingerprint of (own id, problem digest) pairs: independent of their order and of
    any file or folder name, different if any problem's content or own id changes."""
    text = "\n".join(f"{own}\t{digest}" for own, digest in sorted(pairs))
    return hashlib.sha256(f"{FINGERPRINT_VERSION}\n{text}".encode("utf-8")).hexdigest()


def fingerprint(problems: Iterable[Problem]) -> str:
    """The fingerprint of problems held in memory, their ids being their own ids."""
    return combine_digests((p.problem_id, problem_digest(p, p.problem_id)) for p in problems)


@dataclass(frozen=True, slots=True)
class ProblemRef:
    """What the harness keeps of a selected problem: its ids, difficulty, size and where its row is."""

    problem_id: str  # the id in the run (data/ids.py)
    own_id: str
    split: str | None
    difficulty: Difficulty
    tests: int
    test_bytes: int  # characters of its tests' inputs and expected outputs: what holding it costs
    solutions: int
    digest: str
    locator: tuple

    @property
    def key(self) -> IdKey:
        return IdKey(self.problem_id, self.own_id, self.split)


@dataclass(frozen=True, slots=True)
class ProblemIndex:
    """The problems of a run without their contents: the fingerprint, refs in source order, what
    was left out. `load` reads one problem again (and checks it is still the one fingerprinted)."""

    source: str
    fingerprint: str
    refs: tuple[ProblemRef, ...]
    skipped: tuple[SkippedProblem, ...] = ()
    skipped_keys: tuple[IdKey, ...] = ()

    def __len__(self) -> int:
        return len(self.refs)

    def by_id(self) -> dict[str, ProblemRef]:
        return {r.problem_id: r for r in self.refs}

    def resolver(self) -> IdResolver:
        """Finds selected (and skipped) problems by any id form data/ids.py accepts."""
        return IdResolver([r.key for r in self.refs] + list(self.skipped_keys), self.source)

    def load(self, ref: ProblemRef) -> Problem:
        row = sources.read_row(ref.locator)
        try:
            apps.check_required_fields(row)
            problem = apps.row_to_problem(row, ref.problem_id, ref.difficulty)
        except ProblemFormatError as error:
            raise DataError(f"{error} (the dataset changed during the run)") from None
        if not isinstance(problem, Problem) or problem_digest(problem, ref.own_id) != ref.digest:
            raise DataError(f"problem {ref.problem_id} ({row.where}) changed since the run started "
                            f"(dataset fingerprint {self.fingerprint[:12]}); restore the data or start a new run")
        return problem

    def solutions(self, ref: ProblemRef) -> tuple[str, ...]:
        """A problem's reference solutions, read again (its tests are not decoded)."""
        row = sources.read_row(ref.locator)
        return apps.decode_solutions(row.fields.get("solutions"), f"problem {ref.problem_id} ({row.where})")

    def problems(self) -> Iterator[Problem]:
        """Every selected problem in source order, one at a time."""
        for ref in self.refs:
            yield self.load(ref)

    def light_problems(self) -> "LightProblems":
        """Every selected problem without its tests and solutions (what a prompt needs), read as iterated."""
        return LightProblems(self)


class LightProblems:
    """The selected problems without tests and solutions, in source order, each read when iteration
    reaches it (and dropped by the reader when done with it): `run` builds prompts as it goes."""

    def __init__(self, index: ProblemIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return len(self._index.refs)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.problem_id for r in self._index.refs)

    def __iter__(self) -> Iterator[Problem]:
        for problem in self._index.problems():
            yield Problem(problem.problem_id, problem.difficulty, problem.question, problem.starter_code,
                          problem.fn_name, (), (), problem.url)


BAD_ROW = "bad row"


@dataclass(slots=True)
class _Header:
    row_where: str
    locator: tuple
    own: str
    split: str | None
    difficulty: Difficulty
    problem_id: str = ""
    outcome: object = None  # (digest, tests) once normalised, a SkippedProblem reason, or a ProblemFormatError


class _BadRows:
    """Rows that cannot become a Problem: raised at once, or (skip_bad_rows) kept as SkippedProblems."""

    def __init__(self, skip: bool) -> None:
        self.skip = skip
        self.skipped: list[SkippedProblem] = []

    def handle(self, error: ProblemFormatError, row_where: str, problem_id: str) -> None:
        if not self.skip:
            raise error
        self.skipped.append(SkippedProblem(problem_id, f"{BAD_ROW} ({row_where}): {error.reason}"))

    @staticmethod
    def best_id(row: apps.RawRow) -> str:
        """The row's own id if it has a usable one, else where it is."""
        raw_id = row.fields.get("problem_id") if isinstance(row.fields, dict) else None
        try:
            return apps.problem_id_for(raw_id, row.where)
        except DataError:
            return row.where


class _Seen:
    """Own ids per split: a duplicate within a split (or with no split known) is an error."""

    def __init__(self) -> None:
        self.splits: dict[str, dict[str | None, str]] = {}

    def add(self, own: str, split: str | None, where: str) -> None:
        here = self.splits.setdefault(own, {})
        clash = here.get(split) or (here.get(None) if split is not None else next(iter(here.values()), None))
        if clash is not None:
            raise ProblemFormatError(where, f"duplicate problem id {own!r} (first at {clash})")
        here[split] = where


def _header(row: apps.RawRow, split: str | None, seen: _Seen) -> _Header | None:
    """The row's header, None for a row of another split."""
    apps.check_required_fields(row)
    row_split = apps.split_of(row)
    if split is not None and row_split is not None and row_split != split:
        return None
    row_split = row_split or split
    own = apps.problem_id_for(row.fields["problem_id"], apps.row_label(row))
    difficulty = apps.parse_difficulty(row.fields["difficulty"], f"problem {own} ({row.where})")
    seen.add(own, row_split, row.where)
    return _Header(row.where, row.locator, own, row_split, difficulty)


def _normalise(header: _Header, row: apps.RawRow) -> None:
    """Read the row's problem once: keep its digest and test count (or why it is left out)."""
    try:
        item = apps.row_to_problem(row, header.own, header.difficulty)
    except ProblemFormatError as error:
        header.outcome = error
        return
    if isinstance(item, SkippedProblem):
        header.outcome = item.reason
    else:
        size = sum(len(t.input) + len(t.expected) for t in item.tests)
        header.outcome = (problem_digest(item, header.own), len(item.tests), size, len(item.solutions))


def _open(spec: str | None, split: str | None) -> tuple[str, Iterator[apps.RawRow], frozenset[str] | None]:
    if spec in SAMPLE_SPECS:
        return "sample", sources.iter_jsonl(DEFAULT_SAMPLE), frozenset()
    label, rows = sources.open_source(str(spec), split)
    return label, rows, sources.source_splits(str(spec), split)


def _scan(rows: Iterator[apps.RawRow], split: str | None, bad: _BadRows, *, eager: bool, limit: int | None,
          difficulties: frozenset[Difficulty], may_collide: bool) -> list[_Header]:
    """Every row's header in source order; with `eager`, the rows the filters select are normalised
    as they pass. Past `limit`, headers are still read where ids could collide across splits."""
    headers: list[_Header] = []
    seen = _Seen()
    selected = 0
    for row in rows:
        try:
            header = _header(row, split, seen)
        except ProblemFormatError as error:
            bad.handle(error, row.where, bad.best_id(row))
            continue
        if header is None:
            continue
        headers.append(header)
        if not eager or (difficulties and header.difficulty not in difficulties):
            continue
        if limit is not None and selected >= limit:
            if not may_collide:
                break
            continue
        _normalise(header, row)
        selected += 1
    ids = colliding({own: set(s) for own, s in seen.splits.items()})
    for header in headers:
        header.problem_id = qualified(header.split, header.own) if header.own in ids and header.split else header.own
    return headers


def _wanted(headers: list[_Header], bad: _BadRows, given: frozenset[str], where: str) -> set[str]:
    """The run ids `--problems` names, by any accepted form; unknown or ambiguous ids are refused."""
    resolver = IdResolver([IdKey(h.problem_id, h.own, h.split) for h in headers]
                          + [IdKey(s.problem_id, s.problem_id, None) for s in bad.skipped], where)
    wanted, unknown = set(), []
    for text in sorted(given):
        try:
            found = resolver.resolve(text)
        except LookupError as error:
            raise DataError(str(error)) from None
        if found is None:
            unknown.append(text)
        else:
            wanted.add(found)
    if unknown:
        raise DataError(resolver.unknown(unknown))
    return wanted


def problem_order(spec: str | None = None, *, split: str | None = None) -> list[str | None]:
    """The problem id of every row of the split, in source order; None for a row without a
    usable id or difficulty. Positional programs files (the APPS repository's index keys,
    bigcode-evaluation-harness's lists) index into this. Rows of several splits without a
    split chosen are an error: positions would be ambiguous."""
    split = split.strip() if split and split.strip() else None
    label, rows, _ = _open(spec, split)
    order: list[str | None] = []
    seen = _Seen()
    splits: set[str] = set()
    headers: list[_Header | None] = []
    for row in rows:
        try:
            header = _header(row, split, seen)
        except ProblemFormatError:
            headers.append(None)
            continue
        if header is not None:
            headers.append(header)
            splits.add(header.split or "")
    if len(splits - {""}) > 1:
        raise DataError(f"{label} holds the splits {', '.join(sorted(splits - {''}))}: choose one (--split) for positional programs")
    for header in headers:
        order.append(None if header is None else header.own)
    return order


def open_dataset(
    spec: str | None = None,
    *,
    split: str | None = None,
    difficulties: Sequence[str] = (),
    limit: int | None = None,
    problem_ids: Sequence[str] = (),
    skip_bad_rows: bool = False,
) -> ProblemIndex:
    """Select APPS problems from the bundled sample (spec None or "sample"), a .jsonl/.parquet
    file, a folder (original APPS layout or data files) or a hub dataset id, in one streaming pass.

    Filters apply in this order: split (rows whose split is known and different are dropped;
    rows with no known split, like the sample's, are kept), problem_ids (a string is read as
    "id,id,..."; any id form data/ids.py accepts), difficulties, then limit (the first `limit`
    problems left). Problems without tests go to `skipped`, never to `refs`. Every data fault
    raises DataError with a one-line message; a row that cannot become a problem raises
    ProblemFormatError naming its id (when it has one) and its file and line, or with
    skip_bad_rows goes to `skipped` with that message as its reason.
    """
    if isinstance(difficulties, str):
        difficulties = [difficulties]
    if isinstance(problem_ids, str):
        problem_ids = problem_ids.split(",")
    chosen = parse_difficulties(difficulties)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise DataError(f"limit must be a non-negative integer, got {limit!r}")
    given = frozenset(str(i).strip() for i in problem_ids if str(i).strip())
    split = split.strip() if split and split.strip() else None
    memory.big_blocks_in_own_mappings()  # rows of megabytes come and go from here on
    label, rows, splits = _open(spec, split)
    bad = _BadRows(skip_bad_rows)
    may_collide = splits is None or len(splits) > 1
    headers = _scan(rows, split, bad, eager=not given, limit=limit, difficulties=chosen, may_collide=may_collide)
    bad_skipped = list(bad.skipped)
    if given:
        where = label + (f" (split {split})" if split else "")
        wanted = _wanted(headers, bad, given, where)
        bad_skipped = [s for s in bad_skipped if s.problem_id in wanted]
        selected = 0
        for header in headers:
            if header.problem_id not in wanted or (chosen and header.difficulty not in chosen):
                continue
            if limit is not None and selected >= limit:
                break
            _normalise(header, sources.read_row(header.locator))
            selected += 1
    refs, skipped, skipped_keys = [], [], []
    for header in headers:
        outcome = header.outcome
        if outcome is None:
            continue
        key = IdKey(header.problem_id, header.own, header.split)
        if isinstance(outcome, ProblemFormatError):
            bad.handle(outcome, header.row_where, header.problem_id)
            skipped.append(bad.skipped[-1])
            skipped_keys.append(key)
        elif isinstance(outcome, str):
            skipped.append(SkippedProblem(header.problem_id, outcome))
            skipped_keys.append(key)
        else:
            digest, tests, size, solutions = outcome
            refs.append(ProblemRef(header.problem_id, header.own, header.split, header.difficulty, tests, size, solutions,
                                   digest, header.locator))
    skipped += bad_skipped
    skipped_keys += [IdKey(s.problem_id, s.problem_id, None) for s in bad_skipped]
    return ProblemIndex(
        source=label,
        fingerprint=combine_digests((r.own_id, r.digest) for r in refs),
        refs=tuple(refs),
        skipped=tuple(skipped),
        skipped_keys=tuple(skipped_keys),
    )


def load_dataset(spec: str | None = None, **filters) -> Dataset:
    """open_dataset with every selected problem read into memory (small datasets, tests, the API)."""
    index = open_dataset(spec, **filters)
    return Dataset(source=index.source, fingerprint=index.fingerprint, problems=tuple(index.problems()),
                   skipped=index.skipped)
