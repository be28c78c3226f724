"""Text a candidate program controls (its output, its exception text), made inert for each place
a report puts it. Pure, stdlib only.

- everywhere: control characters become visible escapes (`visible_controls`), so no terminal
  control sequence (colours, cursor moves, OSC 52 clipboard writes, title changes) and no
  bidirectional override reaches a reader, whatever the format or where it is printed;
- Markdown: such text goes in code spans (tables.md_code), where neither HTML nor links,
  images or autolinks are read;
- CSV: a cell that a spreadsheet would read as a formula gets a leading apostrophe
  (`csv_cell`, OWASP's CSV-injection advice);
- LaTeX: tables.tex_escape already escapes every special character and spells out what is
  not printable ASCII.
"""
from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode controls that reorder or
# hide text on screen (bidirectional embeddings, overrides and isolates, marks).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """Control characters (except tab and newline) written as \\xNN or \\uNNNN."""
    return _CONTROLS.sub(_escape, text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV field a spreadsheet shows as text: strings starting like a formula are prefixed with '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
