"""End to end through the real CLI, real data files and the real sandbox (no mocks)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from harness.cli import main
from harness.run_record import ProgramSource
from harness.storage import read_record

SAMPLE_WRONG = REPO_ROOT / "data" / "sample" / "wrong_programs.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_eval.py"), *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "run"
    proc = cli("evaluate", "--solutions", "--out", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_every_bundled_reference_solution_passes_both_comparisons(reference_run):
    out, _ = reference_run
    rows = read_jsonl(out / "results.jsonl")
    failing = [(r["problem_id"], r["sample_index"], r["verdict"], r["apps_verdict"]) for r in rows
               if r["verdict"] != "passed" or r["apps_verdict"] != "passed"]
    assert failing == []
    summary = json.loads((out / "summary.json").read_text())
    for bucket in ("overall", "introductory", "interview", "competition"):
        assert summary[bucket]["strict_accuracy"] == 1.0
        assert summary[bucket]["test_pass_rate"] == 1.0
        assert summary[bucket]["apps_strict_accuracy"] == 1.0
    assert summary["overall"]["problems"] >= 30
    assert sum(summary[d]["problems"] for d in ("introductory", "interview", "competition")) == summary["overall"]["problems"]


def test_results_rows_follow_the_interface(reference_run):
    out, _ = reference_run
    row = read_jsonl(out / "results.jsonl")[0]
    for key in ("problem_id", "sample_index", "difficulty", "verdict", "apps_verdict", "tests_passed", "tests_total", "tests", "apps_tests"):
        assert key in row
    assert len(row["tests"]) == row["tests_total"]
    record = read_record(out / "config.json")
    assert record.programs.source is ProgramSource.SOLUTIONS
    assert len(record.dataset.fingerprint) == 64
    assert record.execution.limits.timeout_s == 4.0
    assert record.isolation is not None and record.isolation.pid_namespace
    assert (out / "validity.json").is_file()


def test_rerunning_a_finished_run_judges_nothing_twice(reference_run):
    out, _ = reference_run
    before = (out / "results.jsonl").read_text()
    proc = cli("evaluate", "--solutions", "--out", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert (out / "results.jsonl").read_text() == before


def test_resuming_judges_again_what_ended_in_a_harness_error(tmp_path):
    # A worker that died (OOM killer, a kill by hand) marks its programs harness_error:
    # the harness's fault, so a resumed run judges them again instead of keeping the row.
    out = tmp_path / "run"
    args = ["evaluate", "--solutions", "--out", str(out), "--workers", "1", "--problems", _first_stdio_problem()]
    assert main(args) == 0
    rows = read_jsonl(out / "results.jsonl")
    broken = {**rows[0], "verdict": "harness_error", "apps_verdict": "harness_error"}
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [broken] + rows[1:]))
    assert main(args) == 0
    rows_after = read_jsonl(out / "results.jsonl")
    assert rows_after[: len(rows)] == [broken] + rows[1:]  # nothing rewritten, one row appended
    assert len(rows_after) == len(rows) + 1 and rows_after[-1]["verdict"] == "passed"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["harness_errors"] == 0 and summary["overall"]["strict_accuracy"] == 1.0


def test_wrong_programs_fail_as_designed(tmp_path):
    wrong = read_jsonl(SAMPLE_WRONG)
    gens = tmp_path / "wrong.jsonl"
    gens.write_text("".join(json.dumps({"problem_id": w["problem_id"], "code": w["code"]}) + "\n" for w in wrong))
    out = tmp_path / "run"
    assert main(["evaluate", "--generations", str(gens), "--out", str(out), "--timeout", "1"]) == 0
    rows = read_jsonl(out / "results.jsonl")
    by_key = {(r["problem_id"], r["sample_index"]): r for r in rows}
    index: dict[str, int] = {}
    for w in wrong:
        i = index[w["problem_id"]] = index.get(w["problem_id"], -1) + 1
        row = by_key[(w["problem_id"], i)]
        assert row["verdict"] == w["expect"], (w, row["first_failure"])
        assert row["apps_verdict"] == w.get("apps_expect", w["expect"]), w
        assert row["first_failure"] is not None


def _slow_generations(path: Path, problem_id: str, count: int) -> None:
    code = "import time\ntime.sleep(0.4)\nprint(input())\n"
    path.write_text("".join(json.dumps({"problem_id": problem_id, "sample_index": i, "code": code + f"# {i}\n"}) + "\n" for i in range(count)))


def _first_stdio_problem() -> str:
    from data import load_dataset

    return next(p.problem_id for p in load_dataset(None).problems if p.fn_name is None and len(p.tests) <= 8)


def _descendants(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.append(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _start_and_wait_for_results(args: list[str], results: Path, at_least: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "run_eval.py"), *args],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if results.exists() and len(results.read_text().splitlines()) >= at_least:
            return proc
        if proc.poll() is not None:
            pytest.fail(f"harness ended early: {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no results appeared in time")


def _start_slow_run(tmp_path: Path, programs: int, at_least: int) -> tuple[subprocess.Popen, list[str], Path]:
    """`evaluate` of `programs` slow programs in the background, once `at_least` results are in:
    (its process, its arguments, to run it again, its run folder)."""
    pid = _first_stdio_problem()
    gens, out = tmp_path / "slow.jsonl", tmp_path / "run"
    _slow_generations(gens, pid, programs)
    args = ["evaluate", "--generations", str(gens), "--out", str(out), "--workers", "2", "--problems", pid]
    return _start_and_wait_for_results(args, out / "results.jsonl", at_least), args, out


def test_run_killed_with_sigkill_resumes_without_duplicates(tmp_path):
    proc, args, out = _start_slow_run(tmp_path, 12, 2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = read_jsonl(out / "results.jsonl") if (out / "results.jsonl").read_text().endswith("\n") else None
    assert main(args) == 0
    rows = read_jsonl(out / "results.jsonl")
    keys = [(r["problem_id"], r["sample_index"]) for r in rows]
    assert len(keys) == len(set(keys)) == 12
    if partial is not None:
        assert rows[: len(partial)] == partial  # finished work kept as it was
    assert all(r["verdict"] != "harness_error" for r in rows)


def test_ctrl_c_stops_cleanly_leaving_no_processes(tmp_path):
    proc, args, out = _start_slow_run(tmp_path, 30, 1)
    family = _descendants(proc.pid)
    assert family, "the executor should run in child processes"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "resume" in stderr.splitlines()[-1]
    assert "Traceback" not in stderr
    time.sleep(0.5)
    assert _alive(family) == set()
    rows = read_jsonl(out / "results.jsonl")
    assert 0 < len(rows) < 30


def test_sigterm_is_handled_like_ctrl_c_and_the_run_resumes(tmp_path):
    """A scheduler's `kill PID` (the harness alone, not its process group): one line, 143, nothing left, resumable."""
    proc, args, out = _start_slow_run(tmp_path, 30, 1)
    family = _descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    after_start = stderr[stderr.index("judging"):]
    messages = [line for line in after_start.splitlines() if line.startswith("apps-eval:")]
    assert messages == [messages[-1]] and "terminated (SIGTERM)" in messages[0] and "resume" in messages[0], stderr
    assert "Traceback" not in stderr
    time.sleep(0.5)
    assert _alive(family) == set()
    saved = read_jsonl(out / "results.jsonl")
    assert 0 < len(saved) < 30 and all(r["verdict"] != "harness_error" for r in saved)
    assert main(args) == 0
    rows = read_jsonl(out / "results.jsonl")
    assert len(rows) == 30 and rows[: len(saved)] == saved


def test_report_of_an_unfinished_run_shows_what_is_judged_so_far_marked_partial(tmp_path):
    proc, args, out = _start_slow_run(tmp_path, 30, 2)
    try:
        live = cli("report", str(out), "--format", "json")  # while the run is still writing
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert live.returncode == 0, live.stderr
    data = json.loads(live.stdout)
    judged = data["buckets"]["overall"]["samples"]
    assert 2 <= judged < 30 and data["partial"].startswith(f"unfinished run: {judged} programs of 1 problems judged so far")
    assert not (out / "summary.json").exists()
    text = cli("report", str(out)).stdout
    assert "(partial: unfinished run)" in text.splitlines()[0] and "- Partial: unfinished run: " in text
    assert main(args) == 0  # the run resumes and finishes; its report is whole again
    assert json.loads(cli("report", str(out), "--format", "json").stdout)["partial"] is None


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda d: ["evaluate", "--solutions", "--dataset", str(d / "missing.jsonl")], "missing.jsonl"),
        (lambda d: ["evaluate", "--solutions", "--dataset", str(d / "bad.jsonl")], "bad.jsonl:2"),
        (lambda d: ["evaluate", "--generations", str(d / "unknown.jsonl")], "'no-such-problem'"),
        (lambda d: ["evaluate", "--generations", str(d / "nope.jsonl")], "nope.jsonl"),
        (lambda d: ["evaluate", "--solutions", "--difficulty", "hard"], "hard"),
        (lambda d: ["evaluate", "--solutions", "--problems", "sample-999"], "sample-999"),
        (lambda d: ["report", str(d / "norun")], "norun"),
    ],
)
def test_bad_input_is_one_clear_line_not_a_traceback(tmp_path, make_args, expected):
    first_row = (REPO_ROOT / "data" / "sample" / "apps_sample.jsonl").read_text().splitlines()[0]
    (tmp_path / "bad.jsonl").write_text(first_row + "\n{broken\n")
    (tmp_path / "unknown.jsonl").write_text(json.dumps({"problem_id": "no-such-problem", "code": "print(1)"}) + "\n")
    proc = cli(*make_args(tmp_path), "--out", str(tmp_path / "o")) if make_args(tmp_path)[0] != "report" else cli(*make_args(tmp_path))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 1 and errors[0] == lines[-1] and "Traceback" not in proc.stderr, proc.stderr
    assert expected in lines[-1]


def test_resuming_with_different_limits_is_refused(reference_run):
    out, _ = reference_run
    proc = cli("evaluate", "--solutions", "--out", str(out), "--timeout", "2")
    assert proc.returncode == 1
    # every differing key, both values in full, on one line
    assert "execution.limits.timeout_s: 4.0 in the folder, 2.0 now" in proc.stderr
    assert "execution.limits.cpu_s: 5 in the folder, 3 now" in proc.stderr
    assert len(proc.stderr.strip().splitlines()[-1]) > 0 and "Traceback" not in proc.stderr


def test_apps_verdict_runs_programs_in_the_originals_environment(tmp_path):
    """The original prepends imports (math's sqrt, ...) and mocks open() to return the test input:
    programs relying on either fail under the default verdict and pass under apps_verdict."""
    reopen = ("lines = iter(open('input.txt').read().split('\\n'))\n"
              "n = int(next(lines))\nvalues = list(map(int, next(lines).split())) if n > 0 else []\n"
              "open('output.txt', 'w').write('ignored')\nprint(sum(values))\n")
    unimported = "assert sqrt(4) == 2 and deque\nn = int(input())\n" \
                 "values = list(map(int, input().split())) if n > 0 else []\nprint(sum(values))\n"
    gens = tmp_path / "gens.jsonl"
    gens.write_text("".join(json.dumps({"problem_id": "sample-001", "sample_index": i, "code": code}) + "\n"
                            for i, code in enumerate([reopen, unimported])))
    out = tmp_path / "run"
    assert main(["evaluate", "--generations", str(gens), "--out", str(out), "--timeout", "2"]) == 0
    rows = sorted(read_jsonl(out / "results.jsonl"), key=lambda r: r["sample_index"])
    assert [(r["verdict"], r["apps_verdict"]) for r in rows] == [("runtime_error", "passed")] * 2
    assert [r["first_failure"]["detail"].split(":")[0] for r in rows] == ["FileNotFoundError", "NameError"]


def test_apps_verdict_runs_a_stdin_program_as_an_imported_module_not_main(tmp_path):
    """The original loads a stdin program as a module (not __main__): code under the usual
    entry-point guard never runs there, so the APPS verdict fails it; the default verdict runs
    the real __main__ and passes it. A program that only reads __name__ keeps its output."""
    solve = "def main():\n    n = int(input())\n    values = list(map(int, input().split())) if n > 0 else []\n" \
            "    print(sum(values))\n"
    guarded = solve + "\nif __name__ == '__main__':\n    main()\n"
    unguarded = solve + "\nmain()\n"
    named = solve + "\nassert __name__ != ''\nmain()\n"
    gens = tmp_path / "gens.jsonl"
    gens.write_text("".join(json.dumps({"problem_id": "sample-001", "sample_index": i, "code": code}) + "\n"
                            for i, code in enumerate([guarded, unguarded, named])))
    out = tmp_path / "run"
    assert main(["evaluate", "--generations", str(gens), "--out", str(out), "--timeout", "2"]) == 0
    rows = sorted(read_jsonl(out / "results.jsonl"), key=lambda r: r["sample_index"])
    assert [(r["verdict"], r["apps_verdict"]) for r in rows] == [
        ("passed", "wrong_answer"), ("passed", "passed"), ("passed", "passed")]
