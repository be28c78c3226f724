"""Text-table primitives shared by the report and comparison renderers: number cells,
GitHub Markdown tables, LaTeX booktabs tabulars (with escaping) and CSV. Pure, stdlib only.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import Any, Sequence

from harness.reporting.escaping import visible_controls

DETAIL_LIMIT = 200  # characters kept of a test's input, expected and actual output

Interval = tuple[float, float]


def fmt_pct(x: float | None) -> str | None:
    return None if x is None else f"{100 * x:.2f}"


def fmt_ci(x: float | None, ci: Interval | None) -> str | None:
    if x is None:
        return None
    return fmt_pct(x) if ci is None else f"{100 * x:.2f} [{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#$&!{}])")


def md_text(text: str) -> str:
    """User text (a template, a model path, a label) as literal Markdown: one line, punctuation escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_cell(cell: str | None) -> str:
    return "–" if cell is None else cell.replace("|", "\\|")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str | None]], *, text_columns: int = 1) -> str:
    """GitHub Markdown: the first text_columns columns left-aligned, the rest (numbers) right-aligned."""
    align = [":---"] * text_columns + ["---:"] * (len(headers) - text_columns)
    lines = ["| " + " | ".join(md_cell(h) for h in headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
        "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}


# pdflatex reads only ASCII without extra packages: the few non-ASCII characters our own
# notes use get macros; anything else is spelled out (accents dropped, else U+XXXX).
_TEX_UNICODE = {"Δ": r"$\Delta$", "−": "-", "·": r"$\cdot$", "≥": r"$\geq$", "≤": r"$\leq$", "±": r"$\pm$",
                "×": r"$\times$", "…": r"\ldots{}", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
                "°": r"$^\circ$", "\u00a0": "~"}


def _tex_char(ch: str) -> str:
    if ch in _TEX:
        return _TEX[ch]
    if ch.isascii():
        return ch if ch.isprintable() else " "
    if ch in _TEX_UNICODE:
        return _TEX_UNICODE[ch]
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return "".join(_TEX.get(c, c) for c in plain if c.isprintable()) or f"[U+{ord(ch):04X}]"


def tex_escape(text: str) -> str:
    """Text for pdflatex: special characters escaped, ASCII only, one line."""
    return "".join(_tex_char(ch) for ch in " ".join(text.split()))


def tex_cell(cell: str | tuple[str, str] | None) -> str:
    """A cell; a (value, interval) pair is stacked: the value, and under it the interval in small print,
    its bounds to one decimal (the interval is the widest thing in a paper's table)."""
    if cell is None:
        return "--"
    if isinstance(cell, tuple):
        value, interval = cell[0], re.sub(r"(\d+\.\d)\d+", r"\1", cell[1])
        return r"\begin{tabular}[t]{@{}r@{}}" + tex_escape(value) + r"\\{\scriptsize " + tex_escape(interval) + r"}\end{tabular}"
    return tex_escape(cell)


def tex_header(header: str, align: str) -> str:
    """A header of several words on two lines, split where the longer line is shortest (narrow columns)."""
    words = header.split()
    if len(words) < 2:
        return tex_escape(header)
    cut = min(range(1, len(words)), key=lambda i: max(len(" ".join(words[:i])), len(" ".join(words[i:]))))
    top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
    return rf"\begin{{tabular}}[b]{{@{{}}{align}@{{}}}}" + tex_escape(top) + r"\\" + tex_escape(bottom) + r"\end{tabular}"


def tex_table(headers: Sequence[str], rows: Sequence[Sequence[str | tuple[str, str] | None]], rule_before: Sequence[int] = (),
              text_columns: int = 1) -> list[str]:
    """booktabs tabular lines; rule_before: row indexes that get a \\midrule above them."""
    spec = "l" * text_columns + "r" * (len(headers) - text_columns)
    head = " & ".join(tex_header(h, a) for h, a in zip(headers, spec))
    lines = [r"\begin{tabular}{" + spec + "}", r"\toprule", head + r" \\", r"\midrule"]
    for i, row in enumerate(rows):
        if i in rule_before:
            lines.append(r"\midrule")
        lines.append(" & ".join(tex_cell(c) for c in row) + r" \\")
    return lines + [r"\bottomrule", r"\end{tabular}"]


def tex_document(caption: str, tables: Sequence[list[str]], notes: Sequence[str]) -> str:
    """A table float (needs \\usepackage{booktabs}) with the notes in small print under the tabulars."""
    body = ["% apps-eval: needs \\usepackage{booktabs}", r"\begin{table}[t]", r"\centering", r"\small", r"\setlength{\tabcolsep}{3pt}"]
    for table in tables:
        body += table + [r"\par\medskip"]
    note_text = " \\\\\n".join(tex_escape(n) for n in notes)
    if notes:
        body += [r"\begin{minipage}{\linewidth}\footnotesize", note_text, r"\end{minipage}"]
    body += [rf"\caption{{{tex_escape(caption)}}}", r"\end{table}"]
    return "\n".join(body) + "\n"


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(["" if c is None else c for c in row] for row in rows)
    return buf.getvalue()


def frac(x: float | None) -> float | None:
    return None if x is None else round(x, 12)


def one_line(text: str, limit: int = DETAIL_LIMIT) -> str:
    """Text on one line, backslashes doubled, line breaks, tabs and other controls as escapes."""
    flat = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    flat = visible_controls(flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def md_code(text: str | None) -> str | None:
    """A code span that survives any backticks in text (so test data is not read as Markdown)."""
    if not text:
        return text
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
