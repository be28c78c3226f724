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
            "--timeout", "2", "--out", str(out)]
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
