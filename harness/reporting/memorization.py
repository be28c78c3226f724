"""How close each sample is to its problem's reference solutions: a memorization signal.

A model fine-tuned on a split (e.g. `gpt-neo-1.3B-apps-all`, trained on APPS test too) can
reproduce that split's reference solutions; its scores there measure recall, not skill.

Per sample (results.jsonl "reference_similarity"): the best, over the problem's reference
solutions, of difflib.SequenceMatcher's ratio (2 * matched / total tokens, autojunk off)
between the two programs' *normalized token sequences*, with the index of that reference.
Normalizing (stdlib tokenize) drops comments, docstrings and layout (newlines, indentation)
and alpha-renames: every name that is not a keyword or an unshadowed builtin (one the program
does not bind itself), and not an attribute after ".", becomes a placeholder numbered in order
of first appearance, `_` included. A consistently
renamed copy (any names, `_` too) with other comments and layout is therefore the same
sequence and scores 1.0. A program that does not tokenize to the end keeps the tokens before
the error.

A sample is a *copy* when its similarity is at least COPY_THRESHOLD (0.9) and it has at least
MIN_COPY_TOKENS (40) normalized tokens. Short programs are not judged: a wrong variant of a short
reference (`x, y = map(int, input().split())` then `print(x - y)` for one printing `a + b`)
differs in one token of twenty and scores 0.95. Against the reference solutions of *other*
problems (bench/memorization_calibration.py) programs reach at most 0.82 at any length on the
bundled sample and 0.75 at 40-99 tokens on ../shared/apps-real (apart from a text that occurs
verbatim under two problem ids), so chance alone stays below the threshold.
"""
from __future__ import annotations

import ast
import builtins
import difflib
import io
import keyword
import tokenize
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Protocol, Sequence

COPY_THRESHOLD = 0.9
MIN_COPY_TOKENS = 40
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.ENCODING}
# `_` is a soft keyword and, in an interactive interpreter, a builtin: a name like any other here.
_KEPT_NAMES = (set(keyword.kwlist) | set(dir(builtins))) - {"_"}


@dataclass(frozen=True, slots=True)
class ReferenceMatch:
    """One sample's nearest reference solution: results.jsonl "reference_similarity"."""

    score: float  # similarity in [0, 1]
    reference_index: int  # index into the problem's reference solutions
    tokens: int  # the sample's normalized length (the copy rule's minimum applies to it)

    @property
    def copy(self) -> bool:
        return is_copy(self.score, self.tokens)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "ReferenceMatch":
        return cls(score=float(row["score"]), reference_index=int(row["reference_index"]), tokens=int(row.get("tokens", 0)))


def is_copy(score: float, tokens: int) -> bool:
    return score >= COPY_THRESHOLD and tokens >= MIN_COPY_TOKENS


@dataclass(frozen=True, slots=True)
class ReferenceSimilarity:
    """One bucket's memorization figures: summary.json "<bucket>.reference_similarity"."""

    samples: int  # judged samples whose problem has reference solutions (the others have no value)
    mean: float
    copy_rate: float  # fraction of those samples that are copies (is_copy)
    threshold: float = COPY_THRESHOLD
    min_tokens: int = MIN_COPY_TOKENS
    # strict accuracy over the bucket's problems with every copy counted as a failure (None in older summaries)
    strict_accuracy_excluding_copies: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "ReferenceSimilarity":
        return cls(**row)


def _raw_tokens(code: str) -> list[tokenize.TokenInfo]:
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            tokens.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        pass  # keep what tokenized before the error
    return tokens


def _bound_builtins(code: str) -> set[str]:
    """Builtin names the program binds itself (`input = sys.stdin.readline`, `def max(...)`): names like any other.

    Empty when the program does not parse (e.g. Python 2): its builtins are then kept as written."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound & _KEPT_NAMES - set(keyword.kwlist)


def normalized_tokens(code: str) -> tuple[str, ...]:
    """The program's tokens without comments, docstrings and layout, other names numbered in order."""
    raw = _raw_tokens(code)
    kept = _KEPT_NAMES - _bound_builtins(code)
    names: dict[str, str] = {}
    out: list[str] = []
    previous_type, previous_text = tokenize.NEWLINE, ""
    for i, token in enumerate(raw):
        kind, text = token.type, token.string
        if kind in _LAYOUT:
            previous_type, previous_text = kind, text
            continue
        if kind == tokenize.STRING and previous_type in _STATEMENT_START:
            following = raw[i + 1].type if i + 1 < len(raw) else tokenize.ENDMARKER
            if following in (tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.NL):
                previous_type, previous_text = kind, text
                continue  # a docstring (or any bare string statement)
        if kind == tokenize.NAME and text not in kept and previous_text != ".":
            text = names.setdefault(text, f"_{len(names)}")
        out.append(text)
        previous_type, previous_text = kind, token.string
    return tuple(out)


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """SequenceMatcher ratio of two normalized token sequences (1.0 for two empty ones)."""
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def best_similarity(code: str, references: Iterable[str]) -> float | None:
    """The highest similarity of `code` to any reference; None without references."""
    match = best_match(code, references)
    return None if match is None else match.score


def best_match(code: str, references: Iterable[str]) -> ReferenceMatch | None:
    """The nearest reference (lowest index on ties) and its similarity; None without references."""
    return _best(normalized_tokens(code), [normalized_tokens(r) for r in references])


def _best(sample: Sequence[str], references: Sequence[Sequence[str]]) -> ReferenceMatch | None:
    best: float | None = None
    index = -1
    for i, tokens in enumerate(references):
        if not sample and not tokens:
            best, index = 1.0, i
            break
        matcher = difflib.SequenceMatcher(None, sample, tokens, autojunk=False)
        if best is not None and (matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best):
            continue  # cannot beat the best so far
        score = matcher.ratio()
        if best is None or score > best:
            best, index = score, i
        if best >= 1.0:
            break
    return None if best is None else ReferenceMatch(round(best, 6), index, len(sample))


class _Candidate(Protocol):
    problem_id: str
    code: str


class _Problem(Protocol):
    solutions: Sequence[str]


class ReferenceIndex:
    """Finds each program's nearest reference solution of its problem.

    Each problem's references are tokenized once, and a program text seen before for the same
    problem (samples often repeat) reuses its match: the same values, without the repeated work."""

    def __init__(self, problems: Mapping[str, _Problem]) -> None:
        self._problems = problems
        self._references: dict[str, list[tuple[str, ...]]] = {}
        self._seen: dict[tuple[str, str], ReferenceMatch | None] = {}

    def match(self, candidate: _Candidate) -> ReferenceMatch | None:
        pid = candidate.problem_id
        if pid not in self._references:
            problem = self._problems.get(pid)
            self._references[pid] = [normalized_tokens(r) for r in (problem.solutions if problem is not None else ())]
        key = (pid, candidate.code)
        if key not in self._seen:
            self._seen[key] = _best(normalized_tokens(candidate.code), self._references[pid])
        return self._seen[key]


class _Scored(Protocol):
    reference_similarity: ReferenceMatch | None


def bucket_similarity(rows: Iterable[_Scored], strict_excluding_copies: float | None = None) -> ReferenceSimilarity | None:
    """The bucket record of some judged samples (those without a match left out); None if none has one."""
    known = [r.reference_similarity for r in rows if r.reference_similarity is not None]
    if not known:
        return None
    return ReferenceSimilarity(
        samples=len(known),
        mean=round(sum(m.score for m in known) / len(known), 6),
        copy_rate=round(sum(m.copy for m in known) / len(known), 6),
        strict_accuracy_excluding_copies=None if strict_excluding_copies is None else round(strict_excluding_copies, 6),
    )
