"""Text a candidate program controls reaches `report --details` inert in every format (issue 18):
a real hostile program (tests/hostile/report_markup.py) judged by the real pipeline prints and
raises HTML, Markdown links and images, a spreadsheet formula, terminal control sequences and
LaTeX commands; the reports are read as their readers would read them."""
import csv
import io
import json
import re
import shutil
import subprocess

import pytest

from harness.cli import main
from harness.reporting.escaping import csv_cell, visible_controls
from hostile.helpers import program

# What a terminal or a viewer would act on: C0 but tab and newline, DEL, C1, bidi controls.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("escaping")
    programs = folder / "programs.jsonl"
    programs.write_text(json.dumps({"problem_id": "sample-001", "code": program("report_markup")}) + "\n")
    out = folder / "run"
    assert main(["evaluate", "--generations", str(programs), "--problems", "sample-001", "--workers", "1", "--out", str(out)]) == 0
    return out


def report(capsys, run, fmt):
    capsys.readouterr()
    assert main(["report", str(run), "--details", "--format", fmt]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["md", "csv", "tex", "json"])
def test_no_control_character_reaches_stdout_or_a_file(capsys, hostile_run, tmp_path, fmt):
    text = report(capsys, hostile_run, fmt)
    assert "52;c;aGk=" in text  # the clipboard write is there, as visible text
    assert not CONTROLS.search(text)
    assert main(["report", str(hostile_run), "--details", "--format", fmt, "--output", str(tmp_path / f"r.{fmt}")]) == 0
    assert not CONTROLS.search((tmp_path / f"r.{fmt}").read_text())


def test_markdown_shows_html_links_and_images_as_text(capsys, hostile_run):
    from markdown_it import MarkdownIt

    text = report(capsys, hostile_run, "md")
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<img" not in html and "<a " not in html and "<em>" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # output and exception text, literal
    assert "[a](http://e.x)" in html and "![p](http://e.x/p.png)" in html


def test_csv_cells_never_start_a_formula(capsys, hostile_run):
    rows = list(csv.DictReader(io.StringIO(report(capsys, hostile_run, "csv"))))
    assert rows[0]["failure_got"].startswith("'=HYPERLINK(")
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values() if cell)


def test_latex_escapes_the_commands_and_compiles(capsys, hostile_run, tmp_path):
    table = report(capsys, hostile_run, "tex")
    assert table.isascii()
    assert r"\textbackslash{}textbf\{x\} \$m\$ \& \% \# \_ \textasciicircum{} \textasciitilde{} \{\}" in table
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base texlive-latex-recommended)")
    doc = tmp_path / "report.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=1cm,landscape]{geometry}\n"
                   "\\begin{document}\n" + table + "\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", doc.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_json_keeps_the_text_readable_with_controls_spelled_out(capsys, hostile_run):
    failure = json.loads(report(capsys, hostile_run, "json"))["problems"][0]["failure"]
    assert failure["verdict"] == "runtime_error"
    assert failure["got"].startswith('=HYPERLINK("http://e.x","x") \\x1b]52;c;aGk=\\x07\\x1b[31mred\\x9b0m\\u202eevil <img')
    assert failure["detail"].startswith("ValueError: \\x1b]52")


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"),
                                         ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=1", "a=1"), ("", ""), (3, 3), (None, None)])
def test_csv_cell_rule(value, cell):
    assert csv_cell(value) == cell


def test_visible_controls_keeps_tab_newline_and_printable_text():
    assert visible_controls("a\tb\nc é Δ") == "a\tb\nc é Δ"
    assert visible_controls("\x00\x1b\x7f\x85\x9b\u202e\u2066") == "\\x00\\x1b\\x7f\\x85\\x9b\\u202e\\u2066"
