"""Result tables of one run: md, tex, csv, json and png, with bootstrap CIs and the run's settings.

Metrics are recomputed from results.jsonl (so a validity mask can filter problems);
without a mask they are checked against summary.json and any disagreement is shown.
Tables (md, tex) show percentages with 2 decimals; csv and json carry fractions in [0, 1].
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from harness.errors import ConfigError
from harness.reporting.columns import (
    FIXED, BucketView, Cell, Metric, cells as column_cells, fields as column_fields, flat, full_metrics, headers as column_headers,
    paper_metrics, parse_metrics,
)
from harness.reporting.memorization import COPY_THRESHOLD, MIN_COPY_TOKENS, ReferenceSimilarity
from harness.reporting.ordering import natural_sorted
from harness.reporting.metrics import DIFFICULTIES, ProblemScore, memorization, problem_scores, summarize
from harness.reporting.settings import RunSettings, settings_lines, short_settings_line
from harness.records import BucketSummary, RunSummary, SampleResult
from harness.storage import RunFolder
from harness.reporting.escaping import csv_cell
from harness.reporting.tables import csv_text, fmt_ci, fmt_pct, frac, md_code, md_table, md_text, one_line, tex_document, tex_table
from harness.reporting.uncertainty import DEFAULT_BOOT, DEFAULT_LEVEL, DEFAULT_SEED, Interval, bucket_intervals, zero_width_notes
from harness.reporting.validity import Invalid, ValidityMask, apply_mask, exclusion_note

ROWS = DIFFICULTIES + ("overall",)
FORMATS = ("md", "tex", "csv", "json", "png", "svg", "pdf", "html")
VERDICT_COLUMNS = {
    "wrong_answer": "WA", "runtime_error": "RE", "timeout": "TLE", "memory_limit": "MLE",
    "output_limit": "OLE", "compile_error": "CE", "harness_error": "HE",
}
VERDICT_LEGEND = (
    "Verdict counts (samples, default comparison): WA wrong answer, RE runtime error, TLE timeout, "
    "MLE memory limit, OLE output limit, CE compile error, HE harness error (left out of every rate)."
)


@dataclass(frozen=True)
class RunReport:
    """Everything the renderers need for one run, computed once."""

    label: str
    path: str
    settings: RunSettings
    buckets: dict[str, BucketSummary]  # in ROWS order
    intervals: dict[str, dict[str, Interval]]
    scores: list[ProblemScore]
    results: list[SampleResult]
    excluded: dict[str, Invalid]  # by the validity mask
    masked: bool
    warnings: list[str]
    n_boot: int
    seed: int
    level: float
    # per bucket, from the rows' reference_similarity (older runs: summary.json's, without a mask); None: no references
    similarity: dict[str, ReferenceSimilarity | None]
    partial: str | None = None  # an unfinished run: what is judged so far

    def notes(self) -> list[str]:
        lines = ([f"Partial: {self.partial}."] if self.partial else []) + settings_lines(self.settings)
        if self.masked:
            lines.append("Valid-only: " + exclusion_note(self.excluded) + ".")
        lines.append(ci_note(self.level, self.n_boot, self.seed))
        return lines + zero_width_notes(self.intervals) + [f"Warning: {w}" for w in self.warnings]


def build_report(
    run: RunFolder,
    valid_mask: ValidityMask | None = None,
    *,
    label: str | None = None,
    named: bool | None = None,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> RunReport:
    if valid_mask is not None:
        valid_mask.check_dataset(run.record.dataset.fingerprint, str(run.path))
    results, missing, excluded = apply_mask(run.results, valid_mask, run.summary.missing_problems)
    summary = summarize(results, missing=missing)
    scores = problem_scores(results, missing)
    groups = {d: [s for s in scores if s.difficulty == d] for d in DIFFICULTIES} | {"overall": scores}
    warnings = [] if valid_mask is not None else summary_mismatches(summary.buckets, run.summary.buckets)
    return RunReport(
        label=label or run.path.name,
        path=str(run.path),
        settings=RunSettings.of(run.record, run.summary, summary.buckets["overall"].harness_errors,
                                label=label if (named if named is not None else label is not None) else None),
        buckets={name: summary.buckets[name] for name in ROWS},
        intervals=bucket_intervals(groups, n_boot=n_boot, seed=seed, level=level),
        scores=scores,
        results=list(results),
        excluded=excluded,
        masked=valid_mask is not None,
        warnings=warnings,
        n_boot=n_boot,
        seed=seed,
        level=level,
        similarity=report_similarity(run, scores, results, valid_mask is not None),
        partial=run.partial,
    )


def report_similarity(run: RunFolder, scores: Sequence[ProblemScore], results: Sequence[SampleResult],
                      masked: bool) -> dict[str, ReferenceSimilarity | None]:
    """Recomputed from the rows (so a validity mask applies); rows of older versions carry no match: summary.json's."""
    if any(r.reference_similarity is not None for r in run.results):
        return memorization(scores, results)
    return {} if masked else stored_similarity(run.summary)


def stored_similarity(summary: RunSummary) -> dict[str, ReferenceSimilarity | None]:
    """The reference-similarity record of each bucket in summary.json (None where absent)."""
    return {name: summary.reference_similarity.get(name) for name in ROWS}


SIMILARITY_HEADERS = ["Ref. similarity", "Ref. copies %", "Strict excl. copies %"]
SIMILARITY_NOTE = (
    "Ref. similarity: mean over samples of the best token similarity to the problem's reference solutions "
    "(comments, docstrings, layout dropped, names alpha-renamed); Ref. copies: samples with similarity >= "
    f"{COPY_THRESHOLD:g} and at least {MIN_COPY_TOKENS} tokens (a memorization signal); Strict excl. copies: strict "
    "accuracy with every copy counted as a failure; blank where the problems have no reference solutions."
)


def similarity_cells(s: ReferenceSimilarity | None) -> list[str | None]:
    if s is None:
        return [None, None, None]
    return [f"{s.mean:.3f}", fmt_pct(s.copy_rate), fmt_pct(s.strict_accuracy_excluding_copies)]


def similarity_fields(s: ReferenceSimilarity | None) -> dict[str, Any]:
    return {"reference_similarity_mean": None if s is None else s.mean, "reference_copy_rate_frac": None if s is None else frac(s.copy_rate),
            "strict_accuracy_excluding_copies_frac": None if s is None else frac(s.strict_accuracy_excluding_copies)}


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9
    return a == b


def summary_mismatches(computed: dict[str, BucketSummary], stored: dict[str, BucketSummary]) -> list[str]:
    """Where summary.json disagrees with the metrics recomputed from results.jsonl."""
    out = []
    for name, bucket in computed.items():
        if name not in stored:
            out.append(f"summary.json has no {name} bucket")
            continue
        saved = stored[name].to_json()
        computed_json = bucket.to_json()
        bad = [key for key, value in computed_json.items() if key in saved and not _close(value, saved[key])]
        if bad:
            values = "; ".join(f"{key} {json.dumps(saved[key])} in summary.json vs {json.dumps(computed_json[key])} from results.jsonl"
                               for key in bad)
            out.append(f"summary.json disagrees with results.jsonl in {name}: {values}")
    return out


def ci_note(level: float, n_boot: int, seed: int) -> str:
    return (
        f"{level:.0%} CIs: percentile bootstrap over problems, B={n_boot}, seed {seed}; "
        "overall resampled stratified by difficulty."
    )


# ---- cells ------------------------------------------------------------------------------------------


def table_ks(max_k: int) -> list[int]:
    """pass@k columns of md/tex tables: every k up to 10, then 20, 25, 50, 100, ... and n."""
    return [k for k in range(1, max_k + 1) if k <= 10 or k in (20, 25, 50, 100, 200, 500, 1000) or k == max_k]


def max_k(buckets: Sequence[BucketSummary]) -> int:
    return max((int(k) for b in buckets for k in b.pass_at_k), default=0)


def metric_headers(ks: Sequence[int], level: float) -> list[str]:
    ci = f"[{level:.0%} CI]"
    return [f"Strict acc. % {ci}", f"Test pass % {ci}"] + [f"pass@{k} %" + (f" {ci}" if k == 1 else "") for k in ks] + [
        "APPS strict %", "APPS test pass %"]


def metric_cells(b: BucketSummary, ci: dict[str, Interval], ks: Sequence[int]) -> list[str | None]:
    cells = [fmt_ci(b.strict_accuracy, ci.get("strict_accuracy")), fmt_ci(b.test_pass_rate, ci.get("test_pass_rate"))]
    for k in ks:
        value = b.pass_at_k.get(str(k))
        cells.append(fmt_ci(value, ci.get("pass@1")) if k == 1 else fmt_pct(value))
    return cells + [fmt_pct(b.apps_strict_accuracy), fmt_pct(b.apps_test_pass_rate)]


def verdict_cells(b: BucketSummary) -> list[str]:
    return [str(b.harness_errors if v == "harness_error" else b.verdicts.get(v, 0)) for v in VERDICT_COLUMNS]


def csv_metric_fields(b: BucketSummary, ci: dict[str, Interval], ks: Sequence[int]) -> dict[str, Any]:
    """Fractions (suffix _frac) with their CI bounds, then verdict counts of the default comparison."""
    values = {"strict_accuracy": b.strict_accuracy, "test_pass_rate": b.test_pass_rate}
    values |= {f"pass@{k}": b.pass_at_k.get(str(k)) for k in ks}
    values |= {"apps_strict_accuracy": b.apps_strict_accuracy, "apps_test_pass_rate": b.apps_test_pass_rate}
    out: dict[str, Any] = {"problems": b.problems, "samples": b.samples}
    for name, value in values.items():
        low, high = ci.get(name, (None, None)) if value is not None else (None, None)
        out |= {f"{name}_frac": frac(value), f"{name}_ci_low_frac": frac(low), f"{name}_ci_high_frac": frac(high)}
    return out | {v: b.verdicts.get(v, 0) for v in ("passed",) + tuple(VERDICT_COLUMNS)[:-1]} | {"harness_error": b.harness_errors}


# ---- per-problem detail -----------------------------------------------------------------------------


def best_sample(rows: Sequence[SampleResult]) -> SampleResult:
    """Passed if any, else the most tests passed; harness errors last; ties go to the lowest sample index."""
    return min(rows, key=lambda r: (r.verdict.value == "harness_error", r.verdict.value != "passed", -r.tests_passed, r.sample_index))


def problem_details(results: Sequence[SampleResult]) -> list[dict[str, Any]]:
    """One entry per problem (ids in natural order): its best sample and that sample's first failing test."""
    grouped: dict[str, list[SampleResult]] = {}
    for r in results:
        grouped.setdefault(r.problem_id, []).append(r)
    out = []
    for pid in natural_sorted(grouped):
        rows, best = grouped[pid], best_sample(grouped[pid])
        judged = [r for r in rows if r.verdict.value != "harness_error"]
        f = best.first_failure if best.verdict.value != "passed" else None
        failure = None if f is None else {
            "index": f.index, "verdict": f.verdict.value, "input": one_line(f.input),
            "expected": one_line(f.expected), "got": one_line(f.got), "detail": one_line(f.detail)}
        out.append({
            "problem_id": pid, "difficulty": best.difficulty.value, "samples": len(judged), "harness_errors": len(rows) - len(judged),
            "passed": sum(r.verdict.value == "passed" for r in judged), "best_sample": best.sample_index,
            "verdict": best.verdict.value, "tests_passed": best.tests_passed, "tests_total": best.tests_total,
            "failure": failure,
            "reference_similarity": None if best.reference_similarity is None else best.reference_similarity.to_json(),
            "copies": sum(r.reference_similarity is not None and r.reference_similarity.copy for r in judged),
        })
    return out


DETAIL_CSV = ["problem_id", "difficulty", "samples", "harness_errors", "passed", "best_sample", "verdict", "tests_passed", "tests_total"] + [
    f"failure_{k}" for k in ("index", "verdict", "input", "expected", "got", "detail")] + [
    "reference_similarity", "reference_index", "copies"]
DETAIL_HEADERS = ["Problem", "Difficulty", "Solved", "Best verdict", "Tests", "First failing test", "Input", "Expected", "Got", "Detail",
                  "Ref. similarity (reference)", "Copies"]


def detail_rows(details: Sequence[dict[str, Any]]) -> list[list[str | None]]:
    rows = []
    for d in details:
        f = d["failure"] or {}
        failing = f"#{f['index']} {f['verdict']}" if f else None
        m = d["reference_similarity"]
        similar = None if m is None else f"{m['score']:.3f} (#{m['reference_index']})"
        rows.append([d["problem_id"], d["difficulty"], f"{d['passed']}/{d['samples']}", d["verdict"],
                     f"{d['tests_passed']}/{d['tests_total']}", failing, f.get("input"), f.get("expected"), f.get("got"), f.get("detail"),
                     similar, None if m is None else str(d["copies"])])
    return rows


# ---- renderers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableOptions:
    """How tables are cut for their reader: --metrics (None: the format's default columns) and --notes."""

    metrics: str | None = None
    notes: str = "full"  # full | short | none

    def __post_init__(self) -> None:
        if self.notes not in NOTES:
            raise ConfigError(f"--notes must be one of {', '.join(NOTES)}, got {self.notes!r}")


NOTES = ("full", "short", "none")


def has_similarity(reports: Sequence[RunReport]) -> bool:
    return any(s for r in reports for s in r.similarity.values())


def chosen_metrics(reports: Sequence[RunReport], opts: TableOptions, paper: bool = False) -> list[Metric]:
    """The columns asked for, else the format's default (paper: the narrow .tex default)."""
    k = max_k([b for r in reports for b in r.buckets.values()])
    if opts.metrics is not None:
        return parse_metrics(opts.metrics, k)
    return (paper_metrics if paper else full_metrics)(k, has_similarity(reports))


def view(r: RunReport, bucket: str) -> BucketView:
    return BucketView(r.buckets[bucket], r.intervals[bucket], r.similarity.get(bucket))


def summary_table(r: RunReport, metrics: Sequence[Metric] | None = None, with_ci: bool = True) -> tuple[list[str], list[list[Cell]]]:
    metrics = chosen_metrics([r], TableOptions()) if metrics is None else metrics
    headers = ["Difficulty", *column_headers(metrics, r.level, with_ci)]
    return headers, [[name, *column_cells(metrics, view(r, name))] for name in r.buckets]


def run_notes(r: RunReport, opts: TableOptions, metrics: Sequence[Metric], tex: bool = False) -> list[str]:
    """The notes under a run's table: everything (full), the essentials (short) or none."""
    if opts.notes == "none":
        return []
    legend = ([VERDICT_LEGEND] if any(m.name == "verdicts" for m in metrics) else []) + (
        [SIMILARITY_NOTE] if any(m.name in ("similarity", "copy_rate", "strict_excl_copies") for m in metrics) and any(r.similarity.values()) else [])
    ci = [TEX_CI_NOTE.format(level=r.level)] if tex else []
    if opts.notes == "full":
        return ci + r.notes() + legend
    short = ([f"Partial: {r.partial}."] if r.partial else []) + [short_settings_line(r.settings)]
    short += (["Valid-only: " + exclusion_note(r.excluded) + "."] if r.masked else []) + ci
    short.append(f"{r.level:.0%} CIs: percentile bootstrap over problems (B={r.n_boot}).")
    return short + legend + [f"Warning: {w}" for w in r.warnings]


TEX_CI_NOTE = "Percentages; under a value, its {level:.0%} CI in brackets."


def _md(r: RunReport, details: bool, opts: TableOptions) -> str:
    metrics = chosen_metrics([r], opts)
    headers, rows = summary_table(r, metrics)
    parts = [f"## apps-eval report: {md_text(r.label)}" + (" (partial: unfinished run)" if r.partial else ""),
             md_table(headers, [[flat(c) for c in row] for row in rows])]
    notes = run_notes(r, opts, metrics)
    if notes:
        parts.append("**Settings**\n\n" + "\n".join(f"- {md_text(n)}" for n in notes))
    if details:
        rows = [row[:6] + [md_code(c) for c in row[6:10]] + row[10:] for row in detail_rows(problem_details(r.results))]  # program text: code spans
        parts.append("### Per-problem detail\n\n" + md_table(DETAIL_HEADERS, rows, text_columns=len(DETAIL_HEADERS)))
    return "\n\n".join(parts) + "\n"


def _tex(r: RunReport, details: bool, opts: TableOptions) -> str:
    metrics = chosen_metrics([r], opts, paper=True)
    headers, rows = summary_table(r, metrics, with_ci=False)
    tables = [tex_table(headers, rows, rule_before=(len(rows) - 1,))]
    if details:
        tables.append(tex_table(DETAIL_HEADERS, detail_rows(problem_details(r.results)), text_columns=len(DETAIL_HEADERS)))
    return tex_document(f"apps-eval results: {r.label}", tables, run_notes(r, opts, metrics, tex=True))


def _csv(r: RunReport, details: bool, opts: TableOptions) -> str:
    """One row per difficulty (fractions); with details, one row per problem instead."""
    if details:
        rows = [d | {f"failure_{k}": v for k, v in (d["failure"] or {}).items()} | _match_fields(d["reference_similarity"])
                for d in problem_details(r.results)]
        return csv_text(DETAIL_CSV, [[csv_cell(row.get(h)) for h in DETAIL_CSV] for row in rows])
    settings = r.settings.columns() if opts.notes != "none" else {}
    if opts.metrics is not None:
        metrics = chosen_metrics([r], opts)
        fields = [{"difficulty": name} | column_fields(metrics, view(r, name)) | settings for name in r.buckets]
    else:
        ks = range(1, max_k(list(r.buckets.values())) + 1)
        fields = [{"difficulty": name} | csv_metric_fields(b, r.intervals[name], ks) | similarity_fields(r.similarity.get(name)) | settings
                  for name, b in r.buckets.items()]
    return csv_text(list(fields[0]), [list(f.values()) for f in fields])


def _match_fields(m: dict[str, Any] | None) -> dict[str, Any]:
    return {"reference_similarity": None if m is None else m["score"], "reference_index": None if m is None else m["reference_index"]}


def report_json(r: RunReport, details: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run": r.label, "path": None if r.settings.label else r.path, "unit": "fraction", "settings": r.settings.to_json(),
        "buckets": {name: b.to_json() | {"ci": {k: list(v) for k, v in r.intervals[name].items()}} | {
            "reference_similarity": None if r.similarity.get(name) is None else r.similarity[name].to_json()}
            for name, b in r.buckets.items()},
        "bootstrap": {"method": "percentile", "level": r.level, "n_boot": r.n_boot, "seed": r.seed, "overall": "stratified by difficulty"},
        "valid_only": None, "warnings": r.warnings, "partial": r.partial,
    }
    if r.masked:
        reasons: dict[str, int] = {}
        for why in r.excluded.values():
            reasons[why.reason] = reasons.get(why.reason, 0) + 1
        out["valid_only"] = {"excluded": len(r.excluded), "reasons": reasons,
                             "problems": {pid: {"reason": w.reason, "detail": w.detail} for pid, w in r.excluded.items()}}
    if details:
        out["problems"] = problem_details(r.results)
    return out


def _figure(fmt: str) -> Callable[[RunReport, bool, TableOptions], bytes]:
    def render(r: RunReport, details: bool, opts: TableOptions) -> bytes:
        from harness.reporting.plots import report_figure

        return report_figure(r, fmt, chosen_figure_metrics([r], opts))

    return render


def chosen_figure_metrics(reports: Sequence[RunReport], opts: TableOptions) -> list[Metric]:
    """The bars of a figure: the scalar metrics asked for, else strict accuracy and test-pass rate (and, where the
    runs have reference similarity, strict accuracy excluding copies)."""
    if opts.metrics is None:
        return [FIXED["strict"], FIXED["test_pass"]] + ([FIXED["strict_excl_copies"]] if has_similarity(reports) else [])
    scalar = [m for m in chosen_metrics(reports, opts) if m.scalar]
    if not scalar:
        raise ConfigError(f"--metrics {opts.metrics}: a figure draws rates (strict, test_pass, pass@K, apps_*, copy_rate)")
    return scalar


FIGURES = ("png", "svg", "pdf")
RENDERERS: dict[str, Callable[[RunReport, bool, TableOptions], str | bytes]] = {
    "md": _md, "tex": _tex, "csv": _csv, "json": lambda r, d, o: json.dumps(report_json(r, d), indent=2) + "\n",
    **{fmt: _figure(fmt) for fmt in FIGURES}}


def render_report(run: RunFolder, fmt: str, *, valid_mask: ValidityMask | None = None, details: bool = False,
                  metrics: str | None = None, notes: str = "full", label: str | None = None) -> str | bytes:
    """The run's tables in one format; bytes for png/svg/pdf, text otherwise. `label`: the run's name, shown
    instead of its folder and its model's local path."""
    if fmt == "html":  # one page to browse the problems (harness/reporting/html_view.py)
        from harness.reporting.html_view import report_html

        return report_html(run, build_report(run, valid_mask, label=label))
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](build_report(run, valid_mask, label=label), details, TableOptions(metrics, notes))
