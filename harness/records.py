"""Records that move between the harness stages and its files (JSONL lines)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from data.problem import Difficulty
from sandbox.records import Verdict

from harness.record_codec import RecordError, decode

from harness.reporting.memorization import ReferenceMatch, ReferenceSimilarity
from harness.timings import RunTimings


@dataclass(frozen=True, slots=True)
class Candidate:
    """One program to judge: a model sample or a reference solution."""

    problem_id: str
    sample_index: int
    code: str
    completion: str | None = None  # raw model text before extraction, when generated
    prompt_truncated: bool = False
    new_tokens: int | None = None
    finish_reason: str | None = None  # "eos", "stop_string", "code_block_end", "length"
    prompt_hash: str | None = None  # prompting.prompt_hash of the exact prompt text, when generated
    prompt: str | None = None  # that text, in memory only: the run folder stores it once, in prompts.jsonl

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "Candidate":
        return cls(**{k: row[k] for k in cls.__slots__ if k in row})


@dataclass(frozen=True, slots=True)
class FailureDetail:
    """Enough of the first failing test to debug it (texts truncated)."""

    index: int
    verdict: Verdict
    input: str
    expected: str
    got: str
    detail: str


@dataclass(frozen=True, slots=True)
class SampleResult:
    """The judged program: one line of results.jsonl."""

    problem_id: str
    sample_index: int
    difficulty: Difficulty
    verdict: Verdict
    apps_verdict: Verdict
    tests_passed: int
    tests_total: int
    apps_tests_passed: int
    tests: tuple[Verdict, ...]  # per-test outcomes, default comparison
    apps_tests: tuple[Verdict, ...]  # per-test outcomes, APPS-compatible comparison
    wall_s: float
    wrapped: bool = False
    first_failure: FailureDetail | None = None
    cpu_s: float = 0.0  # CPU time of the program's tests, their process trees included (0.0 in older rows)
    # Judged with the early stop: tests after the first failure were not run (not_run), so
    # tests_passed counts only those before it and no test-pass rate is computed from it.
    early_stop: bool = False
    # the nearest reference solution of the problem (None: it has none, reference solutions judged, or an older row)
    reference_similarity: ReferenceMatch | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.problem_id, self.sample_index)

    def to_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["difficulty"] = self.difficulty.value
        row["verdict"] = self.verdict.value
        row["apps_verdict"] = self.apps_verdict.value
        row["tests"] = [v.value for v in self.tests]
        row["apps_tests"] = [v.value for v in self.apps_tests]
        if not self.early_stop:
            del row["early_stop"]
        if self.first_failure is not None:
            row["first_failure"]["verdict"] = self.first_failure.verdict.value
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "SampleResult":
        failure = row.get("first_failure")
        return cls(
            problem_id=str(row["problem_id"]),
            sample_index=int(row["sample_index"]),
            difficulty=Difficulty(row["difficulty"]),
            verdict=Verdict(row["verdict"]),
            apps_verdict=Verdict(row["apps_verdict"]),
            tests_passed=int(row["tests_passed"]),
            tests_total=int(row["tests_total"]),
            apps_tests_passed=int(row["apps_tests_passed"]),
            tests=tuple(Verdict(v) for v in row["tests"]),
            apps_tests=tuple(Verdict(v) for v in row["apps_tests"]),
            wall_s=float(row.get("wall_s", 0.0)),
            wrapped=bool(row.get("wrapped", False)),
            first_failure=None if failure is None else FailureDetail(**{**failure, "verdict": Verdict(failure["verdict"])}),
            cpu_s=float(row.get("cpu_s", 0.0)),
            early_stop=bool(row.get("early_stop", False)),
            reference_similarity=None if row.get("reference_similarity") is None else ReferenceMatch.from_json(row["reference_similarity"]),
        )


@dataclass(frozen=True, slots=True)
class BucketSummary:
    """Metrics of one difficulty (or overall): one value of summary.json."""

    problems: int
    samples: int
    strict_accuracy: float | None
    test_pass_rate: float | None
    pass_at_k: dict[str, float]
    apps_strict_accuracy: float | None
    apps_test_pass_rate: float | None
    verdicts: dict[str, int]
    apps_verdicts: dict[str, int]
    harness_errors: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SUMMARY_RUN_KEY = "run"
SUMMARY_TIMINGS_KEY = "timings"


@dataclass(frozen=True, slots=True)
class RunSummary:
    """summary.json: keys overall/introductory/interview/competition, plus run-level notes under "run"."""

    buckets: dict[str, BucketSummary]
    excluded_problems: dict[str, str] = field(default_factory=dict)  # problem_id -> reason
    truncated_prompts: int = 0
    # Selected problems that had no program (counted as unsolved): problem_id -> difficulty.
    missing_problems: dict[str, str] = field(default_factory=dict)
    only_given_problems: bool = False  # missing problems were left out instead (--only-given-problems)
    # per bucket: similarity of the samples to their problems' reference solutions (None: none has any)
    reference_similarity: dict[str, ReferenceSimilarity | None] = field(default_factory=dict)
    timings: RunTimings | None = None  # of the invocation that wrote the summary
    # per bucket: samples whose generation ended at --max-new-tokens (None: the programs were not generated)
    truncated_generations: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: b.to_json() for name, b in self.buckets.items()}
        for name, similarity in self.reference_similarity.items():
            out[name]["reference_similarity"] = None if similarity is None else similarity.to_json()
        out[SUMMARY_RUN_KEY] = {
            "excluded_problems": self.excluded_problems, "truncated_prompts": self.truncated_prompts,
            "missing_problems": self.missing_problems, "only_given_problems": self.only_given_problems,
            "truncated_generations": self.truncated_generations,
        }
        if self.timings is not None:
            out[SUMMARY_TIMINGS_KEY] = self.timings.to_json()
        return out

    @classmethod
    def from_json(cls, obj: Any) -> "RunSummary":
        """Raises RecordError naming the bad field."""
        if not isinstance(obj, dict):
            raise RecordError(f"summary: expected an object, got {type(obj).__name__}")
        notes = decode(_SummaryNotes, obj.get(SUMMARY_RUN_KEY, {}), SUMMARY_RUN_KEY)
        named = {name: value for name, value in obj.items() if name not in (SUMMARY_RUN_KEY, SUMMARY_TIMINGS_KEY)}
        buckets = {name: decode(BucketSummary, value, name) for name, value in named.items()}
        similarity = {
            name: None if value.get("reference_similarity") is None
            else decode(ReferenceSimilarity, value["reference_similarity"], f"{name}.reference_similarity")
            for name, value in named.items() if isinstance(value, dict) and "reference_similarity" in value
        }
        timings = obj.get(SUMMARY_TIMINGS_KEY)
        return cls(buckets, notes.excluded_problems, notes.truncated_prompts, notes.missing_problems, notes.only_given_problems,
                   similarity, None if timings is None else decode(RunTimings, timings, SUMMARY_TIMINGS_KEY),
                   notes.truncated_generations)


@dataclass(frozen=True, slots=True)
class _SummaryNotes:
    excluded_problems: dict[str, str] = field(default_factory=dict)
    truncated_prompts: int = 0
    missing_problems: dict[str, str] = field(default_factory=dict)
    only_given_problems: bool = False
    truncated_generations: dict[str, int] | None = None
