"""The shape of one bundled sample problem, as written in problems_*.py (dev tool, not library code)."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

STDIO, CODEWARS, LEETCODE = "stdio", "codewars", "leetcode"


@dataclass
class Spec:
    """A problem: statement, reference programs and test inputs; outputs come from running them.

    kind: STDIO (programs read stdin), CODEWARS (module-level function `fn_name`),
    LEETCODE (method `fn_name` of `class Solution`, `params` names its arguments).
    wrap: store each expected return value wrapped in a one-element list (Codewars quirk).
    strip_final_newline: store expected stdout without its final newline (APPS quirk).
    input_lines / output_lines: store stdin / expected stdout as a list of lines (APPS quirk);
    the harness joins them with "\\n", so the references are run on that joined text.
    """

    title: str
    difficulty: str
    kind: str
    question: str
    solutions: list[str]
    tests: list[Any]  # stdin texts (STDIO) or lists of positional arguments
    fn_name: str | None = None
    starter_code: str = ""
    params: tuple[str, ...] = ()
    wrap: bool = False
    strip_final_newline: bool = False
    input_lines: bool = False
    output_lines: bool = False
    n_examples: int = 1
    problem_id: str = field(default="", init=False)


def code(text: str) -> str:
    """Dedent a program written inline, keeping one final newline."""
    return textwrap.dedent(text).strip("\n") + "\n"


def text(body: str) -> str:
    """Dedent a statement written inline."""
    return textwrap.dedent(body).strip("\n")
