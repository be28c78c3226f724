"""Run-folder files: append-only JSONL that survives kill -9, atomic JSON, resume keys."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from sandbox.records import Verdict

from harness.errors import RunFolderError
from harness.record_codec import RecordError
from harness.records import Candidate, RunSummary, SampleResult
from harness.run_record import RunRecord

CONFIG_FILE = "config.json"
GENERATIONS_FILE = "generations.jsonl"
PROMPTS_FILE = "prompts.jsonl"  # {prompt_hash, problem_id, prompt}: each exact prompt text once
RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
VALIDITY_FILE = "validity.json"


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise RunFolderError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise RunFolderError(f"{path}: JSON nested too deeply to read") from None


def _repair_torn_tail(path: Path) -> None:
    """Drop a final line cut short by a crash (no trailing newline), so appends stay valid."""
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        data_start = max(0, size - (1 << 20))
        while True:
            fh.seek(data_start)
            chunk = fh.read(size - data_start)
            cut = chunk.rfind(b"\n")
            if cut >= 0 or data_start == 0:
                fh.truncate(data_start + cut + 1 if cut >= 0 else 0)
                return
            data_start = max(0, data_start - (1 << 20))


def iter_jsonl(path: Path, *, repair: bool = False, complete_only: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object). A malformed line raises an error naming file and line.

    repair: first cut a torn last line off the file; complete_only: read-only, a last line
    without its newline (being written now, or torn) is not read."""
    if repair and path.exists():
        _repair_torn_tail(path)
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        for line_no, line in enumerate(fh, 1):
            if complete_only and not line.endswith("\n"):
                break
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RunFolderError(f"{path}:{line_no}: malformed JSON ({exc.msg})") from None
            except RecursionError:
                raise RunFolderError(f"{path}:{line_no}: JSON nested too deeply to read") from None
            if not isinstance(obj, dict):
                raise RunFolderError(f"{path}:{line_no}: expected a JSON object, got {type(obj).__name__}")
            yield line_no, obj


class JsonlAppender:
    """Appends one record per line and flushes it at once, so a crash loses at most one line."""

    def __init__(self, path: Path) -> None:
        if path.exists():
            _repair_torn_tail(path)
        self._fh = path.open("a", encoding="utf-8")

    def append(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "JsonlAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(path: Path, *, read_only: bool = False) -> list[SampleResult]:
    """results.jsonl, keeping the first row of each (problem_id, sample_index).

    A `harness_error` row (the harness's fault, not the program's) gives way to a later
    row of the same program: resuming a run judges such programs again. read_only: the file
    may be in the middle of being written (a report of a running run); it is not touched.
    """
    rows: dict[tuple[str, int], SampleResult] = {}
    if not path.exists():
        return []
    for line_no, obj in iter_jsonl(path, repair=not read_only, complete_only=read_only):
        try:
            result = SampleResult.from_json(obj)
        except (KeyError, ValueError, TypeError) as exc:
            raise RunFolderError(f"{path}:{line_no}: not a result row ({exc!r})") from None
        kept = rows.get(result.key)
        if kept is None or kept.verdict is Verdict.HARNESS_ERROR:
            rows[result.key] = result
    return list(rows.values())


def read_candidates(path: Path, *, repair: bool = False) -> list[Candidate]:
    """A generations file: {"problem_id", "sample_index"?, "code"} per line (see candidates_from_rows)."""
    return candidates_from_rows((f"{path}:{line_no}", obj) for line_no, obj in iter_jsonl(path, repair=repair))


def candidates_from_rows(rows: Iterable[tuple[str, dict[str, Any]]]) -> list[Candidate]:
    """Candidates from (where, row) pairs, `where` naming the row in error messages.

    A missing sample_index is the order of appearance within its problem. Duplicate
    (problem_id, sample_index) pairs are an error, since they would be judged twice.
    """
    next_index: dict[str, int] = {}
    seen: set[tuple[str, int]] = set()
    out = []
    for where, obj in rows:
        pid, code = obj.get("problem_id"), obj.get("code")
        if pid is None or code is None:
            missing = [k for k in ("problem_id", "code") if obj.get(k) is None]
            raise RunFolderError(f"{where}: missing field {', '.join(missing)}")
        if not isinstance(code, str):
            raise RunFolderError(f"{where}: 'code' must be a string, got {type(code).__name__}")
        pid = str(pid)
        index = obj.get("sample_index", next_index.get(pid, 0))
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise RunFolderError(f"{where}: 'sample_index' must be a non-negative integer, got {index!r}")
        if (pid, index) in seen:
            raise RunFolderError(f"{where}: duplicate program {pid} sample {index}")
        seen.add((pid, index))
        next_index[pid] = max(next_index.get(pid, 0), index + 1)
        out.append(Candidate.from_json({**obj, "problem_id": pid, "sample_index": index}))
    return out


def read_record(path: Path) -> RunRecord:
    """config.json as a RunRecord; one-line RunFolderError naming the file otherwise."""
    try:
        return RunRecord.from_json(read_json(path))
    except RecordError as exc:
        raise RunFolderError(f"{path}: {exc}") from None


def read_summary(path: Path) -> RunSummary:
    try:
        return RunSummary.from_json(read_json(path))
    except RecordError as exc:
        raise RunFolderError(f"{path}: {exc}") from None


@dataclass(frozen=True, slots=True)
class RunFolder:
    """What report/compare read back from a finished run folder."""

    path: Path
    record: RunRecord
    results: list[SampleResult]
    summary: RunSummary
    partial: str | None = None  # an unfinished run (see harness/reporting/partial.py): what is judged so far


def load_run(path: Path) -> RunFolder:
    path = Path(path)
    if not path.is_dir():
        raise RunFolderError(f"{path}: not a run folder (no such directory)")
    for name in (CONFIG_FILE, RESULTS_FILE, SUMMARY_FILE):
        if not (path / name).is_file():
            raise RunFolderError(f"{path}: not a finished run folder (no {name})")
    return RunFolder(path, read_record(path / CONFIG_FILE), read_results(path / RESULTS_FILE), read_summary(path / SUMMARY_FILE))
