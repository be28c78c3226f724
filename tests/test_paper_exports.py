"""Exports for a paper, on runs the real pipeline wrote: a run of the tiny model with n = 20 samples per
problem (one problem per difficulty) and the reference-solutions run.

--metrics picks columns, --notes cuts the notes, --label hides local paths, the default .tex fits a
page (compiled by pdflatex), figures are real svg/pdf/png bytes chosen by --format or the output name.
"""
import csv
import functools
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib

import pytest

from harness.cli import main
from pipeline_runs import _root, solutions_run
from test_pipeline import cli

PROBLEMS = "sample-001,sample-013,sample-025"  # introductory, interview, competition


@functools.lru_cache(maxsize=None)
def n20_run():
    from tiny_model import tiny_models

    out = _root() / "n20"
    args = ["run", "--model", str(tiny_models().scripted_dir), "--problems", PROBLEMS, "--n-samples", "20", "--temperature", "0.8",
            "--max-new-tokens", "16", "--batch-size", "20", "--workers", "2", "--timeout", "2", "--out", str(out)]
    assert main(args) == 0
    return out


def _model_dir():
    from tiny_model import tiny_models

    return str(tiny_models().scripted_dir)


# ---- --metrics, --notes, --label ----------------------------------------------------------------------


def test_metrics_pick_the_columns_in_order():
    proc = cli("report", str(n20_run()), "--metrics", "strict,test_pass,pass@1,pass@10,copy_rate")
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if line.startswith("| Difficulty"))
    assert header == "| Difficulty | Strict acc. % [95% CI] | Test pass % [95% CI] | pass@1 % [95% CI] | pass@10 % | Ref. copies % |"
    rows = list(csv.DictReader(io.StringIO(cli("report", str(n20_run()), "--format", "csv", "--metrics", "strict,pass@20", "--notes", "none").stdout)))
    assert list(rows[0]) == ["difficulty", "strict_accuracy_frac", "strict_accuracy_ci_low_frac", "strict_accuracy_ci_high_frac",
                             "pass@20_frac", "pass@20_ci_low_frac", "pass@20_ci_high_frac"]
    assert [r["difficulty"] for r in rows] == ["introductory", "interview", "competition", "overall"]


def test_compare_metrics_pick_the_columns_and_their_deltas():
    proc = cli("compare", str(solutions_run()), str(n20_run()), "--table", "runs", "--metrics", "strict,copy_rate", "--notes", "none")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "| Run | Model | Strict acc. % [95% CI] | Ref. copies % | Δ strict pp | Δ ref. copies pp | p strict (paired) |"
    assert len([line for line in lines if line.startswith("| ")]) == 3 and not any(line.startswith("- ") for line in lines)


@pytest.mark.parametrize("metrics, message", [("strict,bogus", "unknown metric 'bogus'"), ("pass@50", "pass@50 needs at least 50 samples"),
                                              ("pass@x", "'pass@x' is not pass@K")])
def test_a_bad_metric_is_one_line(metrics, message):
    proc = cli("report", str(n20_run()), "--metrics", metrics)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0 and message in proc.stderr, proc.stderr


def test_notes_full_short_none():
    full = cli("report", str(n20_run())).stdout
    short = cli("report", str(n20_run()), "--notes", "short").stdout
    none = cli("report", str(n20_run()), "--notes", "none").stdout
    assert "- Limits: " in full and "- Comparator: " in full and "- Decoding: " in full
    notes = [line for line in short.splitlines() if line.startswith("- ")]
    assert "- Limits: " not in short and "- Comparator: " not in short
    assert notes[0].startswith("- Model: ") and "20 samples per problem, temperature 0.8" in notes[0]
    assert not any(line.startswith("- ") for line in none.splitlines()) and "**Settings**" not in none
    assert len(none) < len(short) < len(full)


@pytest.mark.parametrize("fmt", ["md", "tex", "csv", "json"])
def test_a_label_replaces_local_paths_everywhere(fmt):
    # A path as each format prints it: md and tex escape the `_` a temporary folder's name may hold.
    shown = (lambda path: path.replace("_", "\\_")) if fmt in ("md", "tex") else (lambda path: path)
    model, run, refs = shown(_model_dir()), str(n20_run()), str(solutions_run())
    labelled = cli("report", run, "--label", "Tuned", "--format", fmt, "--details").stdout
    assert model not in labelled and shown(run) not in labelled and ("Tuned" in labelled or fmt == "csv")  # csv --details: problem rows only
    compared = cli("compare", "--label", "Refs=" + refs, "--label", "Tuned=" + run, "--format", fmt).stdout
    assert model not in compared and shown(run) not in compared and shown(refs) not in compared
    runs = cli("compare", "--label", "Refs=" + refs, "--label", "Tuned=" + run, "--table", "runs", "--format", fmt).stdout
    assert model not in runs and shown(run) not in runs
    assert model in cli("report", run, "--format", fmt).stdout  # without a label: the path as recorded


# ---- the .tex fits a page -----------------------------------------------------------------------------


def _overfull_points(table: str, tmp_path) -> list[float]:
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian: apt-get install --no-install-recommends texlive-latex-base texlive-latex-recommended)")
    assert table.isascii()
    doc = tmp_path / "paper.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" + table + "\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    log = (tmp_path / "paper.log").read_text(errors="replace")
    return [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]


def test_the_default_tex_of_an_n20_run_fits_a_page(tmp_path):
    table = cli("report", str(n20_run()), "--format", "tex").stdout
    assert "pass@20" in table and "pass@10" in table
    assert max(_overfull_points(table, tmp_path), default=0.0) <= 20.0


def test_the_default_runs_table_of_a_comparison_fits_a_page(tmp_path):
    table = cli("compare", "--label", "Refs=" + str(solutions_run()), "--label", "Tuned=" + str(n20_run()),
                "--table", "runs", "--format", "tex").stdout
    assert max(_overfull_points(table, tmp_path), default=0.0) <= 20.0


def test_the_default_full_comparison_fits_a_page(tmp_path):
    table = cli("compare", "--label", "Refs=" + str(solutions_run()), "--label", "Tuned=" + str(n20_run()), "--format", "tex").stdout
    assert table.count(r"\toprule") == 3  # one row per run, by difficulty, paired tests
    assert max(_overfull_points(table, tmp_path), default=0.0) <= 20.0


def test_the_widest_tex_overflows_so_the_check_can_fail(tmp_path):
    every = "problems,samples,strict,test_pass," + ",".join(f"pass@{k}" for k in range(1, 21)) + ",verdicts"
    table = cli("report", str(n20_run()), "--format", "tex", "--metrics", every).stdout
    assert max(_overfull_points(table, tmp_path), default=0.0) > 20.0


# ---- figures --------------------------------------------------------------------------------------------


def _svg_root(data: bytes):
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def _pdf_streams(data: bytes) -> bytes:
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


def test_svg_and_pdf_are_vector_by_flag_or_output_name(tmp_path):
    by_name, by_flag = tmp_path / "fig.svg", tmp_path / "fig-flag.out"
    assert cli("report", str(n20_run()), "--output", str(by_name)).returncode == 0
    assert cli("report", str(n20_run()), "--format", "svg", "--output", str(by_flag)).returncode == 0
    for path in (by_name, by_flag):
        data = path.read_bytes()
        root = _svg_root(data)
        tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
        assert "path" in tags and "image" not in tags  # drawn, not a raster inside an svg
    pdf = tmp_path / "fig.pdf"
    assert cli("report", str(n20_run()), "--output", str(pdf)).returncode == 0
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"/Subtype /Image" not in data
    streams = _pdf_streams(data)
    assert re.search(rb"\bre\b", streams) and re.search(rb"\b[ml]\b", streams)  # rectangles (bars) and line paths
    png = tmp_path / "fig.png"
    assert cli("report", str(n20_run()), "--output", str(png)).returncode == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("fmt, name", [("svg", "fig.png"), ("png", "fig.svg"), ("pdf", "fig.svg"), ("md", "table.tex")])
def test_a_format_that_contradicts_the_output_name_is_one_line_and_writes_nothing(tmp_path, fmt, name):
    proc = cli("report", str(n20_run()), "--format", fmt, "--output", str(tmp_path / name))
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert f"--format {fmt} but --output" in proc.stderr and not (tmp_path / name).exists()


def test_the_report_figure_has_a_pass_at_k_curve_when_n_is_above_one():
    from harness import report

    svg = report(n20_run(), format="svg")  # the Python API: the same renderers as the CLI
    _svg_root(svg)
    assert b"<!-- pass@k, k = 1..20" in svg and b"<!-- k (samples drawn per problem) -->" in svg
    assert b"<!-- strict accuracy excluding copies -->" in svg  # memorization beside the rates (references known)
    one = report(solutions_run(), format="svg", metrics="strict")
    n = max(map(int, json.loads(report(solutions_run(), format="json"))["buckets"]["overall"]["pass_at_k"]), default=0)
    assert (b"<!-- pass@k" in one) == (n > 1) and b"<!-- strict accuracy -->" in one


def test_the_compare_figure_shows_memorization_and_the_warnings(tmp_path):
    out = tmp_path / "cmp.svg"
    proc = cli("compare", "--label", "Refs=" + str(solutions_run()), "--label", "Tuned=" + str(n20_run()), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    svg = out.read_bytes()
    _svg_root(svg)
    assert b"<!-- ref. copies by difficulty -->" in svg
    assert b"<!-- strict accuracy excluding copies by difficulty -->" in svg
    assert b"<!-- Warning: Tuned vs Refs: dataset fingerprints differ" in svg
    assert b"<!-- overall pass@k -->" in svg
    pdf = tmp_path / "cmp.pdf"
    assert cli("compare", str(solutions_run()), str(n20_run()), "--format", "pdf", "--output", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_format_help_shows_the_default():
    text = " ".join((cli("report", "--help").stdout + cli("compare", "--help").stdout).split())
    assert text.count("default: the --output name's extension") == 2 and "svg" in text and "pdf" in text
    assert "--notes {full,short,none}" in text and "(default: full)" in text
