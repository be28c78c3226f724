"""Wall time and throughput per stage of one command invocation: summary.json "timings"."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Iterator

log = logging.getLogger("apps-eval")


@dataclass(frozen=True, slots=True)
class GenerationTiming:
    wall_s: float
    samples: int
    new_tokens: int
    tokens_per_s: float
    continuous_batching: bool


@dataclass(frozen=True, slots=True)
class JudgingTiming:
    wall_s: float  # from the first program to the last result
    busy_s: float  # time with programs in hand (waits for generation left out)
    programs: int
    test_runs: int
    programs_per_s: float  # per busy second
    test_runs_per_s: float


@dataclass(frozen=True, slots=True)
class RunTimings:
    """This invocation only: a resumed run times the work it did, not what was on file."""

    wall_s: float
    model_load_s: float | None = None
    generation: GenerationTiming | None = None
    judging: JudgingTiming | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "RunTimings":
        generation, judging = row.get("generation"), row.get("judging")
        return cls(
            wall_s=float(row["wall_s"]),
            model_load_s=row.get("model_load_s"),
            generation=GenerationTiming(**generation) if generation else None,
            judging=JudgingTiming(**judging) if judging else None,
        )


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 3) if seconds > 0 else 0.0


class StageTimer:
    """Collects stage times as the pipeline runs; record() makes the RunTimings."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.generation: Any = None  # generator.GenerationStats, once generation ran
        self.judging: JudgingTiming | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def judged(self, wall_s: float, busy_s: float, programs: int, test_runs: int) -> None:
        self.judging = JudgingTiming(
            round(wall_s, 3), round(busy_s, 3), programs, test_runs, _rate(programs, busy_s), _rate(test_runs, busy_s)
        )

    def record(self) -> RunTimings:
        generation = None
        if self.generation is not None and self.generation.samples:
            stats = self.generation
            generation = GenerationTiming(
                round(stats.wall_s, 3), stats.samples, stats.new_tokens, _rate(stats.new_tokens, stats.wall_s),
                stats.continuous,
            )
        load = self.seconds.get("model_load")
        return RunTimings(
            wall_s=round(time.perf_counter() - self.started, 3),
            model_load_s=None if load is None else round(load, 3),
            generation=generation,
            judging=self.judging if self.judging and self.judging.programs else None,
        )


def log_timings(timings: RunTimings) -> None:
    parts = [f"wall {timings.wall_s:.1f} s"]
    if timings.model_load_s is not None:
        parts.append(f"model load {timings.model_load_s:.1f} s")
    if timings.generation is not None:
        g = timings.generation
        parts.append(f"generation {g.wall_s:.1f} s ({g.samples} samples, {g.new_tokens} tokens, {g.tokens_per_s:.1f} tok/s)")
    if timings.judging is not None:
        j = timings.judging
        parts.append(f"judging {j.busy_s:.1f} s busy ({j.programs_per_s:.2f} programs/s, {j.test_runs_per_s:.1f} test runs/s)")
    log.info("timings: %s", "; ".join(parts))
