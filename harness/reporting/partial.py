"""Reports of a run that has not finished (still running, interrupted, or killed): what is judged so far.

summary.json is written when a command finishes; until then a report is computed from the
rows of results.jsonl, over the problems that have a result, and says so (RunFolder.partial).
"""
from __future__ import annotations

from pathlib import Path

from harness.errors import RunFolderError
from harness.reporting.metrics import summarize
from harness.storage import (
    CONFIG_FILE, GENERATIONS_FILE, RESULTS_FILE, SUMMARY_FILE, RunFolder, iter_jsonl, load_run, read_record, read_results,
)


def load_run_so_far(path: Path) -> RunFolder:
    """A finished run as load_run reads it; an unfinished one with a summary of its results so far, marked partial."""
    path = Path(path)
    if (path / SUMMARY_FILE).is_file() or not (path / CONFIG_FILE).is_file():
        return load_run(path)
    record = read_record(path / CONFIG_FILE)
    results = read_results(path / RESULTS_FILE, read_only=True)
    if not results:
        raise RunFolderError(f"{path}: an unfinished run with nothing judged yet (no rows in {RESULTS_FILE})")
    problems = len({r.problem_id for r in results})
    note = (f"unfinished run: {len(results)} programs of {problems} problems judged so far"
            + _generated_note(path) + f"; problems not judged yet are left out (of {record.dataset.problems} selected)")
    return RunFolder(path, record, results, summarize(results), partial=note)


def _generated_note(path: Path) -> str:
    generations = path / GENERATIONS_FILE
    if not generations.is_file():
        return ""
    return f", of {sum(1 for _ in iter_jsonl(generations, complete_only=True))} generated so far"
