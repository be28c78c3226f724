"""Renamed copies of real programs, as a model that memorized them might write them: every name the
program binds (`_` included, builtins it shadows too) consistently renamed, a comment on every
statement line and a blank line after it. Used by the memorization tests."""
from __future__ import annotations

import ast
import io
import tokenize


def bound_names(code: str) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias) and node.asname:
            bound.add(node.asname)
    return bound


def renamed_copy(code: str) -> str:
    """The program with its names renamed (v0, v1, ... in order of first appearance), commented and spaced out."""
    names = bound_names(code)
    mapping: dict[str, str] = {}
    lines = code.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # (row, start col, end col, new text), applied from the end
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.NAME and token.string in names and previous != ".":
            new = mapping.setdefault(token.string, f"v{len(mapping)}")
            edits.append((token.start[0], token.start[1], token.end[1], new))
        elif token.type == tokenize.NEWLINE and token.string:
            edits.append((token.start[0], token.start[1], token.start[1], "  # copied line"))
        previous = token.string
    for row, start, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    out = "# a program\n\n" + "".join(line + ("\n" if "# copied line" in line else "") for line in lines)
    ast.parse(out)  # still a program
    assert not (names - {"_"}) or out != code
    return out
