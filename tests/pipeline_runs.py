"""Run folders made by the real pipeline (CLI, sandbox, tiny model), shared by the report tests.

Report and compare tests must read records the pipeline wrote, never hand-made config dicts:
`write_run` puts hand-computed results next to one of these real records.
"""
from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

from harness.cli import main
from harness.records import SampleResult
from harness.reporting.metrics import summarize
from harness.run_record import RunRecord
from harness.storage import CONFIG_FILE, RESULTS_FILE, SUMMARY_FILE, load_run, read_record, write_json_atomic

# A custom template full of characters that mean something in Markdown, LaTeX and matplotlib.
HOSTILE_TEMPLATE = "| *bold* _x_ # $5 & 100% \\ ~ ^ {{}} <b> `tick` é Δ\nQ: {question}\n{starter_code}{format}\nANSWER:\n"


@functools.lru_cache(maxsize=None)
def _root() -> Path:
    import atexit

    root = Path(tempfile.mkdtemp(prefix="apps-eval-runs-"))
    atexit.register(shutil.rmtree, root, True)
    return root


@functools.lru_cache(maxsize=None)
def solutions_run() -> Path:
    """evaluate --solutions on two sample problems."""
    out = _root() / "solutions"
    assert main(["evaluate", "--solutions", "--problems", "sample-001,sample-002", "--workers", "2", "--out", str(out)]) == 0
    return out


@functools.lru_cache(maxsize=None)
def generated_run() -> Path:
    """run with the tiny scripted model, sampling 2 programs per problem under a hostile custom template."""
    from tiny_model import tiny_models

    out = _root() / "generated"
    args = ["run", "--model", str(tiny_models().scripted_dir), "--limit", "3", "--n-samples", "2", "--temperature", "0.8",
            "--top-p", "0.95", "--max-new-tokens", "16", "--template", HOSTILE_TEMPLATE, "--workers", "2",
            "--timeout", "2", "--device", "cpu", "--out", str(out)]
    assert main(args) == 0
    return out


def generated_record() -> RunRecord:
    return read_record(generated_run() / CONFIG_FILE)


def write_run(folder: Path, results: list[SampleResult], record: RunRecord | None = None, summary: dict | None = None):
    """A run folder holding `results` (hand-made numbers) under a record the pipeline wrote."""
    folder.mkdir(parents=True)
    write_json_atomic(folder / CONFIG_FILE, (record or generated_record()).to_json())
    (folder / RESULTS_FILE).write_text("".join(json.dumps(r.to_json()) + "\n" for r in results))
    write_json_atomic(folder / SUMMARY_FILE, summary or summarize(results).to_json())
    return load_run(folder)


# Printed by a program of memorization_runs(): markup that would run if a report parsed it as HTML.
HOSTILE_PRINT = ('<script>document.body.setAttribute("data-pwned", "script")</script>'
                 '<img src=x onerror="document.body.setAttribute(\'data-pwned\', \'img\')">\u2028</script><!--')
FOUR_PROBLEMS = "sample-001,sample-002,sample-003,sample-004"


@functools.lru_cache(maxsize=None)
def memorization_runs() -> tuple[Path, Path, Path]:
    """Two `evaluate --generations` runs of the same four sample problems, and `evaluate --solutions` of them (validity).

    "train-only" (the baseline): a program printing HOSTILE_PRINT to stdout and stderr (runtime error), a short wrong
    program, an own correct one, a wrong one. "all-data": the reference of 001, a short wrong program `print(t + 1)`
    (scores high, too short to be a copy), the same correct one, and a renamed copy of 004's reference (passes:
    a copy). Solved by all-data only: 001, 004; by both: 003; by neither: 002."""
    from renamed_copies import renamed_copy

    from data import load_dataset

    refs = {p.problem_id: p.solutions for p in load_dataset(None, problem_ids=FOUR_PROBLEMS.split(",")).problems}
    own_003 = ("import sys\nlines = sys.stdin.read().split('\\n')\n"
               "for line in lines[1:1 + int(lines[0])]:\n    print(len([c for c in line.lower() if c in 'aeiou']))\n")
    hostile = (f"import sys\nevil = {HOSTILE_PRINT!r}\nprint(evil)\nsys.stderr.write('Traceback: ' + evil + '\\n')\n"
               "raise SystemExit(1)\n")
    programs = {
        "train-only": [hostile, "t = int(input())\nprint(t - 1)\n", own_003,
                       "n, a, b = map(int, input().split())\nfor i in range(1, n + 1):\n    print(i)\n"],
        "all-data": [refs["sample-001"][0], "t = int(input())\nprint(t + 1)\n", own_003, renamed_copy(refs["sample-004"][0])],
    }
    outs = []
    for name, codes in programs.items():
        path = _root() / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"problem_id": f"sample-00{i + 1}", "code": c}) + "\n" for i, c in enumerate(codes)))
        out = _root() / name
        assert main(["evaluate", "--generations", str(path), "--problems", FOUR_PROBLEMS, "--workers", "2", "--timeout", "2",
                     "--out", str(out)]) == 0
        outs.append(out)
    refs_out = _root() / "four-references"
    assert main(["evaluate", "--solutions", "--problems", FOUR_PROBLEMS, "--max-solutions", "1", "--workers", "2",
                 "--timeout", "2", "--out", str(refs_out)]) == 0
    return outs[0], outs[1], refs_out
