"""`report`/`compare --format html`: one offline file, checked in a real browser (headless Chromium).

The runs are written by the real pipeline (pipeline_runs.memorization_runs). `make test` installs
Debian's chromium when it runs as root and the browser is missing; elsewhere the browser tests
skip, saying so."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.cli import main
from harness.reporting.html_view import script_json
from pipeline_runs import HOSTILE_PRINT, memorization_runs

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip("no headless Chromium on this machine (make test installs Debian's chromium when run as root)")


def _chromium(*args: str) -> subprocess.CompletedProcess:
    browser = _browser()
    with tempfile.TemporaryDirectory(prefix="apps-eval-chromium-") as profile:
        return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


def _dom(page: Path, fragment: str = "open=all") -> str:
    done = _chromium("--dump-dom", f"{page.as_uri()}#{fragment}")
    assert done.returncode == 0 and "<body" in done.stdout, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    train, data, _ = memorization_runs()
    out = tmp_path_factory.mktemp("html")
    assert main(["report", str(train), "--format", "html", "--output", str(out / "report.html")]) == 0
    assert main(["compare", "--label", "train-only=" + str(train), "--label", "all-data=" + str(data),
                 "--format", "html", "--output", str(out / "compare.html")]) == 0
    return {"report": out / "report.html", "compare": out / "compare.html"}


def _shown(dom: str) -> set[str]:
    return set(re.findall(r'data-problem="([^"]+)"', dom))


def test_the_file_is_self_contained_and_its_data_inert(pages):
    text = pages["compare"].read_text()
    embedded = re.search(r'<script type="application/json" id="apps-eval-data">(.*?)</script>', text, re.S)
    page = text[:embedded.start(1)] + text[embedded.end(1):]
    assert not re.search(r"""(src|href)\s*=|@import|url\(|https?://""", page)  # nothing to fetch
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert text.count("<script") == 2 and text.count("</script") == 2  # the data cannot close its element
    assert "\u2028" not in text and "<!--" not in text and "<img" not in text
    data = json.loads(embedded.group(1))
    got = [s["f"]["got"] for p in data["problems"] for r in p["runs"] if r for s in r["samples"] if s["f"]]
    assert HOSTILE_PRINT + "\n" in got  # what the program printed is there, whole, as data
    assert embedded.group(1).count("Traceback: ") == 1  # embedded once: one failing test carries it
    assert script_json("</script>\u2028&") == '"\\u003c/script\\u003e\\u2028\\u0026"'


def test_report_view_in_chromium_shows_problems_failing_tests_and_hostile_text_as_text(pages):
    dom = _dom(pages["report"])
    assert _shown(dom) == {"sample-001", "sample-002", "sample-003", "sample-004"}
    assert "data-pwned" not in re.search(r"<body[^>]*>", dom).group(0)  # neither the script nor the onerror ran
    assert not re.search(r"<img\b", dom)  # the printed tag is text, not an element
    assert "&lt;script&gt;document.body.setAttribute" in dom  # shown, escaped, in program, got and stderr
    assert dom.count("&lt;img src=x onerror=") >= 2  # the program and what it printed
    assert "&lt;/script&gt;&lt;!--" in dom  # the tail of its stderr
    # sample-002's first failing test: `print(t - 1)` on 3661
    assert "1:01:01" in dom and "3660" in dom and "first failing test #0: wrong_answer" in dom
    assert "Strict acc. % [95% CI]" in dom and "Settings and notes" in dom


def test_report_view_screenshot_is_not_blank(pages, tmp_path):
    shot = tmp_path / "view.png"
    done = _chromium("--hide-scrollbars", "--window-size=1200,900", f"--screenshot={shot}", pages["report"].as_uri() + "#open=all")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    from PIL import Image

    image = Image.open(shot).convert("L")
    assert image.size == (1200, 900)
    dark = sum(count for level, count in enumerate(image.histogram()) if level < 128)
    assert dark > 0.005 * 1200 * 900  # text and table rules, not an empty page
    assert sum(1 for count in image.histogram() if count) > 20  # not one flat colour


def test_compare_view_filters_by_who_solved_difficulty_verdict_and_copies(pages):
    page = pages["compare"]
    assert _shown(_dom(page)) == {"sample-001", "sample-002", "sample-003", "sample-004"}
    assert _shown(_dom(page, "solved=b")) == {"sample-001", "sample-004"}
    assert _shown(_dom(page, "solved=both")) == {"sample-003"}
    assert _shown(_dom(page, "solved=neither")) == {"sample-002"}
    assert _shown(_dom(page, "solved=a")) == set()
    assert _shown(_dom(page, "verdict=runtime_error")) == {"sample-001"}
    assert _shown(_dom(page, "difficulty=interview")) == set()
    dom = _dom(page, "copies=1&open=all")
    assert _shown(dom) == {"sample-004"}
    # the copy beside its nearest reference, with its similarity
    assert "nearest reference solution #0" in dom and "(copy)" in dom and "Fizz" in dom
    assert "train-only: sample 0" in dom and "all-data: sample 0" in dom


def test_a_problem_opens_on_demand_only(pages):
    dom = _dom(pages["compare"], "")
    assert len(_shown(dom)) == 4 and "first failing test #0" not in dom  # closed: the samples are not in the DOM yet
    assert "first failing test #0" in _dom(pages["compare"], "problem=sample-002")
