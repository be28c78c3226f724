"""Problem ids in natural order: test-2 before test-10, whatever the dataset's naming."""
from __future__ import annotations

import re
from typing import Iterable

_DIGITS = re.compile(r"(\d+)")


def natural_key(problem_id: str) -> tuple[tuple[int, int | str], ...]:
    """Runs of digits compare as numbers, the rest as text; (kind, value) pairs keep the types apart."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(problem_id) if part)


def natural_sorted(ids: Iterable[str]) -> list[str]:
    return sorted(ids, key=natural_key)
