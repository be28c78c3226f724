"""What a finished run was made from, so rerunning its command with nothing left to do is instant.

When `evaluate` finishes it writes finish.json: a key of everything that chose its programs
(settings, dataset fingerprint, programs file bytes, apps-eval version) and the size and sha256
of the files it wrote (results.jsonl, summary.json, config.json, validity.json). Rerunning the
same command on that folder then only hashes those files: if they are byte for byte what the
finish wrote and the key is the same, every program has its result and summary.json is already
right, so nothing is read, judged or recomputed (no cluster starts). Any difference (a result
appended, a programs file edited, other settings, another version) takes the normal resume path,
which reads results.jsonl and judges what is missing.

The report printed at the end of a command is kept the same way (report.md, its digest in
finish.json): it is a function of config.json, results.jsonl and summary.json, so while those
are unchanged the stored text is printed instead of being rendered again.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.record_codec import RecordError, decode, encode
from harness.storage import CONFIG_FILE, RESULTS_FILE, SUMMARY_FILE, VALIDITY_FILE, write_json_atomic

log = logging.getLogger(__name__)

STAMP_FILE = "finish.json"
REPORT_FILE = "report.md"
STAMPED_FILES = (RESULTS_FILE, SUMMARY_FILE, CONFIG_FILE, VALIDITY_FILE)  # validity.json: only where written


@dataclass(frozen=True, slots=True)
class FileDigest:
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class FinishStamp:
    """finish.json: the inputs' key and each written file's digest at the end of the run."""

    inputs: str  # sha256 of what chose the programs; "" where no shortcut applies (report only)
    files: dict[str, FileDigest] = field(default_factory=dict)
    report: FileDigest | None = None


def file_digest(path: Path) -> FileDigest | None:
    """Size and sha256 of a file's bytes, None if there is no such file."""
    try:
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256")
            return FileDigest(fh.tell(), digest.hexdigest())
    except FileNotFoundError:
        return None


def inputs_key(settings: dict[str, Any], programs_file: Path | None) -> str:
    """sha256 over the settings that choose and judge the programs, the programs file's bytes, the version."""
    from harness.run_record import installed_versions

    programs = file_digest(programs_file) if programs_file is not None else None
    blob = json.dumps({"settings": settings, "programs": encode(programs), "apps-eval": installed_versions().get("apps-eval")},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def write_stamp(out: Path, inputs: str = "") -> None:
    """After the run's files are final: their digests, and the inputs' key."""
    files = {name: d for name in STAMPED_FILES if (d := file_digest(out / name)) is not None}
    write_json_atomic(out / STAMP_FILE, encode(FinishStamp(inputs, files)))


def _stamp(out: Path) -> FinishStamp | None:
    try:
        return decode(FinishStamp, json.loads((out / STAMP_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, RecordError):
        return None


def _files_unchanged(out: Path, stamp: FinishStamp) -> bool:
    return (RESULTS_FILE in stamp.files and SUMMARY_FILE in stamp.files
            and all(file_digest(out / name) == digest for name, digest in stamp.files.items()))


def is_finished(out: Path, inputs: str) -> bool:
    """Did this folder's run finish with these inputs, every file still as the finish wrote it?"""
    stamp = _stamp(out)
    return stamp is not None and stamp.inputs == inputs and bool(inputs) and _files_unchanged(out, stamp)


def stored_report(out: Path) -> str | None:
    """report.md, if it was rendered from the files as they are now."""
    stamp = _stamp(out)
    if stamp is None or stamp.report is None or not _files_unchanged(out, stamp):
        return None
    if file_digest(out / REPORT_FILE) != stamp.report:
        return None
    return (out / REPORT_FILE).read_text(encoding="utf-8")


def store_report(out: Path, text: str) -> None:
    """Keep the report rendered from the stamped files (nothing is kept without a current stamp)."""
    stamp = _stamp(out)
    if stamp is None or not _files_unchanged(out, stamp):
        return
    try:
        (out / REPORT_FILE).write_text(text, encoding="utf-8")
        write_json_atomic(out / STAMP_FILE, encode(replace(stamp, report=file_digest(out / REPORT_FILE))))
    except OSError as exc:
        log.debug("report not kept in %s: %s", out, exc)
