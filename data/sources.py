"""Readers: turn a dataset spec into a stream of RawRows, each naming where it came from.

Specs: a `.jsonl` or `.parquet` file of `codeparrot/apps` rows; a folder in the
original APPS layout (`<dir>/{train,test}/NNNN/...`, or the split folder itself);
a folder of `.jsonl`/`.parquet` files; or a hub dataset id read through `datasets`.
A file or folder named after a split (`test.jsonl`, `test-00000-of-00001.parquet`,
`.../test/...`) gives its rows that split.
"""
from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Iterator

from data.apps import KNOWN_SPLITS, TOO_DEEP, RawRow, one_line, unlimited_int_digits
from data.problem import DataError

FILE_SUFFIXES = (".jsonl", ".parquet")
PARQUET_BATCH = 256
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
# Hub repositories whose loading script current `datasets` refuses: read their data files instead.
HUB_DATA_FILES = {"codeparrot/apps": {"train": "train.jsonl", "test": "test.jsonl"}}


def split_from_name(path: Path) -> str | None:
    """'test.jsonl', 'train-00000-of-00001.parquet' or a parent folder 'test' -> that split."""
    first = re.split(r"[-_.]", path.name, maxsplit=1)[0].lower()
    if first in KNOWN_SPLITS:
        return first
    parent = path.parent.name.lower()
    return parent if parent in KNOWN_SPLITS else None


def _open_error(path: Path, err: OSError) -> DataError:
    return DataError(f"cannot read {path}: {err.strerror or one_line(err)}")


def iter_jsonl(path: Path) -> Iterator[RawRow]:
    """One row per non-blank line. A line that is not UTF-8 or not JSON becomes a row carrying
    its error (naming file and line), which the loader reports or, if asked, skips."""
    split = split_from_name(path)
    try:
        with path.open("rb") as handle:
            offset = 0
            for line_no, raw in enumerate(handle, start=1):
                row = _jsonl_row(path, split, line_no, offset, raw)
                offset += len(raw)
                if row is not None:
                    yield row
    except OSError as err:
        raise _open_error(path, err) from None


def _jsonl_row(path: Path, split: str | None, line_no: int, offset: int, raw: bytes) -> RawRow | None:
    """The row of one line (None for a blank line); a line that cannot be read carries its error."""
    where, locator = f"{path}:{line_no}", ("jsonl", str(path), offset, line_no)
    try:
        line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
    except UnicodeDecodeError as err:
        return RawRow(where, {}, split, error=f"not UTF-8 text ({err.reason} at byte {err.start} of the line)", locator=locator)
    if not line.strip():
        return None
    try:
        with unlimited_int_digits():
            fields = json.loads(line)
    except json.JSONDecodeError as err:
        return RawRow(where, {}, split, error=f"invalid JSON ({err.msg} at column {err.colno})", locator=locator)
    except RecursionError:
        return RawRow(where, {}, split, error=TOO_DEEP, locator=locator)
    return RawRow(where, fields, split, locator=locator)


def iter_parquet(path: Path) -> Iterator[RawRow]:
    """Rows of a parquet file (pyarrow, imported here), read batch by batch."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"reading {path} needs pyarrow (pip install pyarrow)") from None
    split = split_from_name(path)
    try:
        reader = pq.ParquetFile(path)
        index = 0
        for batch in reader.iter_batches(batch_size=PARQUET_BATCH):
            for fields in batch.to_pylist():
                yield RawRow(f"{path} row {index}", fields, split, locator=("parquet", str(path), index))
                index += 1
    except OSError as err:
        raise _open_error(path, err) from None
    except Exception as err:  # pyarrow raises its own ArrowInvalid etc. for corrupt files
        if isinstance(err, DataError):
            raise
        raise DataError(f"cannot read {path} as parquet: {one_line(err, 200)}") from None


def iter_file(path: Path) -> Iterator[RawRow]:
    if path.suffix == ".jsonl":
        return iter_jsonl(path)
    if path.suffix == ".parquet":
        return iter_parquet(path)
    raise DataError(f"{path}: unsupported file type (expected .jsonl or .parquet)")


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as err:
        raise DataError(f"cannot read {path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise _open_error(path, err) from None


def read_problem_folder(folder: Path, split: str | None) -> RawRow:
    """One problem of the original archive (question.txt, input_output.json, ...) as a row."""
    question = _read_text(folder / "question.txt")
    if question is None:
        raise DataError(f"{folder}: missing question.txt")
    meta_text = _read_text(folder / "metadata.json")
    if meta_text is None:
        raise DataError(f"{folder}: missing metadata.json (it holds the difficulty)")
    try:
        metadata = json.loads(meta_text)
    except json.JSONDecodeError as err:
        raise DataError(f"{folder / 'metadata.json'}: invalid JSON ({err.msg})") from None
    except RecursionError:
        raise DataError(f"{folder / 'metadata.json'}: {TOO_DEEP}") from None
    if not isinstance(metadata, dict) or "difficulty" not in metadata:
        raise DataError(f"{folder / 'metadata.json'}: missing difficulty")
    fields = {
        "problem_id": folder.name,
        "question": question,
        "solutions": _read_text(folder / "solutions.json"),
        "input_output": _read_text(folder / "input_output.json"),
        "difficulty": metadata["difficulty"],
        "url": metadata.get("url") or "",
        "starter_code": _read_text(folder / "starter_code.py") or "",
    }
    return RawRow(str(folder), fields, split, locator=("folder", str(folder), split))


def _problem_folders(split_dir: Path) -> list[Path]:
    folders = [p for p in split_dir.iterdir() if (p / "question.txt").is_file()]
    return sorted(folders, key=lambda p: (not p.name.isdigit(), int(p.name) if p.name.isdigit() else 0, p.name))


def _is_split_dir(path: Path) -> bool:
    try:
        return path.is_dir() and any((p / "question.txt").is_file() for p in path.iterdir())
    except OSError as err:
        raise _open_error(path, err) from None


def iter_apps_tree(split_dirs: list[tuple[Path, str | None]]) -> Iterator[RawRow]:
    for split_dir, split in split_dirs:
        for folder in _problem_folders(split_dir):
            yield read_problem_folder(folder, split)


def iter_folder_files(files: list[Path]) -> Iterator[RawRow]:
    for path in files:
        yield from iter_file(path)


def plan_directory(root: Path, split: str | None) -> Iterator[RawRow]:
    """Pick the reader for a folder: APPS layout root, one APPS split folder, or data files."""
    splits_here = [s for s in KNOWN_SPLITS if _is_split_dir(root / s)]
    if splits_here:
        if split is not None and split not in splits_here:
            raise DataError(f"{root}: no '{split}' folder (found: {', '.join(splits_here)})")
        chosen = [split] if split else splits_here
        return iter_apps_tree([(root / s, s) for s in chosen])
    if _is_split_dir(root):
        own = root.name if root.name in KNOWN_SPLITS else None
        if split is not None and own is not None and own != split:
            raise DataError(f"{root}: this is the '{own}' split folder, but split '{split}' was asked for")
        return iter_apps_tree([(root, own or split)])
    files = sorted(p for p in root.rglob("*") if p.suffix in FILE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{root}: no APPS problem folders and no .jsonl/.parquet files found")
    return iter_folder_files(files)


def _hub_error(spec: str, err: BaseException) -> DataError:
    """One line saying why a hub load failed: offline/unreachable, not found, or other."""
    chain, seen = [], err
    while seen is not None and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    names = " ".join(type(e).__name__ for e in chain)
    detail = f"{type(err).__name__}: {one_line(err, 200)}"
    if any(isinstance(e, (ConnectionError, TimeoutError)) for e in chain) or re.search(
        r"Offline|Connect|Timeout|Network", names
    ):
        return DataError(f"cannot load hub dataset '{spec}': offline / not reachable ({detail})")
    if re.search(r"NotFound", names):
        return DataError(f"cannot load hub dataset '{spec}': not found on the hub ({detail})")
    return DataError(f"cannot load hub dataset '{spec}': {detail}")


def _load_hub(spec: str, split: str | None) -> Any:
    """datasets.load_dataset, reading known script-only repositories through their data files."""
    import datasets  # heavy and optional: only hub specs need it

    files = HUB_DATA_FILES.get(spec)
    if files is None:
        return datasets.load_dataset(spec, split=split)
    if split is not None and split not in files:
        raise DataError(f"hub dataset '{spec}' has no split '{split}' (valid: {', '.join(files)})")
    chosen = {s: f"hf://datasets/{spec}/{name}" for s, name in files.items() if split in (None, s)}
    return datasets.load_dataset("json", data_files=chosen, split=split)


def iter_hub(spec: str, split: str | None) -> Iterator[RawRow]:
    try:
        loaded = _load_hub(spec, split)
    except ImportError:
        raise DataError(f"loading hub dataset '{spec}' needs the datasets package (pip install datasets)") from None
    except DataError:
        raise
    except Exception as err:  # datasets/huggingface_hub/httpx raise many unrelated types
        raise _hub_error(spec, err) from None
    parts = [(split, loaded)] if split is not None else list(loaded.items())
    for part_split, part in parts:
        _HUB_PARTS[(spec, part_split)] = part  # memory-mapped by `datasets`: read_row indexes into it
        for index, fields in enumerate(part):
            yield RawRow(f"{spec} [{part_split}] row {index}", fields, part_split, locator=("hub", spec, part_split, index))


_HUB_PARTS: dict[tuple[str, str | None], Any] = {}


def read_row(locator: tuple) -> RawRow:
    """The row a source yielded with this locator, read again (the harness keeps locators, not rows)."""
    kind = locator[0]
    if kind == "jsonl":
        _, name, offset, line_no = locator
        path = Path(name)
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                raw = handle.readline()
        except OSError as err:
            raise _open_error(path, err) from None
        row = _jsonl_row(path, split_from_name(path), line_no, offset, raw)
        if row is None:
            raise DataError(f"{path}:{line_no}: the line changed since it was read (the file was modified during the run)")
        return row
    if kind == "parquet":
        return _parquet_row(Path(locator[1]), locator[2])
    if kind == "folder":
        return read_problem_folder(Path(locator[1]), locator[2])
    if kind == "hub":
        _, spec, split, index = locator
        part = _HUB_PARTS.get((spec, split))
        if part is None:
            part = _load_hub(spec, split)
            _HUB_PARTS[(spec, split)] = part
        return RawRow(f"{spec} [{split}] row {index}", part[index], split, locator=locator)
    raise ValueError(f"unknown row locator {locator!r}")


_PARQUET_LAST: dict[str, Any] = {}  # the last batch read again: rows of one problem's samples come in a run
_PARQUET_LOCK = threading.Lock()


def _parquet_row(path: Path, index: int) -> RawRow:
    """Row `index` of a parquet file, read batch by batch within its row group (never the whole file)."""
    with _PARQUET_LOCK:
        last = _PARQUET_LAST
        if not (last.get("path") == str(path) and last["first"] <= index < last["first"] + len(last["rows"])):
            last.clear()
            first, rows = _parquet_batch(path, index)
            last.update(path=str(path), first=first, rows=rows)
        fields = last["rows"][index - last["first"]]
    return RawRow(f"{path} row {index}", fields, split_from_name(path), locator=("parquet", str(path), index))


def _parquet_batch(path: Path, index: int) -> tuple[int, list]:
    """(index of its first row, rows) of the batch that holds row `index`."""
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
        start = 0
        for group in range(reader.num_row_groups):
            rows = reader.metadata.row_group(group).num_rows
            if index < start + rows:
                skip = (index - start) // PARQUET_BATCH
                for number, batch in enumerate(reader.iter_batches(batch_size=PARQUET_BATCH, row_groups=[group])):
                    if number == skip:
                        return start + skip * PARQUET_BATCH, batch.to_pylist()
            start += rows
    except OSError as err:
        raise _open_error(path, err) from None
    raise DataError(f"{path}: row {index} is gone (the file was modified during the run)")


def source_splits(spec: str, split: str | None) -> frozenset[str] | None:
    """The splits a source's rows can belong to as its names and layout say; None when only its rows can tell."""
    if split is not None:
        return frozenset({split})
    path = Path(os.path.expanduser(spec))
    if not path.exists():
        return None
    if path.is_file():
        named = split_from_name(path)
        return frozenset({named}) if named else None
    splits_here = [s for s in KNOWN_SPLITS if _is_split_dir(path / s)]
    if splits_here:
        return frozenset(splits_here)
    if _is_split_dir(path):
        return frozenset({path.name}) if path.name in KNOWN_SPLITS else None
    names = {split_from_name(p) for p in path.rglob("*") if p.suffix in FILE_SUFFIXES and p.is_file()}
    return None if None in names else frozenset(names)


def open_source(spec: str, split: str | None) -> tuple[str, Iterator[RawRow]]:
    """(source label, rows) for a path or hub id; a missing path raises DataError naming it."""
    path = Path(os.path.expanduser(spec))
    try:
        exists = path.exists()
    except OSError as err:
        raise _open_error(path, err) from None
    if exists:
        label = str(path.resolve())
        return label, (plan_directory(path, split) if path.is_dir() else iter_file(path))
    looks_like_path = spec.endswith(FILE_SUFFIXES) or spec.startswith((".", "/", "~")) or spec.endswith(os.sep)
    if looks_like_path or not _HUB_ID.match(spec):
        raise DataError(f"{spec}: no such file or folder")
    return spec, iter_hub(spec, split)
