"""Rerunning a finished run: nothing is read, judged or recomputed while its files are unchanged;
any change (a program added, a result row lost) takes the normal resume path, exactly."""
import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from harness.reporting.report import render_report
from harness.storage import load_run

SAMPLE_WRONG = REPO_ROOT / "data" / "sample" / "wrong_programs.jsonl"


def _programs(path: Path, count: int) -> list[dict]:
    rows = [json.loads(line) for line in SAMPLE_WRONG.read_text().splitlines() if line.strip()][:count]
    programs = [{"problem_id": r["problem_id"], "sample_index": i, "code": r["code"]} for i, r in enumerate(rows)]
    path.write_text("".join(json.dumps(p) + "\n" for p in programs))
    return programs


def _evaluate(gens: Path, out: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "run_eval.py"), "evaluate", "--generations", str(gens),
                           "--out", str(out), "--workers", "2", "--timeout", "1"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("results.jsonl", "summary.json", "config.json")}


def _fresh_report(out: Path) -> str:
    """What the CLI prints for the folder as it is now, rendered anew."""
    text = render_report(load_run(out), "md")
    return text if text.endswith("\n") else text + "\n"


def _keys(out: Path) -> list[tuple[str, int]]:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return [(r["problem_id"], r["sample_index"]) for r in rows]


def test_rerunning_a_finished_run_changes_nothing_and_prints_the_same_report(tmp_path):
    gens, out = tmp_path / "programs.jsonl", tmp_path / "run"
    _programs(gens, 4)
    first = _evaluate(gens, out)
    before = _files(out)
    again = _evaluate(gens, out)
    assert "nothing left to judge" in again.stderr
    assert _files(out) == before  # summary.json not even rewritten (its timings are the finishing invocation's)
    assert again.stdout == first.stdout == _fresh_report(out)


def test_a_finished_run_whose_inputs_or_results_changed_resumes_exactly(tmp_path):
    gens, out = tmp_path / "programs.jsonl", tmp_path / "run"
    programs = _programs(gens, 4)
    _evaluate(gens, out)
    first_keys = _keys(out)
    assert sorted(first_keys) == sorted((p["problem_id"], p["sample_index"]) for p in programs)

    # a program added to the programs file: judged, alone
    extra = {**programs[0], "sample_index": 10}
    with open(gens, "a") as f:
        f.write(json.dumps(extra) + "\n")
    added = _evaluate(gens, out)
    assert "nothing left to judge" not in added.stderr
    assert _keys(out) == first_keys + [(extra["problem_id"], 10)]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["samples"] == 5
    assert added.stdout == _fresh_report(out)

    # a result row lost (a folder copied halfway): that program is judged again, nothing else
    lines = (out / "results.jsonl").read_text().splitlines(keepends=True)
    lost = json.loads(lines[1])
    (out / "results.jsonl").write_text("".join(lines[:1] + lines[2:]))
    resumed = _evaluate(gens, out)
    assert "nothing left to judge" not in resumed.stderr
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == 5 and keys[-1] == (lost["problem_id"], lost["sample_index"])
    assert resumed.stdout == _fresh_report(out)
