"""A run folder open for writing: one writer at a time, its RunRecord, checked on resume.

`open_run_folder(out, record)` takes an exclusive lock on `out/.lock` (held until close),
then writes config.json, or checks that the folder holds the same run. Facts learned
during the run are set with `set_model`, `set_isolation`, ... which save the record at once.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Any

from sandbox.records import SandboxSummary

from harness.config import ExecutionConfig
from harness.execution.records import ExecutorRecord
from harness.errors import ConfigError, RunFolderBusy, RunFolderError
from harness.run_record import IsolationRecord, ModelRecord, PromptRecord, RunRecord
from harness.storage import CONFIG_FILE, GENERATIONS_FILE, RESULTS_FILE, read_record, write_json_atomic

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"


class _Lock:
    """fcntl.flock on out/.lock; the holder's pid and command line are written into it."""

    def __init__(self, out: Path, command_line: tuple[str, ...]) -> None:
        path = out / LOCK_FILE
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise RunFolderError(f"--out {out}: cannot create {LOCK_FILE} ({exc.strerror or exc})") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(self._fd)
            os.close(self._fd)
            raise RunFolderBusy(f"--out {out} is in use by another apps-eval command ({holder}); "
                                "wait for it to finish or use another --out") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps({"pid": os.getpid(), "command": ["apps-eval", *command_line]}).encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = -1


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 65536, 0) or b"{}")
        return f"pid {info['pid']}: {' '.join(info['command'])}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


def _has_work(out: Path) -> bool:
    """Did an earlier command in this folder produce anything (programs or results)?"""
    return any((out / name).is_file() and (out / name).stat().st_size > 0 for name in (GENERATIONS_FILE, RESULTS_FILE))


def _full(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def refusal(out: Path, stored: RunRecord, new: RunRecord) -> str | None:
    """Why `new` cannot resume `stored` (every differing setting, both values in full), or None."""
    diffs = stored.differences(new)
    if not diffs:
        return None
    listed = "; ".join(f"{key}: {_full(old)} in the folder, {_full(now)} now" for key, old, now in diffs)
    return f"--out {out} holds a run with different settings ({listed}); use another --out to start a new run"


class OpenRunFolder:
    """The run folder while a command writes to it. Use as a context manager (releases the lock)."""

    def __init__(self, path: Path, record: RunRecord, resuming: bool, lock: _Lock) -> None:
        self.path = path
        self.record = record
        self.resuming = resuming
        self._lock = lock

    def _save(self, record: RunRecord) -> None:
        self.record = record
        write_json_atomic(self.path / CONFIG_FILE, record.to_json())

    def set_model(self, model: ModelRecord) -> None:
        self._save(self.record.with_model(model))

    def set_prompt(self, prompt: PromptRecord) -> None:
        self._save(self.record.with_prompt(prompt))

    def set_isolation(self, isolation: IsolationRecord, sandbox: SandboxSummary | None = None) -> None:
        self._save(self.record.with_isolation(isolation, sandbox))

    def set_executor(self, executor: ExecutorRecord) -> None:
        self._save(self.record.with_executor(executor))

    def set_execution(self, execution: ExecutionConfig) -> None:
        """New limits (judging the programs of a `generate` folder, or re-judging them)."""
        self._save(self.record.with_execution(execution))

    def finish(self) -> None:
        self._save(self.record.finished())

    def close(self) -> None:
        self._lock.release()

    def __enter__(self) -> "OpenRunFolder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_run_folder(out: Path, record: RunRecord, *, check: bool = True) -> OpenRunFolder:
    """Lock `out` and write `record`, or check it matches the folder's (check=False: keep the folder's).

    A folder whose earlier command produced nothing (e.g. the model failed to load) takes
    the new record, so correcting the command and running it again works.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create folder ({exc.strerror or exc})") from None
    lock = _Lock(out, record.command_line)
    try:
        path = out / CONFIG_FILE
        if not path.exists():
            write_json_atomic(path, record.to_json())
            return OpenRunFolder(out, record, False, lock)
        if not check:
            return OpenRunFolder(out, read_record(path), True, lock)
        stored = _stored_record(path, out)
        why = None if stored is None else refusal(out, stored, record)
        if stored is None or (why is not None and not _has_work(out)):
            log.info("--out %s: the earlier command there produced nothing; starting afresh", out)
            write_json_atomic(path, record.to_json())
            return OpenRunFolder(out, record, False, lock)
        if why is not None:
            raise ConfigError(why)
        return OpenRunFolder(out, stored, True, lock)
    except BaseException:
        lock.release()
        raise


def _stored_record(path: Path, out: Path) -> RunRecord | None:
    """The folder's record; None for an unreadable one in a folder with no work (replaced)."""
    try:
        return read_record(path)
    except RunFolderError:
        if _has_work(out):
            raise
        return None
