"""The Python API (harness/api.py): the README's example runs as written, options follow the CLI's rules."""
import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from tiny_model import tiny_models


def readme_example() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_against_a_local_checkpoint(tmp_path):
    shutil.copytree(tiny_models().scripted_dir, tmp_path / "my-checkpoint")
    done = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env={**__import__("os").environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "## apps-eval report: refs" in done.stdout
    lines = done.stdout.splitlines()
    judged = [line.split() for line in lines if re.match(r"^sample-\d+ 0 [a-z_]+$", line)]
    assert len(judged) == 4
    csv_header = next(line for line in lines if line.startswith("difficulty,") or line.startswith("run,"))
    assert "strict_accuracy" in csv_header
    refs = [json.loads(line) for line in (tmp_path / "runs" / "refs" / "results.jsonl").read_text().splitlines()]
    assert len(refs) == 4 and {r["verdict"] for r in refs} == {"passed"}
    from harness.storage import read_record

    record = read_record(tmp_path / "runs" / "mine" / "config.json")
    assert record.model.source == "in-memory"
    assert record.model.name == "./my-checkpoint"
    assert record.generation.decoding.max_new_tokens == 32


def test_options_are_checked_by_the_command_line_rules(tmp_path):
    from data.errors import InputError
    from harness import evaluate

    with pytest.raises(InputError, match=r"timeout=inf.*seconds"):
        evaluate(solutions=True, timeout=float("inf"), out=tmp_path / "a")
    with pytest.raises(InputError, match=r"workers=0"):
        evaluate(solutions=True, workers=0, out=tmp_path / "a")
    with pytest.raises(TypeError, match=r"unknown option\(s\) tiemout; valid: .*timeout"):
        evaluate(solutions=True, tiemout=3)
    with pytest.raises(InputError, match="exactly one of solutions=True, generations=FILE, run=DIR"):
        evaluate(limit=2)
    assert not (tmp_path / "a").exists()


def test_evaluate_report_and_compare_return_what_the_cli_prints(tmp_path):
    from harness import compare, evaluate, report

    first = evaluate(solutions=True, max_solutions=1, problems="sample-001,sample-002", out=tmp_path / "a")
    second = evaluate(solutions=True, max_solutions=1, problems=["sample-001", "sample-002"], timeout=1, out=tmp_path / "b")
    assert [r.verdict.value for r in first.results] == ["passed", "passed"]
    printed = subprocess.run([sys.executable, str(REPO_ROOT / "run_eval.py"), "report", str(tmp_path / "a"), "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
    assert json.loads(report(first, format="json")) == json.loads(printed)
    table = compare(first, second, format="md", output=tmp_path / "compare.md")
    assert (tmp_path / "compare.md").read_text().strip() == table.strip()


def test_importing_the_api_names_stays_light():
    code = "import sys; from harness import evaluate, run, report, compare, generate; " \
           "print(sorted({'torch', 'transformers', 'numpy', 'datasets'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_run_gives_the_callers_model_and_tokenizer_back_as_they_were(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness import run

    tokenizer = AutoTokenizer.from_pretrained(tiny_models().scripted_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_models().scripted_dir)
    before = (model.generation_config, tokenizer.padding_side, tokenizer.pad_token)
    done = run(model, tokenizer, limit=2, max_new_tokens=8, workers=1, out=tmp_path / "nb")
    assert len(done.results) == 2 and (tmp_path / "nb" / "generations.jsonl").is_file()
    assert (model.generation_config, tokenizer.padding_side, tokenizer.pad_token) == before
    with pytest.raises(TypeError, match="tokenizer"):
        run(model, limit=1)


def test_the_api_and_the_command_line_build_the_same_typed_options():
    from harness.cli import build_parser
    from harness.options import EvaluateOptions, ReportOptions, build_options, from_namespace

    argv = ["evaluate", "--solutions", "--timeout", "2", "--difficulty", "interview", "--sample", "4", "--seed", "3"]
    from_cli = from_namespace(build_parser().parse_args(argv))
    from_api = build_options("evaluate", {"solutions": True, "timeout": 2, "difficulty": "interview", "sample": 4, "seed": 3})
    assert isinstance(from_api, EvaluateOptions) and from_cli == from_api
    assert (from_api.timeout, from_api.difficulty, from_api.memory_mb, from_api.sandbox) == (2.0, ("interview",), 2048, "full")
    defaults = build_options("report", {"run_dir": "runs/x"})
    assert defaults == ReportOptions(run_dir=__import__("pathlib").Path("runs/x")) and defaults.notes == "full"
    assert defaults == from_namespace(build_parser().parse_args(["report", "runs/x"]))


def test_the_api_does_not_reach_into_argparse():
    for name in ("api.py", "cli.py", "options.py"):
        source = (REPO_ROOT / "harness" / name).read_text()
        assert "._actions" not in source and "_SubParsersAction" not in source and "argparse._" not in source, name
    assert "argparse" not in (REPO_ROOT / "harness" / "api.py").read_text()
