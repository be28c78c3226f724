"""Completion text -> program text. Pure.

Order: drop an echo of the prompt, cut at the first stop string (as the APPS code cuts at a
new "QUESTION"/"ANSWER"), then, if a fenced ``` block remains, keep only its content
(instruction-tuned models, and every chat reply, answer in Markdown): the first block marked
as Python (```python, ```py, ```python3), else the first block. An unclosed fence (the
completion ran out of tokens) keeps everything after the opening fence.
"""
from __future__ import annotations

import re
from typing import Iterable

_OPEN_FENCE = re.compile(r"^[ \t]*```([^\n`]*)\n", re.MULTILINE)
_PYTHON_TAGS = {"python", "py", "python3"}


def find_stop(text: str, stops: Iterable[str]) -> int | None:
    """Index of the earliest occurrence of any stop string in `text`, or None."""
    positions = [i for i in (text.find(stop) for stop in stops if stop) if i >= 0]
    return min(positions) if positions else None


def cut_at_stop(text: str, stops: Iterable[str]) -> str:
    """`text` up to (not including) the earliest stop string."""
    index = find_stop(text, stops)
    return text if index is None else text[:index]


def strip_prompt_echo(text: str, prompt: str) -> str:
    """`text` without a leading copy of the prompt (some models repeat it)."""
    for echo in (prompt, prompt.lstrip()):
        if echo and text.startswith(echo):
            return text[len(echo):]
    return text


def code_block_closed(text: str) -> bool:
    """True when the first ``` fenced block of `text` has its closing fence."""
    opening = _OPEN_FENCE.search(text)
    return opening is not None and text.find("```", opening.end()) >= 0


def _blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, content) of every ``` fenced block, the last one possibly unclosed."""
    out, position = [], 0
    while (opening := _OPEN_FENCE.search(text, position)) is not None:
        end = text.find("```", opening.end())
        end = len(text) if end < 0 else end
        out.append((opening.group(1).strip().lower(), text[opening.end():end]))
        position = end + 3
    return out


def fenced_block(text: str) -> str | None:
    """Content of the first Python-tagged ``` block, else of the first block (to its closing fence or the end), or None."""
    blocks = _blocks(text)
    if not blocks:
        return None
    return next((content for tag, content in blocks if tag in _PYTHON_TAGS), blocks[0][1])


def extract_program(completion: str, prompt: str = "", stops: Iterable[str] = ()) -> str:
    """The program in a completion (see the module docstring for the rules)."""
    text = cut_at_stop(strip_prompt_echo(completion, prompt), stops)
    block = fenced_block(text)
    return text if block is None else block
