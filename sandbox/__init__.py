"""Running untrusted candidate programs: records and the process-isolated executor.

Importing this package has no side effects: workers start only when an Executor is made.
"""
from .executor import Executor
from .worker_pool import SandboxUnavailable
from .records import (
    ExecutionRequest,
    Judgement,
    Limits,
    ProgramRun,
    RunStatus,
    SandboxMode,
    SandboxSummary,
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
    "SandboxMode",
    "SandboxSummary",
    "SandboxUnavailable",
    "TestCase",
    "TestKind",
    "TestRun",
    "TestVerdict",
    "Verdict",
]

from .judge import judge, program_verdict  # noqa: E402
