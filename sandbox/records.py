"""Typed records that cross the sandbox boundary. Standard library only.

What the worker also needs (TestKind, RunStatus, Limits, TestRun) is defined once, in the
worker protocol (sandbox/inside/protocol.py), and re-exported here.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from .inside.protocol import Limits, RunStatus, SandboxMode, TestKind, TestRun

__all__ = ["ExecutionRequest", "Judgement", "Limits", "ProgramRun", "RunStatus", "SandboxMode", "SandboxSummary",
           "TestCase", "TestKind", "TestRun", "TestVerdict", "Verdict"]


class Verdict(str, enum.Enum):
    """Outcome of one test (or, for a program, of its first failing test)."""

    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    COMPILE_ERROR = "compile_error"
    # The harness itself failed: never counted against the candidate silently.
    HARNESS_ERROR = "harness_error"
    # Not run: a test after the program's first failure, with the early stop (never a program's verdict).
    NOT_RUN = "not_run"


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test. For STDIO, `input`/`expected` are stdin/stdout text.

    For CALL, `input` is the JSON text of the positional-argument list and
    `expected` the JSON text of the expected return value, both exactly as the
    dataset gives them (quoted strings stay quoted).
    """

    index: int
    kind: TestKind
    input: str
    expected: str


@dataclass(frozen=True, slots=True)
class SandboxSummary:
    """The short, typed account of a run's isolation that every report shows."""

    mode: SandboxMode  # what was asked for
    complete: bool  # every protection of the full sandbox held
    missing: tuple[str, ...] = ()  # what did not hold, when not complete
    how: str = ""  # "root: a uid per worker" or "unprivileged: a user namespace per worker"
    memory_bound: str = ""  # what bounds a program's memory (cgroup, or RLIMIT_AS only)

    def to_json(self) -> dict:
        return {"mode": self.mode.value, "complete": self.complete, "missing": list(self.missing),
                "how": self.how, "memory_bound": self.memory_bound}

    @classmethod
    def from_json(cls, data: dict) -> "SandboxSummary":
        return cls(SandboxMode(data["mode"]), bool(data["complete"]), tuple(data.get("missing", ())),
                   str(data.get("how", "")), str(data.get("memory_bound", "")))

    def line(self) -> str:
        """One line for a report."""
        if self.mode is SandboxMode.FULL:
            text = f"full ({self.how})"
        elif self.complete:
            text = f"WEAK mode asked for (--sandbox weak); every protection held anyway ({self.how})"
        else:
            text = f"WEAK (--sandbox weak); missing: {'; '.join(self.missing)}"
        return text + (f"; memory bound: {self.memory_bound}" if self.memory_bound else "")


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    """A program and the inputs to run it on. Expected outputs are not here on purpose."""

    program: str
    kind: TestKind
    inputs: tuple[str, ...]  # stdin texts, or JSON argument lists for CALL
    fn_name: str | None = None  # CALL only: a module function or a Solution method
    # Run as the original APPS harness does: its import header before the program (call-based
    # too) and `open` returning the test input. For the APPS-compatible verdict only.
    apps_environment: bool = False
    # Tests after the first failing one need not run (their runs are NOT_RUN): the early stop.
    stop_at_first_failure: bool = False


@dataclass(frozen=True, slots=True)
class ProgramRun:
    """Raw result of running one program on all its inputs."""

    runs: tuple[TestRun, ...]
    # True when the program is not a valid script only because it relies on the
    # original APPS function wrapper (e.g. a top-level `return`) and was run inside one.
    wrapped: bool = False

    @property
    def wall_s(self) -> float:
        return sum(run.wall_s for run in self.runs)

    @property
    def cpu_s(self) -> float:
        """CPU time of all its tests, each test's process tree included."""
        return sum(run.cpu_s for run in self.runs)


@dataclass(frozen=True, slots=True)
class TestVerdict:
    """A judged test: the verdict and, when it failed, what to debug it with."""

    index: int
    verdict: Verdict
    wall_s: float = 0.0
    detail: str = ""
    got: str = ""  # truncated output, kept only for failures


@dataclass(frozen=True, slots=True)
class Judgement:
    """Both comparisons of one execution: the project's default and the APPS-compatible one."""

    default: tuple[TestVerdict, ...]
    apps: tuple[TestVerdict, ...]
    wrapped: bool = False
