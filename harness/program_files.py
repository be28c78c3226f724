"""Programs files of this and other tools -> Candidates. The shape is detected from the content.

Accepted shapes (FORMATS):
- apps-eval JSONL: {"problem_id", "sample_index"?, "code"} per line (what `generate` writes);
- a JSON array of those rows;
- the APPS repository's {"<index>": [code, ...]} (a single code string is accepted too), the
  index being the problem's position in the dataset (its split, in source order);
- bigcode-evaluation-harness's [[code, ...], ...]: one list per problem, in dataset order;
- EvalPlus-style JSONL: {"task_id", "solution"} or {"task_id", "completion"} per line,
  task_id being the problem id; samples numbered in order of appearance.

Every program then has a fenced ``` block replaced by its content (as `run` does with model
output). A UTF-8 byte-order mark and CRLF line ends are accepted; bytes that are not UTF-8 are
an error naming the file and line.
"""
from __future__ import annotations

import enum
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from harness.generation.extract import extract_program
from harness.records import Candidate
from harness.errors import ProgramsFileError
from harness.storage import candidates_from_rows


class ProgramsFormat(str, enum.Enum):
    APPS_EVAL_JSONL = "apps-eval-jsonl"
    APPS_EVAL_ARRAY = "apps-eval-json-array"
    APPS_INDEX = "apps-repo-index"
    BIGCODE = "bigcode-list-of-lists"
    EVALPLUS = "evalplus-jsonl"

    @property
    def positional(self) -> bool:
        """Programs are keyed by the problem's position in the dataset, not by its id."""
        return self in (ProgramsFormat.APPS_INDEX, ProgramsFormat.BIGCODE)


FORMATS = (
    'apps-eval JSONL {"problem_id", "sample_index"?, "code"} per line (or a JSON array of such rows); '
    'the APPS repository\'s {"<index>": [code, ...]}; bigcode-evaluation-harness\'s [[code, ...], ...]; '
    'EvalPlus-style JSONL {"task_id", "solution" or "completion"}'
)


@dataclass(frozen=True, slots=True)
class ProgramsFile:
    """A programs file as read: its detected format and its rows, before ids are resolved.

    `rows` are (where, row) pairs; a positional format's rows carry "position" instead of
    "problem_id" until `candidates` maps positions to ids.
    """

    path: Path
    format: ProgramsFormat
    rows: tuple[tuple[str, dict[str, Any]], ...]

    def candidates(self, problem_order: Callable[[], Sequence[str | None]]) -> list[Candidate]:
        """The programs, fenced blocks stripped. `problem_order()` gives the problem ids in
        dataset order (None for a row that is not a problem); called only for positional formats."""
        rows: Iterator[tuple[str, dict[str, Any]]] = iter(self.rows)
        if self.format.positional:
            rows = self._by_position(problem_order())
        return [replace(c, code=extract_program(c.code)) for c in candidates_from_rows(rows)]

    def _by_position(self, order: Sequence[str | None]) -> Iterator[tuple[str, dict[str, Any]]]:
        for where, row in self.rows:
            position = row["position"]
            if position >= len(order):
                raise ProgramsFileError(
                    f"{where}: problem position {position}, but the dataset has {len(order)} problems "
                    "(positions count from 0 in dataset order; pass the --dataset and --split the file was made for)"
                )
            if order[position] is not None:
                yield where, {"problem_id": order[position], "sample_index": row["sample_index"], "code": row["code"]}


def read_programs_file(path: Path) -> ProgramsFile:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProgramsFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    text = _decode(path, raw)
    if not text.strip():
        raise ProgramsFileError(f"{path}: empty file (accepted: {FORMATS})")
    whole = _parse_whole(path, text)
    if isinstance(whole, dict) and not _is_row(whole):
        return ProgramsFile(path, ProgramsFormat.APPS_INDEX, tuple(_index_rows(path, whole)))
    if isinstance(whole, dict):  # a single row (possibly spread over several lines)
        return ProgramsFile(path, *_rows(iter([(f"{path}:1", whole)]), ProgramsFormat.APPS_EVAL_JSONL))
    if isinstance(whole, list):
        return _from_array(path, whole)
    return _from_lines(path, text)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw.count(b"\n", 0, offset) + 1
        raise ProgramsFileError(f"{path}:{line}: not UTF-8 text ({exc.reason}, byte 0x{raw[offset]:02x})") from None


_NOT_ONE_VALUE = object()


def _parse_whole(path: Path, text: str) -> Any:
    """The file as one JSON value, or _NOT_ONE_VALUE when it holds several (JSON lines)."""
    try:
        return _loads(str(path), text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            return _NOT_ONE_VALUE
        if text.lstrip().startswith(("[", "{")):
            raise ProgramsFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        raise ProgramsFileError(f"{path}: not a programs file (accepted: {FORMATS})") from None


def _loads(where: str, text: str) -> Any:
    """json.loads; JSON the parser cannot hold (nesting past Python's recursion limit, integers
    past its digit limit) is a one-line error naming `where`, not an internal exception."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ProgramsFileError(f"{where}: JSON nested too deeply to read (no programs file nests more than "
                                "a few levels)") from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer of more digits than int() converts
        raise ProgramsFileError(f"{where}: an integer of more than {sys.get_int_max_str_digits()} digits "
                                "(no programs file holds one)") from None


def _is_row(obj: dict[str, Any]) -> bool:
    return "problem_id" in obj or "task_id" in obj


def _codes(where: str, value: Any) -> list[str]:
    codes = [value] if isinstance(value, str) else value
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ProgramsFileError(f"{where}: expected a list of program texts, got {_kind(value)}")
    return codes


def _index_rows(path: Path, whole: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, value in whole.items():
        if not key.strip().isdigit():
            raise ProgramsFileError(
                f"{path}: key {key!r} is not a problem position and the object is no row (accepted: {FORMATS})"
            )
        where = f"{path}: key {key!r}"
        for index, code in enumerate(_codes(where, value)):
            yield f"{where} program {index}", {"position": int(key), "sample_index": index, "code": code}


def _from_array(path: Path, items: list[Any]) -> ProgramsFile:
    if not items:
        raise ProgramsFileError(f"{path}: an empty JSON array holds no programs")
    if all(isinstance(item, list) for item in items):
        rows = [
            (f"{path}: list {position} program {index}", {"position": position, "sample_index": index, "code": code})
            for position, item in enumerate(items)
            for index, code in enumerate(_codes(f"{path}: list {position}", item))
        ]
        return ProgramsFile(path, ProgramsFormat.BIGCODE, tuple(rows))
    if all(isinstance(item, dict) for item in items):
        fmt, rows = _rows(((f"{path}: item {i}", item) for i, item in enumerate(items)), ProgramsFormat.APPS_EVAL_ARRAY)
        return ProgramsFile(path, fmt, rows)
    raise ProgramsFileError(
        f"{path}: a JSON array must hold only lists of programs or only row objects, got {_kind(items[0])} first "
        f"(accepted: {FORMATS})"
    )


def _from_lines(path: Path, text: str) -> ProgramsFile:
    def lines() -> Iterator[tuple[str, Any]]:
        for line_no, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{line_no}", _loads(f"{path}:{line_no}", line)
            except json.JSONDecodeError as exc:
                raise ProgramsFileError(f"{path}:{line_no}: malformed JSON ({exc.msg})") from None

    fmt, rows = _rows(lines(), ProgramsFormat.APPS_EVAL_JSONL)
    return ProgramsFile(path, fmt, rows)


def _rows(items: Iterator[tuple[str, Any]], ours: ProgramsFormat) -> tuple[ProgramsFormat, tuple]:
    """Rows of one kind: ours ({problem_id, code}) or EvalPlus ({task_id, solution|completion})."""
    fmt, rows = None, []
    for where, item in items:
        if not isinstance(item, dict) or not _is_row(item):
            raise ProgramsFileError(f"{where}: not a program row: {_kind(item)} (accepted: {FORMATS})")
        kind = ours if "problem_id" in item else ProgramsFormat.EVALPLUS
        if fmt is not None and kind is not fmt:
            raise ProgramsFileError(f"{where}: a {kind.value} row in a {fmt.value} file")
        fmt = kind
        rows.append((where, item if kind is ours else _evalplus_row(where, item)))
    assert fmt is not None
    return fmt, tuple(rows)


def _evalplus_row(where: str, item: dict[str, Any]) -> dict[str, Any]:
    code = item.get("solution", item.get("completion"))
    if code is None:
        raise ProgramsFileError(f"{where}: an EvalPlus row needs 'solution' or 'completion'")
    return {"problem_id": item["task_id"], "code": code}


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(list(map(str, value))[:4])
        return f"an object with keys {keys}" if keys else "an empty object"
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)
