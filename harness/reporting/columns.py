"""The metric columns of report and compare tables (`--metrics LIST`), one definition per metric.

A metric knows its headers, its cells for one bucket (a cell with a CI is a (value, interval)
pair, which md writes on one line and tex stacks, the interval in small print), its CSV
fields, and its value as a fraction where it has one (for deltas and figures).
Names: problems, samples, strict, test_pass, pass@K, apps_strict, apps_test_pass, verdicts,
similarity, copy_rate, strict_excl_copies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from harness.errors import ConfigError
from harness.records import BucketSummary
from harness.reporting.memorization import ReferenceSimilarity
from harness.reporting.tables import fmt_pct, frac
from harness.reporting.uncertainty import Interval

Cell = str | None | tuple[str, str]  # (value, "[low, high]")

VERDICT_COLUMNS = {
    "wrong_answer": "WA", "runtime_error": "RE", "timeout": "TLE", "memory_limit": "MLE",
    "output_limit": "OLE", "compile_error": "CE", "harness_error": "HE",
}


@dataclass(frozen=True)
class BucketView:
    """One bucket of one run, as the columns read it."""

    bucket: BucketSummary
    ci: dict[str, Interval]
    similarity: ReferenceSimilarity | None


@dataclass(frozen=True)
class Metric:
    name: str  # as written in --metrics
    headers: Callable[[bool, float], list[str]]  # (with_ci, level) -> headers
    cells: Callable[[BucketView], list[Cell]]
    fields: Callable[[BucketView], dict[str, Any]]
    value: Callable[[BucketView], float | None] | None = None  # a fraction: deltas and figures
    title: str = ""  # in figures and delta headers

    @property
    def scalar(self) -> bool:
        return self.value is not None


def _with_ci(x: float | None, ci: Interval | None) -> Cell:
    if x is None:
        return None
    return fmt_pct(x) if ci is None else (fmt_pct(x), f"[{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]")


def _ci_header(text: str, with_ci: bool, level: float) -> list[str]:
    return [f"{text} [{level:.0%} CI]" if with_ci else text]


def _rate(name: str, key: str, header: str, title: str, get: Callable[[BucketSummary], float | None], ci: bool) -> Metric:
    def cells(v: BucketView) -> list[Cell]:
        value = get(v.bucket)
        return [_with_ci(value, v.ci.get(key)) if ci else fmt_pct(value)]

    def fields(v: BucketView) -> dict[str, Any]:
        value = get(v.bucket)
        low, high = v.ci.get(key, (None, None)) if value is not None else (None, None)
        return {f"{key}_frac": frac(value), f"{key}_ci_low_frac": frac(low), f"{key}_ci_high_frac": frac(high)}

    return Metric(name, lambda with_ci, level: _ci_header(header, with_ci and ci, level), cells, fields,
                  lambda v: get(v.bucket), title)


def pass_at(k: int) -> Metric:
    key = f"pass@{k}"
    return _rate(key, key, f"pass@{k} %", f"pass@{k}", lambda b: b.pass_at_k.get(str(k)), ci=k == 1)


def _count(name: str, header: str, get: Callable[[BucketSummary], int]) -> Metric:
    return Metric(name, lambda with_ci, level: [header], lambda v: [str(get(v.bucket))], lambda v: {name: get(v.bucket)})


def _verdicts() -> Metric:
    def count(b: BucketSummary, verdict: str) -> int:
        return b.harness_errors if verdict == "harness_error" else b.verdicts.get(verdict, 0)

    return Metric("verdicts", lambda with_ci, level: list(VERDICT_COLUMNS.values()),
                  lambda v: [str(count(v.bucket, x)) for x in VERDICT_COLUMNS],
                  lambda v: {x: count(v.bucket, x) for x in ("passed",) + tuple(VERDICT_COLUMNS)})


def _similarity() -> Metric:
    return Metric("similarity", lambda with_ci, level: ["Ref. similarity"],
                  lambda v: [None if v.similarity is None else f"{v.similarity.mean:.3f}"],
                  lambda v: {"reference_similarity_mean": None if v.similarity is None else v.similarity.mean},
                  None, "ref. similarity")


def _copy_rate() -> Metric:
    get = lambda v: None if v.similarity is None else v.similarity.copy_rate
    return Metric("copy_rate", lambda with_ci, level: ["Ref. copies %"], lambda v: [fmt_pct(get(v))],
                  lambda v: {"reference_copy_rate_frac": frac(get(v))}, get, "ref. copies")


def _strict_excluding_copies() -> Metric:
    get = lambda v: None if v.similarity is None else v.similarity.strict_accuracy_excluding_copies
    return Metric("strict_excl_copies", lambda with_ci, level: ["Strict excl. copies %"], lambda v: [fmt_pct(get(v))],
                  lambda v: {"strict_accuracy_excluding_copies_frac": frac(get(v))}, get, "strict accuracy excluding copies")


FIXED: dict[str, Metric] = {m.name: m for m in (
    _count("problems", "Problems", lambda b: b.problems),
    _count("samples", "Samples", lambda b: b.samples),
    _rate("strict", "strict_accuracy", "Strict acc. %", "strict accuracy", lambda b: b.strict_accuracy, ci=True),
    _rate("test_pass", "test_pass_rate", "Test pass %", "test-pass rate", lambda b: b.test_pass_rate, ci=True),
    _rate("apps_strict", "apps_strict_accuracy", "APPS strict %", "APPS strict accuracy", lambda b: b.apps_strict_accuracy, ci=False),
    _rate("apps_test_pass", "apps_test_pass_rate", "APPS test pass %", "APPS test-pass rate", lambda b: b.apps_test_pass_rate, ci=False),
    _verdicts(),
    _similarity(),
    _copy_rate(),
    _strict_excluding_copies(),
)}
NAMES = (*FIXED, "pass@K")


def parse_metrics(text: str, max_k: int) -> list[Metric]:
    """--metrics "strict,test_pass,pass@1,pass@10,copy_rate": the columns in that order; ConfigError naming a bad one."""
    out: list[Metric] = []
    for raw in text.split(","):
        name = raw.strip().lower().replace("-", "_")
        if not name:
            continue
        if name.startswith("pass@"):
            k = name[5:]
            if not k.isdigit() or int(k) < 1:
                raise ConfigError(f"--metrics: {raw.strip()!r} is not pass@K with K a positive integer")
            if int(k) > max_k:
                raise ConfigError(f"--metrics: {raw.strip()} needs at least {k} samples per problem; the runs have {max_k}")
            metric = pass_at(int(k))
        elif name in FIXED:
            metric = FIXED[name]
        else:
            raise ConfigError(f"--metrics: unknown metric {raw.strip()!r}; choose from {', '.join(NAMES)}")
        if all(m.name != metric.name for m in out):
            out.append(metric)
    if not out:
        raise ConfigError("--metrics: give at least one metric")
    return out


def table_ks(max_k: int) -> list[int]:
    """pass@k columns of full md tables: every k up to 10, then 20, 25, 50, 100, ... and n."""
    return [k for k in range(1, max_k + 1) if k <= 10 or k in (20, 25, 50, 100, 200, 500, 1000) or k == max_k]


def full_metrics(max_k: int, similarity: bool) -> list[Metric]:
    """Every column (md, csv): the counts, the rates with their CIs, every table pass@k, verdicts, memorization."""
    out = [FIXED["problems"], FIXED["samples"], FIXED["strict"], FIXED["test_pass"], *(pass_at(k) for k in table_ks(max_k)),
           FIXED["apps_strict"], FIXED["apps_test_pass"], FIXED["verdicts"]]
    return out + ([FIXED["similarity"], FIXED["copy_rate"], FIXED["strict_excl_copies"]] if similarity else [])


def paper_metrics(max_k: int, similarity: bool) -> list[Metric]:
    """The default of a .tex table, narrow enough for a page: strict and test pass with CIs, pass@10/100/n, the copy
    rate and strict accuracy excluding copies.
    (pass@1 is strict accuracy: the same estimator.)"""
    ks = sorted({k for k in (10, 100) if k <= max_k} | ({max_k} if max_k > 1 else set()))
    out = [FIXED["problems"], FIXED["strict"], FIXED["test_pass"], *(pass_at(k) for k in ks)]
    return out + ([FIXED["copy_rate"], FIXED["strict_excl_copies"]] if similarity else [])


def headers(metrics: Sequence[Metric], level: float, with_ci: bool = True) -> list[str]:
    return [h for m in metrics for h in m.headers(with_ci, level)]


def cells(metrics: Sequence[Metric], view: BucketView) -> list[Cell]:
    return [c for m in metrics for c in m.cells(view)]


def fields(metrics: Sequence[Metric], view: BucketView) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in metrics:
        out |= m.fields(view)
    return out


def flat(cell: Cell) -> str | None:
    """A cell as one line of text: "30.00 [0.00, 60.00]"."""
    return " ".join(cell) if isinstance(cell, tuple) else cell
