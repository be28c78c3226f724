"""A seeded subset of problems stratified by difficulty (`--sample N --seed S`).

`--limit N` takes the first N problems, which in APPS's order are mostly one difficulty;
a sample keeps each difficulty's share instead. Within a difficulty the problems are ranked
by sha256(seed, problem id): the choice depends only on the ids, N and the seed (not on
Python's random module, nor on the rows' order), and a larger N keeps a smaller N's picks
wherever the shares allow.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import Sequence

from data.problem import Problem


def _rank(seed: int, problem_id: str) -> bytes:
    return hashlib.sha256(f"apps-eval-sample\0{seed}\0{problem_id}".encode()).digest()


def shares(sizes: dict[str, int], n: int) -> dict[str, int]:
    """How many of n each stratum gets: proportional, remainders to the largest fractions (ties: the first stratum)."""
    total = sum(sizes.values())
    exact = {name: Fraction(n * size, total) for name, size in sizes.items()}
    quota = {name: int(value) for name, value in exact.items()}
    order = sorted(sizes, key=lambda name: -(exact[name] - quota[name]))  # stable: ties keep the strata's order
    for name in order[: n - sum(quota.values())]:
        quota[name] += 1
    return quota


def stratified_sample(problems: Sequence[Problem], n: int, seed: int) -> list[Problem]:
    """n of the problems (all of them when n >= their number), in their original order. Anything with
    `problem_id` and `difficulty` will do (the pipeline samples data.ProblemRefs)."""
    if n >= len(problems):
        return list(problems)
    strata: dict[str, list[Problem]] = {}
    for problem in problems:
        strata.setdefault(problem.difficulty.value, []).append(problem)
    quota = shares({name: len(group) for name, group in strata.items()}, n)
    chosen: set[str] = set()
    for name, group in strata.items():
        ranked = sorted(group, key=lambda p: _rank(seed, p.problem_id))
        chosen.update(p.problem_id for p in ranked[: quota[name]])
    return [p for p in problems if p.problem_id in chosen]
