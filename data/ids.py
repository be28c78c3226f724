"""Problem ids: one id per problem however its data is named, laid out or loaded.

The rule (docs/interface.md, "Problem ids"):
- a problem's id is the dataset's own id: its `problem_id` column (the folder name in the
  original archive's layout), integers and digit strings written in decimal without leading
  zeros (`42`, folder `0042` -> "42"), any other string kept exactly ("sample-007");
- file and folder names (`test.jsonl`, `APPS/test/0042`), `--split` and the hub never change it;
- only where the data read holds the same own id in two splits (codeparrot/apps numbers both
  train and test 0..4999, so loading both at once) is the id qualified by its split:
  "<split>/<own id>" ("test/42", "train/42"), for those problems only.

Where ids are given to the harness (`--problems`, programs files), a problem is also found by
its own id when that names one problem of the selection, by "<split>/<own id>", and by the
earlier releases' "<split>-NNNN" ("test-0042") when its split is known. An id that matches
nothing, or more than one problem, is refused with the form expected and an example.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

_LEGACY = re.compile(r"^(?P<split>[A-Za-z]+)-(?P<number>\d+)$")
_QUALIFIED = re.compile(r"^(?P<split>[A-Za-z]+)/(?P<own>.+)$")


def own_id(raw: int | str) -> str:
    """The dataset's own id as text: 42, "42" and "0042" -> "42"; other strings kept exactly."""
    text = str(raw).strip()
    return str(int(text)) if text.isdigit() else text


def qualified(split: str, own: str) -> str:
    return f"{split}/{own}"


@dataclass(frozen=True, slots=True)
class IdKey:
    """What names one problem: its id in the run, its own id and its split (None: unknown)."""

    problem_id: str
    own: str
    split: str | None


def _aliases(key: IdKey) -> Iterable[str]:
    yield key.own
    if key.split:
        yield qualified(key.split, key.own)
        if key.own.isdigit():
            yield f"{key.split}-{int(key.own):04d}"


class IdResolver:
    """Maps the ids a user writes to the run's problem ids (rule in the module docstring)."""

    def __init__(self, keys: Iterable[IdKey], where: str) -> None:
        self.where = where
        self._exact: dict[str, str] = {}
        self._alias: dict[str, set[str]] = {}
        for key in keys:
            self._exact[key.problem_id] = key.problem_id
            for alias in _aliases(key):
                self._alias.setdefault(alias, set()).add(key.problem_id)

    def __len__(self) -> int:
        return len(self._exact)

    def resolve(self, given: str) -> str | None:
        """The problem id `given` names; None when it names none. Ambiguity raises LookupError."""
        text = str(given).strip()
        if text in self._exact:
            return text
        for candidate in _normalised(text):
            hits = self._alias.get(candidate)
            if hits is None:
                continue
            if len(hits) > 1:
                raise LookupError(self.ambiguous(text, sorted(hits)))
            return next(iter(hits))
        return None

    def ambiguous(self, given: str, hits: list[str]) -> str:
        shown = " or ".join(repr(h) for h in hits[:3])
        return f"problem id {given!r} names {len(hits)} problems in {self.where}: write {shown} (the split qualifies the id)"

    def unknown(self, given: Iterable[str]) -> str:
        listed = ", ".join(repr(g) for g in given)
        return f"unknown problem id(s) {listed} in {self.where} ({self.expected(named=False)})"

    def expected(self, named: bool = True) -> str:
        """The id form this data uses, with an example, for refusals (`named`: say which data)."""
        where = f"ids in {self.where}" if named else "its ids"
        example = next(iter(self._exact), None)
        if example is None:
            return f"{self.where} holds no problems" if named else "it holds no problems"
        split_qualified = next((e for e in self._exact if _QUALIFIED.match(e)), None)
        if split_qualified is not None:
            return (f"{where} look like {split_qualified!r}: the dataset's own ids, "
                    "qualified by the split where two splits share one")
        return f"{where} look like {example!r}: the dataset's own ids"


def _normalised(text: str) -> list[str]:
    """The alias forms of `text` to look up: as written, and with a number written without zeros."""
    forms = [text]
    if text.isdigit():
        forms.append(own_id(text))
    match = _QUALIFIED.match(text)
    if match and match.group("own").isdigit():
        forms.append(qualified(match.group("split"), own_id(match.group("own"))))
    legacy = _LEGACY.match(text)
    if legacy:
        forms.append(f"{legacy.group('split')}-{int(legacy.group('number')):04d}")
    return forms


def colliding(keys: Mapping[str, set[str | None]]) -> frozenset[str]:
    """Own ids that appear in more than one known split (they get qualified)."""
    return frozenset(own for own, splits in keys.items() if len(splits - {None}) > 1)
