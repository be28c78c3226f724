"""How close each sample is to its problem's reference solutions: a memorization signal.

A model fine-tuned on a split (e.g. `gpt-neo-1.3B-apps-all`, trained on APPS test too) can
reproduce that split's reference solutions; its scores there measure recall, not skill.

Metric (one number in [0, 1] per sample): the best, over the problem's reference solutions, of
difflib.SequenceMatcher's ratio (2 * matched / total tokens, autojunk off) between the two
programs' *normalized token sequences*. Normalizing (stdlib tokenize) drops comments,
docstrings and layout (newlines, indentation), and replaces every local name (not a keyword,
not a builtin, not an attribute after ".") by a placeholder numbered in order of first
appearance, so a copy with renamed variables or other formatting still scores 1.0 while two
independent programs for the same problem share mostly keywords and operators. A program
that does not tokenize to the end keeps the tokens before the error.

Per bucket: `mean` similarity and `copy_rate`, the fraction of samples at or above
COPY_THRESHOLD (0.9). Problems without reference solutions have no value (None), never 0.
"""
from __future__ import annotations

import builtins
import difflib
import io
import keyword
import tokenize
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping, Sequence

COPY_THRESHOLD = 0.9
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.ENCODING}
_KEPT_NAMES = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))


@dataclass(frozen=True, slots=True)
class ReferenceSimilarity:
    """One bucket's memorization figures: summary.json "<bucket>.reference_similarity"."""

    samples: int  # samples whose problem has reference solutions (the others have no value)
    mean: float
    copy_rate: float  # fraction with similarity >= threshold
    threshold: float = COPY_THRESHOLD

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


def normalized_tokens(code: str) -> tuple[str, ...]:
    """The program's tokens without comments, docstrings and layout, local names numbered in order."""
    raw = _raw_tokens(code)
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
        if kind == tokenize.NAME and text not in _KEPT_NAMES and previous_text != ".":
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
    return _best(normalized_tokens(code), [normalized_tokens(r) for r in references])


def _best(sample: Sequence[str], references: Sequence[Sequence[str]]) -> float | None:
    best: float | None = None
    for tokens in references:
        if not sample and not tokens:
            return 1.0
        matcher = difflib.SequenceMatcher(None, sample, tokens, autojunk=False)
        if best is not None and (matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best):
            continue  # cannot beat the best so far
        best = max(best or 0.0, matcher.ratio())
        if best >= 1.0:
            break
    return best


def reference_similarities(candidates: Iterable[Any], problems: Mapping[str, Any]) -> dict[tuple[str, int], float | None]:
    """(problem_id, sample_index) -> best similarity to that problem's reference solutions (None: it has none).

    Each problem's references are tokenized once, and a program text seen before for the same
    problem (samples often repeat) reuses its value: the same numbers, without the repeated work."""
    out: dict[tuple[str, int], float | None] = {}
    references: dict[str, list[tuple[str, ...]]] = {}
    seen: dict[tuple[str, str], float | None] = {}
    for candidate in candidates:
        pid = candidate.problem_id
        if pid not in references:
            problem = problems.get(pid)
            references[pid] = [normalized_tokens(r) for r in (problem.solutions if problem is not None else ())]
        key = (pid, candidate.code)
        if key not in seen:
            seen[key] = _best(normalized_tokens(candidate.code), references[pid])
        out[(pid, candidate.sample_index)] = seen[key]
    return out


def bucket_similarity(values: Iterable[float | None]) -> ReferenceSimilarity | None:
    """The bucket record of some samples' similarities (those without references left out); None if none has one."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return ReferenceSimilarity(
        samples=len(known),
        mean=round(sum(known) / len(known), 6),
        copy_rate=round(sum(v >= COPY_THRESHOLD for v in known) / len(known), 6),
    )
