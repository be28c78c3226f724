"""config.json as a typed RunRecord: written by the real pipeline, read back strictly, one writer at a time."""
import json
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO_ROOT
from harness.cli import main
from harness.run_record import SCHEMA, Command, ProgramSource, RunRecord
from harness.storage import CONFIG_FILE, read_record
from pipeline_runs import generated_run, solutions_run


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, str(REPO_ROOT / "run_eval.py"), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=timeout)


def config_of(folder):
    return json.loads((folder / CONFIG_FILE).read_text())


def test_a_generated_run_records_the_model_as_loaded_and_round_trips():
    raw = config_of(generated_run())
    record = RunRecord.from_json(raw)
    assert record.to_json() == raw
    assert raw["schema"] == SCHEMA and record.command is Command.RUN
    assert record.programs.source is ProgramSource.GENERATED
    assert record.model.name.endswith("scripted") and record.model.source == "local"
    assert (record.model.dtype, record.model.device) == ("float32", "cpu")
    assert record.generation.template.name == "custom" and "{question}" in record.generation.template.text
    assert record.generation.decoding.n_samples == 2 and record.generation.decoding.temperature == 0.8
    assert record.isolation is not None and record.isolation.short()
    assert record.timings.started_at and record.timings.finished_at >= record.timings.started_at
    assert record.command_line[0] == "run" and "torch" in record.versions


def test_the_isolation_line_names_a_memory_cgroup_only_where_one_held():
    """Not from a mere mention: without a group the bound's text says "no memory cgroup"."""
    record = RunRecord.from_json(config_of(solutions_run()))
    bound = record.isolation.details["memory_bound"]
    held = bound.startswith("memory cgroup")
    assert record.isolation.cgroup_memory is held
    assert ("cgroup memory" in record.isolation.short()) is held
    assert ("no memory cgroup" in record.isolation.short()) is not held
    assert record.isolation.details["cpu_accounting"]  # which CPU accounting held, recorded


def test_a_record_without_optional_parts_still_loads(tmp_path):
    raw = config_of(solutions_run())
    for key in ("isolation", "timings", "versions", "command_line", "model", "generation"):
        raw.pop(key, None)
    del raw["programs"]["only_given_problems"]
    record = RunRecord.from_json(raw)
    assert record.isolation is None and record.model is None and record.programs.only_given_problems is False


@pytest.mark.parametrize("change, message", [
    (lambda raw: raw.update(schema="apps-eval-run/0"), "schema 'apps-eval-run/0' is not"),
    (lambda raw: raw.pop("schema"), "schema None is not"),
    (lambda raw: raw["dataset"].update(problems="many"), "dataset.problems: expected int, got 'many'"),
    (lambda raw: raw["programs"].update(source="magic"), "programs.source: 'magic' is not one of generated, solutions"),
    (lambda raw: raw["dataset"].pop("fingerprint"), "dataset.fingerprint: missing"),
])
def test_a_bad_config_json_is_a_one_line_error_naming_file_and_field(tmp_path, change, message):
    folder = tmp_path / "run"
    assert main(["evaluate", "--solutions", "--problems", "sample-001", "--workers", "1", "--out", str(folder)]) == 0
    raw = config_of(folder)
    change(raw)
    (folder / CONFIG_FILE).write_text(json.dumps(raw))
    proc = cli("report", str(folder))
    assert proc.returncode == 1
    line, = proc.stderr.strip().splitlines()
    assert line.startswith(f"apps-eval: error: {folder / CONFIG_FILE}: ") and message in line


def _sleeper_generations(path, problem_id="sample-001"):
    path.write_text(json.dumps({"problem_id": problem_id, "code": "import time\ntime.sleep(60)\n"}) + "\n")


def test_a_second_command_on_the_same_folder_is_refused_naming_the_first(tmp_path):
    out, programs = tmp_path / "run", tmp_path / "slow.jsonl"
    _sleeper_generations(programs)
    args = ["evaluate", "--generations", str(programs), "--problems", "sample-001", "--timeout", "20", "--workers", "1",
            "--out", str(out)]
    first = subprocess.Popen([sys.executable, str(REPO_ROOT / "run_eval.py"), *args], cwd=REPO_ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ((out / ".lock").is_file() and (out / ".lock").read_text()):
            assert time.monotonic() < deadline and first.poll() is None, "the first command never took the lock"
            time.sleep(0.1)
        second = cli(*args)
        assert second.returncode == 1
        line = second.stderr.strip().splitlines()[-1]
        assert f"is in use by another apps-eval command (pid {first.pid}: apps-eval evaluate --generations" in line
        assert not (out / "results.jsonl").exists() or (out / "results.jsonl").read_text() == ""
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
    assert (out / ".lock").read_text() == ""  # released: the next command may write


def test_a_failed_start_does_not_lock_out_the_corrected_command(tmp_path):
    from tiny_model import tiny_models

    out = tmp_path / "run"
    common = ["--limit", "1", "--max-new-tokens", "8", "--workers", "1", "--out", str(out)]
    bad = cli("run", "--model", str(tmp_path / "no-such-model"), *common)
    assert bad.returncode == 1 and "cannot load model" in bad.stderr
    assert main(["run", "--model", str(tiny_models().scripted_dir), *common]) == 0
    record = read_record(out / CONFIG_FILE)
    assert record.generation.model == str(tiny_models().scripted_dir) and record.model is not None


def test_a_folder_with_work_keeps_refusing_other_settings_with_every_difference(tmp_path):
    out = tmp_path / "run"
    assert main(["evaluate", "--solutions", "--problems", "sample-001", "--workers", "1", "--out", str(out)]) == 0
    proc = cli("evaluate", "--solutions", "--problems", "sample-001", "--workers", "1", "--out", str(out),
               "--memory-mb", "512", "--max-output-kb", "64")
    assert proc.returncode == 1
    line = proc.stderr.strip().splitlines()[-1]
    assert "execution.limits.memory_mb: 2048 in the folder, 512 now" in line
    assert "execution.limits.max_output_bytes: 4194304 in the folder, 65536 now" in line
