"""The command line with bad or unusual values, through real processes: the CLI as users call it."""
import json
import os
import signal
import subprocess
import sys
import time
from importlib import metadata

import pytest

from conftest import REPO_ROOT
from harness.storage import read_record

RUN_EVAL = str(REPO_ROOT / "run_eval.py")


def cli(*args, env=None, timeout=120, **kwargs):
    return subprocess.run([sys.executable, RUN_EVAL, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=kwargs.pop("cwd", REPO_ROOT), **kwargs)


def error_lines(stderr):
    return [line for line in stderr.splitlines() if "error" in line]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "1e9", "four"])
def test_unusable_timeouts_are_one_line_usage_errors(value):
    done = cli("evaluate", "--solutions", f"--timeout={value}")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--timeout" in done.stderr and repr(value) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("option, value", [("--temperature", "inf"), ("--top-p", "nan")])
def test_non_finite_decoding_values_are_usage_errors(option, value):
    done = cli("generate", option, value)
    assert done.returncode == 2 and option in done.stderr and "finite" in done.stderr


def test_verbose_works_before_and_after_the_command_and_its_arguments(tmp_path):
    out = tmp_path / "refs"
    first = cli("-v", "evaluate", "--solutions", "--problems", "sample-001", "--out", out)
    assert first.returncode == 0, first.stderr
    resumed = cli("evaluate", "--solutions", "--problems", "sample-001", "--out", out, "-v")
    assert resumed.returncode == 0, resumed.stderr
    report = cli("report", out, "--verbose")
    assert report.returncode == 0 and "sample" in report.stdout


def test_version_is_the_installed_distribution():
    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"apps-eval {metadata.version('apps-eval')}"


def test_help_shows_defaults_examples_and_the_accepted_program_files():
    done = cli("evaluate", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for expected in ("--timeout SECONDS CPU seconds per test, of the program's whole process tree (threads and children"
                     " included) (default: 4.0)", "--sandbox {full,weak}", "(default: 2048)",
                     "examples:", "apps-eval evaluate --solutions", "bigcode-evaluation-harness", "EvalPlus",
                     "--skip-bad-rows", "-v, --verbose"):
        assert expected in text
    run_help = " ".join(cli("run", "--help").stdout.split())
    assert "--n-samples N programs per problem (pass@k up to k=N) (default: 1)" in run_help
    assert "--temperature TEMPERATURE 0 = greedy (default: 0.0)" in run_help


def test_five_hundred_workers_are_capped_to_the_programs(tmp_path):
    out = tmp_path / "refs"
    done = cli("evaluate", "--solutions", "--problems", "sample-001,sample-002", "--max-solutions", "1",
               "--workers", "500", "--out", out)
    assert done.returncode == 0, done.stderr
    record = read_record(out / "config.json")
    assert record.execution.workers == 500  # what was asked, recorded
    assert record.isolation.workers == 2  # what ran: one per program
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["verdict"] for r in rows) == ["passed", "passed"]


def test_judging_works_when_the_pipes_get_descriptors_above_1024(tmp_path):
    """select() cannot watch descriptors >= 1024; a harness holding many files (or many
    workers' pipes) must still talk to its workers."""
    out = tmp_path / "refs"
    code = (
        "import os, resource, sys\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))\n"
        "held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]\n"
        "assert max(held) > 1024\n"
        "from harness.cli import main\n"
        f"sys.exit(main(['evaluate', '--solutions', '--limit', '3', '--workers', '2', '--out', {str(out)!r}]))\n"
    )
    soft, hard = __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)
    if hard != __import__("resource").RLIM_INFINITY and hard < 1200:
        pytest.skip(f"the descriptor limit ({hard}) is too low for this test")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert rows and {r["verdict"] for r in rows} == {"passed"}


def test_ctrl_c_prints_one_line_and_the_run_resumes(tmp_path):
    programs = tmp_path / "slow.jsonl"
    ids = [f"sample-{i:03d}" for i in range(1, 13)]
    with programs.open("w") as fh:
        for pid in ids:
            for k in range(4):
                fh.write(json.dumps({"problem_id": pid, "sample_index": k, "code": "import time\ntime.sleep(0.4)\n"}) + "\n")
    out = tmp_path / "run"
    args = [sys.executable, RUN_EVAL, "evaluate", "--generations", str(programs), "--workers", "2", "--out", str(out)]
    # A terminal's Ctrl-C signals the whole foreground process group: do the same.
    proc = subprocess.Popen(args, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 2):
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    after_start = stderr[stderr.index("judging"):]  # the lines before describe the dataset and the file
    messages = [line for line in after_start.splitlines() if line.startswith("apps-eval:")]
    assert len(messages) == 1 and "interrupted" in messages[0], stderr[-2000:]
    assert "harness error" not in stderr and "Traceback" not in stderr
    saved = [json.loads(line) for line in results.read_text().splitlines()]
    assert saved and all(r["verdict"] != "harness_error" for r in saved)
    assert len(saved) < len(ids) * 4
    resumed = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    final = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(final) == len(ids) * 4 and final[: len(saved)] == saved


def test_a_hub_model_id_fails_in_seconds_with_one_message_when_the_hub_is_unreachable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "hf-home"))  # port 9: nothing listens
    started = time.monotonic()
    done = cli("generate", "--model", "someone/no-such-model", "--limit", "1", "--out", tmp_path / "gen", env=env)
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    errors = error_lines(done.stderr)
    assert len(errors) == 1, done.stderr
    assert "someone/no-such-model" in errors[0] and "not reachable" in errors[0] and "cache" in errors[0]
    assert "Retrying" not in done.stderr
    assert elapsed < 30, f"took {elapsed:.0f} s"  # retried downloads took 52 s


def _sample_rows(n):
    lines = (REPO_ROOT / "data" / "sample" / "apps_sample.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines[:n]]


def test_a_bad_dataset_row_is_named_by_id_and_line_and_can_be_skipped(tmp_path):
    rows = _sample_rows(3)
    bad = dict(rows[1], difficulty="legendary")
    dataset = tmp_path / "problems.jsonl"
    dataset.write_text("\n".join([json.dumps(rows[0]), json.dumps(bad), "{not json", json.dumps(rows[2])]) + "\n")
    out = tmp_path / "refs"
    refused = cli("evaluate", "--solutions", "--dataset", dataset, "--out", out)
    assert refused.returncode == 1
    [line] = error_lines(refused.stderr)
    assert f"problem {rows[1]['problem_id']} ({dataset}:2)" in line and "legendary" in line
    assert "--skip-bad-rows" in line and "Traceback" not in refused.stderr

    done = cli("evaluate", "--solutions", "--dataset", dataset, "--skip-bad-rows", "--out", out)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    excluded = summary["run"]["excluded_problems"]
    assert set(excluded) == {rows[1]["problem_id"], f"{dataset}:3"}
    assert "legendary" in excluded[rows[1]["problem_id"]] and "invalid JSON" in excluded[f"{dataset}:3"]
    assert summary["overall"]["problems"] == 2
    assert read_record(out / "config.json").dataset.skip_bad_rows is True


def test_a_dataset_line_that_is_not_utf8_is_named_by_line(tmp_path):
    rows = _sample_rows(2)
    dataset = tmp_path / "problems.jsonl"
    dataset.write_bytes(b"\xef\xbb\xbf" + json.dumps(rows[0]).encode() + b"\r\n" + b'{"problem_id": "\xff"}\r\n'
                        + json.dumps(rows[1]).encode() + b"\r\n")
    refused = cli("evaluate", "--solutions", "--dataset", dataset, "--out", tmp_path / "a")
    assert refused.returncode == 1
    [line] = error_lines(refused.stderr)
    assert f"{dataset}:2: not UTF-8" in line
    done = cli("evaluate", "--solutions", "--dataset", dataset, "--skip-bad-rows", "--out", tmp_path / "b")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["overall"]["problems"] == 2


def test_a_cached_hub_model_loads_from_the_cache_when_the_hub_is_unreachable(tmp_path):
    import shutil

    from tiny_model import tiny_models

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf-home" / "hub" / "models--someone--tiny"
    shutil.copytree(tiny_models().scripted_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "hf-home"))
    out = tmp_path / "gen"
    done = cli("generate", "--model", "someone/tiny", "--limit", "1", "--max-new-tokens", "8", "--out", out, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Retrying" not in done.stderr
    model = read_record(out / "config.json").model
    assert model.source == "hub-cache" and model.name == "someone/tiny"
    assert model.commit_hash == commit
    assert (out / "generations.jsonl").read_text().count("\n") == 1
