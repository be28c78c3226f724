"""A dataset larger than what the harness holds in memory is judged, and resumed, exactly (issue 20, item 4).

The real CLI judges a codeparrot-style file of about 250 MB of test data in a child process whose
own peak RSS (VmHWM of the harness process alone, not of its sandbox workers) must stay
below the data's size; the first attempt is killed with SIGKILL part way, and the resumed run
must end with every program judged exactly once. The programs count their input's tokens, so
every test's data crosses the sandbox and a test judged against another problem's data fails.
"""
import json
import os
import signal
import subprocess
import sys
import time

from conftest import REPO_ROOT

PROBLEMS = 32
TESTS = 3
LINE = "123456789 234567891 345678912 456789123\n"
PROGRAM = "import sys\nprint(len(sys.stdin.buffer.read().split()))\n"
# The harness's own peak RSS: VmHWM of this process's memory since its exec. (Not ru_maxrss: after
# a fork from a big parent such as pytest with torch loaded, that counts the parent's pages too.)
MEASURED = (
    "import runpy, sys\n"
    "sys.argv = ['run_eval.py', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_path('run_eval.py', run_name='__main__')\n"
    "finally:\n"
    "    hwm = [line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0]\n"
    "    print('PEAK_RSS_KB', hwm, file=sys.stderr)\n"
)


def write_inputs(folder):
    """(dataset, programs, characters of test data): problem i's tests hold 2.0-3.3 MB each."""
    data, programs = folder / "big.jsonl", folder / "programs.jsonl"
    total = 0
    with data.open("w") as out, programs.open("w") as progs:
        for pid in range(PROBLEMS):
            lines = 50_000 + 1_000 * pid
            inputs = [f"{pid} {t}\n" + LINE * (lines + t) for t in range(TESTS)]
            outputs = [f"{2 + 4 * (lines + t)}\n" for t in range(TESTS)]
            total += sum(map(len, inputs)) + sum(map(len, outputs))
            row = {"problem_id": pid, "question": f"Count the tokens ({pid}).", "solutions": "[]", "difficulty": "interview",
                   "input_output": json.dumps({"inputs": inputs, "outputs": outputs}), "url": "", "starter_code": ""}
            out.write(json.dumps(row) + "\n")
            progs.write(json.dumps({"task_id": pid, "solution": PROGRAM}) + "\n")
    return data, programs, total


def command(data, programs, out):
    return [sys.executable, "-c", MEASURED, "evaluate", "--generations", str(programs), "--dataset", str(data),
            "--out", str(out), "--workers", "2", "--timeout", "10"]


def environment():
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def result_rows(out):
    path = out / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def test_a_dataset_larger_than_the_harness_memory_is_judged_and_resumed_exactly(tmp_path):
    data, programs, total = write_inputs(tmp_path)
    out = tmp_path / "run"
    first = subprocess.Popen(command(data, programs, out), cwd=REPO_ROOT, env=environment(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    while len(result_rows(out)) < 4 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    interrupted = len(result_rows(out))
    assert 4 <= interrupted < PROBLEMS, interrupted

    resumed = subprocess.run(command(data, programs, out), cwd=REPO_ROOT, env=environment(), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    peak = next(int(line.split()[1]) * 1024 for line in resumed.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    assert peak < total, f"harness peak RSS {peak / 1e6:.0f} MB for {total / 1e6:.0f} MB of test data"

    rows = result_rows(out)
    keys = [(r["problem_id"], r["sample_index"]) for r in rows]
    assert sorted(keys) == sorted((str(pid), 0) for pid in range(PROBLEMS))  # each exactly once, none lost
    assert {r["verdict"] for r in rows} == {"passed"} and all(r["tests_total"] == TESTS for r in rows)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["strict_accuracy"] == 1.0
