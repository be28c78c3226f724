import os
import signal
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared next to the checkout; APPS_EVAL_SHARED_DIR points elsewhere (e.g. from a git worktree).
SHARED_DIR = Path(os.environ.get("APPS_EVAL_SHARED_DIR") or REPO_ROOT.parent / "shared")
APPS_REAL = SHARED_DIR / "apps-real"

# Tests never touch a model or dataset hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# A shell that starts the suite in the background (`make test &`) ignores SIGINT for it, and an
# ignored signal stays ignored through exec: the Ctrl-C tests' harness processes would never
# see theirs. Give them the default, as a terminal's foreground job has.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def apps_real_dir() -> Path:
    """../shared/apps-real, or skip the test where it is absent."""
    if not (APPS_REAL / "problems.jsonl").is_file():
        pytest.skip("../shared/apps-real is not present")
    return APPS_REAL


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind():
    """After the whole suite, hostile programs included: no candidate process, no worker, no scratch."""
    import tempfile

    from sandbox import worker_pool as _pool
    from sandbox.executor import UID_BASE

    candidate_uids: set[int] = set()
    start = _pool.WorkerProcess.start

    def recording_start(self):
        start(self)
        candidate_uids.add(UID_BASE + self.proc.pid)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_pool.WorkerProcess, "start", recording_start)
        yield
    scratch = [name for name in os.listdir(tempfile.gettempdir())
               if name.startswith(f"{_pool.SCRATCH_PREFIX}{os.getpid()}-")]
    survivors = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        our_worker = f"PPid:\t{os.getpid()}\n" in status and b"sandbox/inside/" in cmdline
        if uid in candidate_uids or our_worker:
            survivors.append(int(entry))
    assert (scratch, survivors) == ([], []), "the test suite left scratch folders or processes behind"
