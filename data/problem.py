"""The Problem record: one APPS problem, validated, ready to prompt and to judge."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from data.errors import InputError
from sandbox.records import TestCase, TestKind


class Difficulty(str, enum.Enum):
    INTRODUCTORY = "introductory"
    INTERVIEW = "interview"
    COMPETITION = "competition"


class DataError(InputError):
    """A dataset that cannot be read: the message names the file, line or row."""


class ProblemFormatError(DataError):
    """A dataset row that cannot become a Problem. The message names the row."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Problem:
    problem_id: str  # e.g. "test-0042", "train-2037", "sample-007"
    difficulty: Difficulty
    question: str
    starter_code: str
    fn_name: str | None  # None: stdin/stdout problem
    tests: tuple[TestCase, ...]
    solutions: tuple[str, ...] = ()
    url: str = ""

    def __post_init__(self) -> None:
        for test in self.tests:
            if test.kind is not self.kind:
                raise ProblemFormatError(self.problem_id, f"test {test.index} is {test.kind.value}, problem is {self.kind.value}")

    @property
    def kind(self) -> TestKind:
        return TestKind.STDIO if self.fn_name is None else TestKind.CALL


@dataclass(frozen=True, slots=True)
class SkippedProblem:
    """A problem left out of the run (e.g. no tests), reported by id, never counted."""

    problem_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Dataset:
    """The problems of a run, plus what was left out and a fingerprint of the source."""

    source: str
    fingerprint: str  # sha256 over the selected problems' content (data/loader.py combine_digests)
    problems: tuple[Problem, ...]
    skipped: tuple[SkippedProblem, ...] = ()

    def __len__(self) -> int:
        return len(self.problems)

    def by_id(self) -> dict[str, Problem]:
        return {p.problem_id: p for p in self.problems}
