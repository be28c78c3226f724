"""The hostile sandbox tests again, as an ordinary user: full isolation must not need root.

Run as root (as CI does), this re-runs them as a spare uid in a subprocess and fails with
every failure of that run. Run as an ordinary user, the hostile tests themselves already
are the unprivileged run, and this file has nothing to add.
"""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import REPO_ROOT
from plain_user import run_pytest_as, spare_uid

HOSTILE_TESTS = ["tests/test_sandbox_containment.py", "tests/test_sandbox_escape.py",
                 "tests/test_sandbox_fallback.py", "tests/test_sandbox_attacks.py", "tests/test_sandbox_zygote.py"]
# Tests that must have run (not skipped) as the plain user for the run to prove anything.
MUST_RUN = ("test_process_limit_binds", "test_fork_bomb_leaves_no_process",
            "test_isolation_is_full_without_weak_mode", "test_the_next_program_on_the_same_worker_starts_clean",
            "test_a_later_program_finds_no_text_of_earlier_programs_on_its_worker",
            "test_a_candidate_cannot_kill_the_zygote_and_later_programs_keep_their_verdicts")


@pytest.mark.skipif(os.geteuid() != 0, reason="already unprivileged: the hostile tests themselves are this run")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv(1) to become a plain user")
def test_hostile_tests_pass_as_an_unprivileged_user():
    result = run_pytest_as(spare_uid(), REPO_ROOT, HOSTILE_TESTS)
    if result is None:
        pytest.skip("no Python interpreter with pytest that an unprivileged user may run")
    assert result.failed == (), result.output
    assert result.returncode == 0, result.output
    ran = " ".join(result.passed)
    assert all(name in ran for name in MUST_RUN), (MUST_RUN, result.skipped, result.output)
