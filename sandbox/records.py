"""Typed records that cross the sandbox boundary. Standard library only."""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class TestKind(str, enum.Enum):
    """How a program receives a test: on stdin, or as arguments of a call."""

    STDIO = "stdio"
    CALL = "call"


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


class RunStatus(str, enum.Enum):
    """What happened when a program ran on one input, before any comparison."""

    OK = "ok"  # finished normally; `output` holds what it produced
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    COMPILE_ERROR = "compile_error"
    HARNESS_ERROR = "harness_error"


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
class Limits:
    """Per-test resource limits of a candidate program."""

    timeout_s: float = 4.0
    memory_mb: int = 2048
    max_output_bytes: int = 4 << 20
    cpu_s: int | None = None  # defaults to ceil(timeout_s) + 1
    max_file_bytes: int = 16 << 20
    max_processes: int = 64

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout_s}")
        if self.memory_mb < 16:
            raise ValueError(f"memory limit must be at least 16 MB, got {self.memory_mb}")
        if self.max_output_bytes < 1:
            raise ValueError(f"output cap must be positive, got {self.max_output_bytes}")

    @property
    def effective_cpu_s(self) -> int:
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1


@dataclass(frozen=True, slots=True)
class ExecutionRequest:
    """A program and the inputs to run it on. Expected outputs are not here on purpose."""

    program: str
    kind: TestKind
    inputs: tuple[str, ...]  # stdin texts, or JSON argument lists for CALL
    fn_name: str | None = None  # CALL only: a module function or a Solution method


@dataclass(frozen=True, slots=True)
class TestRun:
    """Raw result of running a program on one input.

    `output` is the captured stdout (STDIO) or the JSON text of the return value (CALL).
    """

    index: int
    status: RunStatus
    output: str = ""
    wall_s: float = 0.0
    detail: str = ""  # e.g. the last line of a traceback, or why the harness failed


@dataclass(frozen=True, slots=True)
class ProgramRun:
    """Raw result of running one program on all its inputs."""

    runs: tuple[TestRun, ...]
    # True when the program is not a valid script only because it relies on the
    # original APPS function wrapper (e.g. a top-level `return`) and was run inside one.
    wrapped: bool = False


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
