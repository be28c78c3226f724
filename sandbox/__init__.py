"""Running untrusted candidate programs: records and the process-isolated executor.

Importing this package has no side effects: workers start only when an Executor is made.
"""
from .executor import Executor
from .records import (
    ExecutionRequest,
    Judgement,
    Limits,
    ProgramRun,
    RunStatus,
    TestCase,
    TestKind,
    TestRun,
    TestVerdict,
    Verdict,
)

__all__ = [
    "ExecutionRequest",
    "Executor",
    "Judgement",
    "Limits",
    "ProgramRun",
    "RunStatus",
    "TestCase",
    "TestKind",
    "TestRun",
    "TestVerdict",
    "Verdict",
]

from .judge import judge, program_verdict  # noqa: E402
