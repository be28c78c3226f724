"""apps-eval's harness: settings, pipeline, evaluation, storage, reports.

The commands are also Python functions (harness/api.py), imported on first use so that
`import harness` stays light: `from harness import evaluate, run, report`.
"""
from __future__ import annotations

from typing import Any

__all__ = ["compare", "evaluate", "generate", "report", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
