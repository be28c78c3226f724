"""Bootstrap confidence intervals over problems (percentile method, fixed seed).

Every metric of a report is a mean over problems of a per-problem value (strict
accuracy c/n, test-pass fraction, pass@k estimate), so one bootstrap serves them
all: resample the problems with replacement B times, recompute each mean, and
take the 2.5th and 97.5th percentiles of the B means.

The overall bucket is resampled *stratified by difficulty*: each difficulty's
problems are resampled within that difficulty, so every resample keeps the
dataset's composition (APPS fixes 1000/3000/1000 problems per difficulty by
design; they are not a random mix). A single difficulty is one stratum, i.e. the
plain bootstrap. numpy is imported inside the functions that need it.

When the values are constant within every stratum (a bucket where every problem scores 0,
or each difficulty constant in the overall bucket), every resample has the same mean and
the interval has zero width. That is said in a note (`zero_width_notes`): the bootstrap
cannot measure the uncertainty there, which is not the same as there being none.
"""
from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Hashable, Iterator, Mapping, Sequence

from harness.reporting.metrics import ProblemScore

if TYPE_CHECKING:
    import numpy as np

DEFAULT_BOOT = 2000
DEFAULT_SEED = 0
DEFAULT_LEVEL = 0.95
_CELLS_PER_BLOCK = 4_000_000  # resample counts held in memory at once (B_block x problems)
_DRAWS_PER_CHUNK = 250_000  # random draws turned into counts at a time (a block's rows of one stratum, in pieces)

Interval = tuple[float, float]


def resample_counts(strata: Sequence[Hashable], n_boot: int, rng) -> Iterator[np.ndarray]:
    """Yield blocks of bootstrap weights: row b counts how often each problem was drawn.

    Problems are drawn with replacement within their stratum, as many as the stratum holds.

    A block's draws of one stratum are one (rows x stratum size) stream of the generator, taken
    in pieces of rows (numpy's bounded integers continue one stream across calls, so the pieces
    are the values of a single call): only the block's counts grow with the problems, up to
    _CELLS_PER_BLOCK, not the several copies of the draws a single call and its indexing made
    (the report's peak memory was 170 MB at 4,000 problems for that).
    """
    import numpy as np

    groups: dict[Hashable, list[int]] = {}
    for position, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(position)
    n = len(strata)
    block = max(1, min(n_boot, _CELLS_PER_BLOCK // max(n, 1)))
    done = 0
    while done < n_boot:
        rows = min(block, n_boot - done)
        counts = np.zeros((rows, n), dtype=np.float64)
        for members in groups.values():
            members_arr, size = np.asarray(members), len(members)
            piece = max(1, _DRAWS_PER_CHUNK // size)
            for start in range(0, rows, piece):
                count = min(piece, rows - start)
                draws = rng.integers(0, size, size=(count, size)) + (np.arange(count) * size)[:, None]
                counts[start:start + count, members_arr] += np.bincount(draws.ravel(), minlength=count * size).reshape(count, size)
        done += rows
        yield counts
        del counts  # before the next block is allocated: one block in memory at a time


def bootstrap_means(
    values: Sequence[Sequence[float]],
    strata: Sequence[Hashable] | None = None,
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int | Sequence[int] = DEFAULT_SEED,
) -> np.ndarray:
    """Bootstrap distribution of column means: values is problems x metrics, result is n_boot x metrics."""
    import numpy as np

    if len(values) == 0:
        raise ValueError("cannot bootstrap an empty set of problems")
    matrix = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    strata = [0] * len(matrix) if strata is None else list(strata)
    if len(strata) != len(matrix):
        raise ValueError(f"{len(strata)} strata for {len(matrix)} problems")
    rng = np.random.default_rng(seed)
    blocks = []
    for counts in resample_counts(strata, n_boot, rng):
        blocks.append(counts @ matrix)
        del counts  # (the caller's reference too)
    return np.concatenate(blocks) / len(matrix)


def percentile_interval(samples: np.ndarray, level: float = DEFAULT_LEVEL) -> np.ndarray:
    """Percentile interval per column: rows are bootstrap replicates. Returns 2 x metrics."""
    import numpy as np

    alpha = (1.0 - level) / 2.0
    return np.quantile(samples, [alpha, 1.0 - alpha], axis=0, method="inverted_cdf")


def bootstrap_ci(
    values: Sequence[float],
    strata: Sequence[Hashable] | None = None,
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int | Sequence[int] = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """Percentile bootstrap interval of the mean of one per-problem value."""
    low, high = percentile_interval(bootstrap_means([[v] for v in values], strata, n_boot=n_boot, seed=seed), level)[:, 0]
    return float(low), float(high)


def metric_columns(scores: Sequence[ProblemScore], max_k: int) -> dict[str, list[float]]:
    """Per-problem values whose means are the bucket metrics (names as in summary.json)."""
    columns = {
        "strict_accuracy": [s.strict for s in scores],
        "test_pass_rate": [s.test_pass for s in scores],
        "apps_strict_accuracy": [s.apps_strict for s in scores],
        "apps_test_pass_rate": [s.apps_test_pass for s in scores],
    }
    if not all(s.test_pass_known for s in scores):  # the early stop: no test-pass rate, no interval
        del columns["test_pass_rate"], columns["apps_test_pass_rate"]
    for k in range(1, max_k + 1):
        columns[f"pass@{k}"] = [s.pass_at(k) for s in scores]
    return columns


def score_intervals(
    scores: Sequence[ProblemScore],
    *,
    stratify: bool,
    n_boot: int = DEFAULT_BOOT,
    seed: int | Sequence[int] = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> dict[str, Interval]:
    """CI of every metric of one bucket; {} when the bucket has no problems."""
    if not scores:
        return {}
    columns = metric_columns(scores, min((s.samples for s in scores if s.samples), default=0))
    strata = [s.difficulty for s in scores] if stratify else None
    rows = list(zip(*columns.values()))
    bounds = percentile_interval(bootstrap_means(rows, strata, n_boot=n_boot, seed=seed), level)
    return {name: (float(bounds[0, i]), float(bounds[1, i])) for i, name in enumerate(columns)}


def bucket_intervals(
    buckets: Mapping[str, Sequence[ProblemScore]],
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> dict[str, dict[str, Interval]]:
    """CIs per bucket; the bucket named "overall" is stratified by difficulty.

    Each bucket's generator is seeded from (seed, the bucket's name), so a bucket's
    interval does not depend on which other buckets are computed.
    """
    return {
        name: score_intervals(scores, stratify=name == "overall", n_boot=n_boot, seed=(seed, zlib.crc32(name.encode())), level=level)
        for name, scores in buckets.items()
    }


def zero_width_notes(intervals: Mapping[str, Mapping[str, Interval]]) -> list[str]:
    """One note naming the buckets and metrics whose interval has zero width (none if no such)."""
    flat = {bucket: [name for name, (low, high) in cis.items() if low == high] for bucket, cis in intervals.items()}
    listed = [f"{bucket} ({', '.join(names)})" for bucket, names in flat.items() if names]
    if not listed:
        return []
    return ["Zero-width CIs: " + "; ".join(listed) + ". The per-problem values are constant within each difficulty, "
            "so resampling problems cannot vary their mean: the interval shows no uncertainty, not certainty."]
