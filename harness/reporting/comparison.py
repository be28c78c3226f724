"""Side-by-side tables of several runs: deltas against the first run (the baseline), paired
tests over the problems both runs scored, and warnings when the numbers are not comparable.

A problem counts as *solved* by a run (for McNemar and --details) when at least one of its
judged samples passes every test under the default comparison; with n = 1 that is strict pass.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from harness.reporting.report import (
    ROWS, VERDICT_COLUMNS, VERDICT_LEGEND, RunReport, build_report, ci_note, csv_metric_fields, metric_cells, metric_headers,
    max_k, problem_details, report_json, settings_lines, table_ks, verdict_cells,
)
from harness.record_codec import encode
from harness.run_record import RunRecord
from harness.reporting.report import SIMILARITY_HEADERS, similarity_cells, similarity_fields
from harness.reporting.report import FIGURES, TEX_CI_NOTE, TableOptions, chosen_figure_metrics, chosen_metrics, view
from harness.reporting.columns import (
    BucketView, Cell, Metric, cells as column_cells, fields as column_fields, flat, headers as column_headers,
)
from harness.reporting.settings import short_settings_line
from harness.reporting.ordering import natural_sorted
from harness.reporting.significance import EXACT_MAX_DIFFERING, FEW_DIFFERING, PairedBootstrap, PairedComparison, compare_scores
from harness.storage import RunFolder
from harness.reporting.tables import csv_text, fmt_pct, frac, md_table, md_text, tex_document, tex_table
from harness.reporting.uncertainty import DEFAULT_BOOT, DEFAULT_SEED, zero_width_notes
from harness.reporting.validity import ValidityMask, exclusion_note

DELTA_METRICS = {"strict_accuracy": "strict", "test_pass_rate": "test pass", "apps_strict_accuracy": "APPS strict", "apps_test_pass_rate": "APPS test pass"}
METHOD_NOTES = (
    "Δ columns: percentage points against the baseline, each run scored on its own problems.",
    "Paired tests use only the problems both runs scored, through the per-problem differences d (run − baseline). "
    "Interval: paired bootstrap, problems resampled (overall stratified by difficulty), percentiles. p: two-sided "
    "sign-flip permutation test over problems, P(|mean of ±d| ≥ |mean d|); exact when at most "
    f"{EXACT_MAX_DIFFERING} problems differ or all differences have one size, else Monte Carlo "
    "(1 + #{|T*| ≥ |T|}) / (B + 1).",
    "McNemar (only when both runs have one sample per problem): b = solved by the baseline only, c = solved by the "
    "run only; exact binomial p = min(1, 2·P[X ≤ min(b, c)]), X ~ Bin(b + c, 1/2).",
)


def run_labels(runs: Sequence[RunFolder], given: Sequence[str | None] | None = None) -> list[str]:
    """The given labels (--label NAME=DIR), else folder names; where two runs share a name, their full paths."""
    given = list(given or [None] * len(runs))
    names = [g or r.path.name for r, g in zip(runs, given)]
    labels = [str(r.path) if g is None and names.count(n) > 1 else n for r, n, g in zip(runs, names, given)]
    chosen = [g for g in given if g is not None]
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"two runs have the same label {min(g for g in chosen if chosen.count(g) > 1)!r}; give each its own --label")
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # the same folder twice: number the repeats
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} ({seen[label]})"
    return labels


def _difference(a: Any, b: Any, name_a: str, name_b: str) -> str:
    """What differs between a (of the run named name_a) and b, each value named by its run: a's first."""
    both = lambda x, y: f"{json.dumps(x)} in {name_a} vs {json.dumps(y)} in {name_b}"
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        return "; ".join(f"{k}: {both(a.get(k), b.get(k))}" for k in keys)
    return both(a, b)


def _decoding(r: RunRecord) -> dict[str, Any] | None:
    """Decoding settings that change what is sampled (the seed does not change the distribution)."""
    if r.generation is None:
        return None
    decoding = {k: v for k, v in encode(r.generation.decoding).items() if k != "seed"}
    if decoding.get("stop") is None and r.prompt is not None:
        decoding["stop"] = list(r.prompt.stop)  # the template's default, as used
    return decoding


def _template(r: RunRecord) -> dict[str, Any] | None:
    """The template as asked and, once the model's tokenizer resolved it, as used."""
    if r.generation is None:
        return None
    out = encode(r.generation.template)
    if r.prompt is not None:
        p = r.prompt
        out |= {"used": p.name, "kind": p.kind, "used_text": p.text, "used_system_prompt": p.system_prompt,
                "chat_template_sha256": p.chat_template_sha256}
    return out


CHECKS: dict[str, Callable[[RunRecord], Any]] = {
    "dataset fingerprints": lambda r: r.dataset.fingerprint,
    "program sources": lambda r: r.programs.source.value,
    "prompt templates": lambda r: _template(r),
    "decoding settings": _decoding,
    "model dtypes": lambda r: None if r.model is None else r.model.dtype,
    "model devices": lambda r: None if r.model is None else r.model.device,
    "batch invariance of decoding": lambda r: None if r.model is None else r.model.batch_invariant,
    "limits": lambda r: None if r.execution is None else encode(r.execution.limits),
    "comparators": lambda r: encode(r.comparators),
}


_MODEL_CHECKS = ("model dtypes", "model devices", "batch invariance of decoding")  # unknown (None) on one side: no warning


def comparability_warnings(runs: Sequence[RunFolder], labels: Sequence[str] | None = None) -> list[str]:
    """Why each run's numbers are not directly comparable with the baseline's (empty when they are)."""
    labels = list(labels or run_labels(runs))
    base, out = runs[0], []
    base_ids = {r.problem_id for r in base.results}
    for run, label in zip(runs[1:], labels[1:]):
        for what, get in CHECKS.items():
            theirs, ours = get(base.record), get(run.record)
            if theirs != ours and not (what in _MODEL_CHECKS and None in (theirs, ours)):
                out.append(f"{label} vs {labels[0]}: {what} differ ({_difference(ours, theirs, label, labels[0])}); "
                           "the numbers are not comparable")
        ids = {r.problem_id for r in run.results}
        if ids != base_ids:
            out.append(
                f"{label} vs {labels[0]}: problem sets differ: {len(ids & base_ids)} shared, "
                f"{len(base_ids - ids)} only in {labels[0]}, {len(ids - base_ids)} only in {label} "
                f"({len(ids ^ base_ids)} not shared)"
            )
    return out


@dataclass(frozen=True)
class Comparison:
    labels: list[str]
    reports: list[RunReport]
    paired: list[dict[str, PairedComparison]]  # one per non-baseline run, by bucket
    warnings: list[str]


def build_comparison(runs: Sequence[RunFolder], valid_mask: ValidityMask | None = None, *, labels: Sequence[str | None] | None = None,
                     n_boot: int = DEFAULT_BOOT, seed: int = DEFAULT_SEED) -> Comparison:
    if len(runs) < 2:
        raise ValueError("a comparison needs at least two runs")
    given = list(labels or [None] * len(runs))
    labels = run_labels(runs, given)
    reports = [build_report(run, valid_mask, label=label, named=name is not None, n_boot=n_boot, seed=seed)
               for run, label, name in zip(runs, labels, given)]
    base = reports[0].scores
    paired = []
    for other in reports[1:]:
        by_bucket = {}
        for bucket in ROWS:
            mine = base if bucket == "overall" else [s for s in base if s.difficulty == bucket]
            by_bucket[bucket] = compare_scores(mine, other.scores, bucket=bucket, n_boot=n_boot, seed=seed)
        paired.append(by_bucket)
    return Comparison(labels, reports, paired, comparability_warnings(runs, labels))


def solved_only(a: RunReport, b: RunReport) -> tuple[list[str], list[str]]:
    """Shared problems solved (any sample passes) by a but not b, and by b but not a."""
    solved_a = {s.problem_id: s.correct > 0 for s in a.scores}
    solved_b = {s.problem_id: s.correct > 0 for s in b.scores}
    shared = natural_sorted(solved_a.keys() & solved_b.keys())
    return [p for p in shared if solved_a[p] and not solved_b[p]], [p for p in shared if solved_b[p] and not solved_a[p]]


def _delta(x: float | None, base: float | None) -> float | None:
    return None if x is None or base is None else x - base


def _pp(x: float | None) -> str | None:
    return None if x is None else f"{100 * x:+.2f}"


DELTA_NAMES = {"strict": "strict", "test_pass": "test pass", "apps_strict": "APPS strict", "apps_test_pass": "APPS test pass",
               "copy_rate": "ref. copies"}


def _delta_header(m: Metric) -> str:
    return f"Δ {DELTA_NAMES.get(m.name, m.name)} pp"


def _chosen_deltas(metrics: Sequence[Metric]) -> list[Metric]:
    return [m for m in metrics if m.scalar]


def _delta_cells(metrics: Sequence[Metric], mine: BucketView, base: BucketView | None) -> list[str | None]:
    """Δ of each rate against the baseline, in percentage points (None for the baseline itself)."""
    if base is None:
        return [None] * len(metrics)
    return [_pp(_delta(m.value(mine), m.value(base))) for m in metrics]


def chosen_results_table(c: Comparison, metrics: Sequence[Metric], with_ci: bool = True,
                         only_strict_delta: bool = False) -> tuple[list[str], list[list[Cell]]]:
    """--metrics: by difficulty, the chosen columns and the Δ of each chosen rate (the .tex default: of strict only)."""
    deltas = [m for m in _chosen_deltas(metrics) if m.name == "strict" or not only_strict_delta]
    metrics = [m for m in metrics if not only_strict_delta or m.name != "problems"]  # .tex default: the page width
    headers = ["Run", "Difficulty", *column_headers(metrics, c.reports[0].level, with_ci), *(_delta_header(m) for m in deltas)]
    rows = []
    for bucket in ROWS:
        base = view(c.reports[0], bucket)
        for i, (r, label) in enumerate(zip(c.reports, c.labels)):
            mine = view(r, bucket)
            rows.append([label, bucket, *column_cells(metrics, mine), *_delta_cells(deltas, mine, None if i == 0 else base)])
    return headers, rows


def chosen_runs_table(c: Comparison, metrics: Sequence[Metric], with_ci: bool = True,
                      only_strict_delta: bool = False) -> tuple[list[str], list[list[Cell]]]:
    """--metrics (or the .tex default, with only_strict_delta): one row per run, overall, the chosen columns, their Δ
    and the paired p of strict."""
    deltas = [m for m in _chosen_deltas(metrics) if m.name == "strict" or not only_strict_delta]
    strict = any(m.name == "strict" for m in metrics)
    model = not only_strict_delta  # the page-wide default leaves the model and problem counts to the notes
    metrics = [m for m in metrics if model or m.name != "problems"]
    headers = ["Run", *(["Model"] if model else []), *column_headers(metrics, c.reports[0].level, with_ci),
               *(_delta_header(m) for m in deltas)]
    headers += ["p strict (paired)"] if strict else []
    base = view(c.reports[0], "overall")
    rows = []
    for i, (r, label) in enumerate(zip(c.reports, c.labels)):
        mine = view(r, "overall")
        row = [label, *([r.settings.model_label()] if model else []), *column_cells(metrics, mine),
               *_delta_cells(deltas, mine, None if i == 0 else base)]
        if strict:
            paired = None if i == 0 else c.paired[i - 1]["overall"].strict
            row.append(None if paired is None else _p(paired.p_value))
        rows.append(row)
    return headers, rows


def results_table(c: Comparison) -> tuple[list[str], list[list[str | None]]]:
    ks = table_ks(max_k([b for r in c.reports for b in r.buckets.values()]))
    level = c.reports[0].level
    headers = ["Run", "Difficulty", "Problems", "Samples", *metric_headers(ks, level), *(f"Δ {n} pp" for n in DELTA_METRICS.values()), *VERDICT_COLUMNS.values()]
    similar = any(s for r in c.reports for s in r.similarity.values())
    if similar:
        headers += [*SIMILARITY_HEADERS, "Δ ref. similarity", "Δ ref. copies pp"]
    rows = []
    for bucket in ROWS:
        base = c.reports[0].buckets[bucket]
        for i, (r, label) in enumerate(zip(c.reports, c.labels)):
            b = r.buckets[bucket]
            deltas = [None if i == 0 else _pp(_delta(getattr(b, m), getattr(base, m))) for m in DELTA_METRICS]
            row = [label, bucket, str(b.problems), str(b.samples), *metric_cells(b, r.intervals[bucket], ks), *deltas, *verdict_cells(b)]
            if similar:
                mine, theirs = r.similarity.get(bucket), c.reports[0].similarity.get(bucket)
                row += similarity_cells(mine) + ([None, None] if i == 0 else similarity_deltas(mine, theirs))
            rows.append(row)
    return headers, rows


RUN_BUCKET_METRICS = {"strict_accuracy": "strict %", "test_pass_rate": "test pass %"}


def runs_table(c: Comparison) -> tuple[list[str], list[list[str | None]]]:
    """The paper's main table: one row per run, overall metrics with CIs, strict accuracy per difficulty."""
    ks = [k for k in table_ks(max_k([r.buckets["overall"] for r in c.reports])) if k in (1, 5, 10, 100)]
    level = c.reports[0].level
    headers = ["Run", "Model", "Problems", "Samples", *metric_headers(ks, level)]
    headers += [f"{d} strict %" for d in ROWS[:-1]] + ["Δ strict pp", "p strict (paired)", "HE"]
    similar = any(r.similarity.get("overall") for r in c.reports)
    if similar:
        headers += SIMILARITY_HEADERS
    rows = []
    for i, (r, label) in enumerate(zip(c.reports, c.labels)):
        b = r.buckets["overall"]
        paired = None if i == 0 else c.paired[i - 1]["overall"].strict
        rows.append([label, r.settings.model_label(), str(b.problems), str(b.samples), *metric_cells(b, r.intervals["overall"], ks),
                     *(fmt_pct(r.buckets[d].strict_accuracy) for d in ROWS[:-1]),
                     None if i == 0 else _pp(_delta(b.strict_accuracy, c.reports[0].buckets["overall"].strict_accuracy)),
                     None if paired is None else _p(paired.p_value), str(b.harness_errors)]
                    + (similarity_cells(r.similarity.get("overall")) if similar else []))
    return headers, rows


def runs_csv_rows(c: Comparison) -> list[dict[str, Any]]:
    ks = range(1, max_k([r.buckets["overall"] for r in c.reports]) + 1)
    out = []
    for i, (r, label) in enumerate(zip(c.reports, c.labels)):
        b = r.buckets["overall"]
        row = {"run": label} | r.settings.columns() | csv_metric_fields(b, r.intervals["overall"], ks)
        row |= {f"{d}_strict_accuracy_frac": frac(r.buckets[d].strict_accuracy) for d in ROWS[:-1]}
        base = c.reports[0].buckets["overall"]
        row |= {f"delta_{m}_frac": None if i == 0 else frac(_delta(getattr(b, m), getattr(base, m))) for m in DELTA_METRICS}
        row |= similarity_fields(r.similarity.get("overall"))
        out.append(row | _paired_fields(None if i == 0 else c.paired[i - 1]["overall"]))
    return out


def _md_rows(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Run labels and model names are user text: literal in Markdown."""
    return [[md_text(row[0]) if row[0] else row[0], *row[1:]] for row in rows]
def _similarity_delta_fields(mine: Any, base: Any) -> dict[str, float | None]:
    both = mine is not None and base is not None
    return {"reference_similarity_mean": mine.mean - base.mean if both else None,
            "reference_copy_rate": mine.copy_rate - base.copy_rate if both else None}


def similarity_deltas(mine: Any, base: Any) -> list[str | None]:
    """Δ mean similarity and Δ copy rate (pp) against the baseline; blank where either has no value."""
    if mine is None or base is None:
        return [None, None]
    return [f"{mine.mean - base.mean:+.3f}", _pp(mine.copy_rate - base.copy_rate)]


def _test_cell(t: PairedBootstrap | None, stacked: bool = False) -> Cell:
    """The difference and its interval: one text, or (stacked, for tex) a (value, interval) pair."""
    if t is None:
        return None
    interval = f"[{100 * t.low:+.2f}, {100 * t.high:+.2f}]"
    if stacked:  # a zero-width interval is named in the notes (paired_notes)
        return (f"{100 * t.difference:+.2f}", interval)
    return f"{100 * t.difference:+.2f} {interval}" + (" (zero width)" if t.collapsed else "")


def paired_notes(c: "Comparison") -> list[str]:
    """What the paired tests cannot show: few differing problems, zero-width intervals."""
    out = []
    for label, by_bucket in zip(c.labels[1:], c.paired):
        for name, what in (("strict", "strict accuracy"), ("test_pass", "test pass rate")):
            tests = {bucket: getattr(t, name) for bucket, t in by_bucket.items() if getattr(t, name) is not None}
            few = [f"{bucket} {t.differing}" for bucket, t in tests.items() if t.differing < FEW_DIFFERING]
            if few:
                out.append(f"{label} vs {c.labels[0]}, {what}: fewer than {FEW_DIFFERING} problems differ ({', '.join(few)}); "
                           f"the smallest possible p with m differing problems is 2/2^m, and the interval is unreliable at this size.")
            flat = [bucket for bucket, t in tests.items() if t.collapsed and t.differing]
            if flat:
                out.append(f"{label} vs {c.labels[0]}, {what}: zero-width interval ({', '.join(flat)}): the differences are "
                           "constant within every difficulty, so resampling problems cannot measure their uncertainty; "
                           "read the p-value.")
    return out


def _p(p: float | None) -> str | None:
    return None if p is None else f"{p:.4g}"


def paired_table(c: Comparison, stacked: bool = False) -> tuple[list[str], list[list[Cell]]]:
    """The paired tests; stacked (tex): intervals under the differences, the baseline named in the notes."""
    ci = "" if stacked else " [95% CI]"
    headers = ["Run" if stacked else "Run vs baseline", "Difficulty", "Shared problems", f"Δ strict pp{ci}", "p strict",
               f"Δ test pass pp{ci}", "p test pass", "McNemar b", "McNemar c", "McNemar p"]
    rows = []
    for label, by_bucket in zip(c.labels[1:], c.paired):
        for bucket, t in by_bucket.items():
            m = t.mcnemar
            rows.append([label if stacked else f"{label} vs {c.labels[0]}", bucket, str(t.problems), _test_cell(t.strict, stacked),
                         _p(t.strict and t.strict.p_value), _test_cell(t.test_pass, stacked), _p(t.test_pass and t.test_pass.p_value),
                         *(["n/a", "n/a", "n/a"] if m is None else [str(m.b), str(m.c), _p(m.p_value)])])
    if stacked and all(t.mcnemar is None for by_bucket in c.paired for t in by_bucket.values()):
        headers, rows = headers[:-3], [row[:-3] for row in rows]  # McNemar needs n = 1: nothing to show
    return headers, rows


def notes(c: Comparison, details: bool, opts: TableOptions | None = None, tex: bool = False) -> list[str]:
    opts = opts or TableOptions()
    if opts.notes == "none":
        return []
    if opts.notes == "short":
        return short_notes(c, tex)
    out = [f"Baseline: {c.labels[0]}."] + ([TEX_CI_NOTE.format(level=c.reports[0].level)] if tex else [])
    for r in c.reports:
        extra = ([exclusion_note(r.excluded) + "."] if r.masked else []) + [f"Warning: {w}" for w in r.warnings]
        partial = [f"Partial: {r.partial}."] if r.partial else []
        out.append(f"{r.label}: " + " ".join(partial + settings_lines(r.settings) + extra))
    out += [f"{r.label}: {note}" for r in c.reports for note in zero_width_notes(r.intervals)]
    out += list(METHOD_NOTES) + paired_notes(c) + [VERDICT_LEGEND] + [f"Warning: {w}" for w in c.warnings]
    if details:
        for other in c.reports[1:]:
            a_only, b_only = solved_only(c.reports[0], other)
            out.append(f"Solved by {c.reports[0].label} only ({len(a_only)}): {_solved_list(c.reports[0], a_only)}.")
            out.append(f"Solved by {other.label} only ({len(b_only)}): {_solved_list(other, b_only)}.")
    return out


def problem_rows(c: Comparison) -> list[dict[str, Any]]:
    """--details: one entry per problem any run scored (natural order): each run's solved samples and best verdict."""
    per_run = [{d["problem_id"]: d for d in problem_details(r.results)} for r in c.reports]
    difficulty = {s.problem_id: s.difficulty.value for r in reversed(c.reports) for s in r.scores}
    rows = []
    for pid in natural_sorted(difficulty):
        runs = {}
        for label, found in zip(c.labels, per_run):
            d = found.get(pid)
            runs[label] = None if d is None else {"passed": d["passed"], "samples": d["samples"], "verdict": d["verdict"],
                                                  "tests_passed": d["tests_passed"], "tests_total": d["tests_total"],
                                                  "reference_similarity": d["reference_similarity"], "copies": d["copies"]}
        rows.append({"problem_id": pid, "difficulty": difficulty[pid], "runs": runs})
    return rows


def problem_table(c: Comparison) -> tuple[list[str], list[list[str | None]]]:
    headers = ["Problem", "Difficulty"] + [f"{label}: solved" for label in c.labels] + [f"{label}: best verdict" for label in c.labels]
    problems = problem_rows(c)
    similar = any(x is not None and x["reference_similarity"] is not None for row in problems for x in row["runs"].values())
    if similar:  # the best sample's similarity to its nearest reference, and the problem's copies
        headers += [f"{label}: ref. similarity (copies)" for label in c.labels]
    rows = []
    for row in problems:
        cells = [row["runs"][label] for label in c.labels]
        rows.append([row["problem_id"], row["difficulty"], *(None if x is None else f"{x['passed']}/{x['samples']}" for x in cells),
                     *(None if x is None else f"{x['verdict']} ({x['tests_passed']}/{x['tests_total']} tests)" for x in cells)]
                    + ([_similarity_cell(x) for x in cells] if similar else []))
    return headers, rows


def _similarity_cell(x: dict[str, Any] | None) -> str | None:
    m = None if x is None else x["reference_similarity"]
    return None if m is None else f"{m['score']:.3f} ({x['copies']})"


def _solved_list(r: RunReport, ids: Sequence[str]) -> str:
    """Problem ids, each with the highest reference similarity among its passing samples ("copy" when one is a copy)."""
    passing: dict[str, list] = {}
    for row in r.results:
        if row.problem_id in ids and row.verdict.value == "passed" and row.reference_similarity is not None:
            passing.setdefault(row.problem_id, []).append(row.reference_similarity)
    out = []
    for pid in ids:
        matches = passing.get(pid)
        if not matches:
            out.append(pid)
            continue
        top = max(matches, key=lambda m: (m.copy, m.score))
        out.append(f"{pid} (ref. similarity {top.score:.2f}{', copy' if top.copy else ''})")
    return ", ".join(out) or "none"


def short_notes(c: Comparison, tex: bool = False) -> list[str]:
    """--notes short: the baseline, one line per run, the CI method, the warnings."""
    r0 = c.reports[0]
    out = [f"Baseline: {c.labels[0]}."] + ([TEX_CI_NOTE.format(level=r0.level)] if tex else [])
    out += [f"{r.label}: " + " ".join(([f"Partial: {r.partial}."] if r.partial else []) + [short_settings_line(r.settings)]
                                      + ([exclusion_note(r.excluded) + "."] if r.masked else [])) for r in c.reports]
    out.append(f"{r0.level:.0%} CIs: percentile bootstrap over problems (B={r0.n_boot}); paired tests over the problems both runs scored.")
    return out + paired_notes(c) + [f"Warning: {w}" for w in c.warnings]


def _tables(c: Comparison, opts: TableOptions, tex: bool) -> tuple[tuple[list[str], list[list[Cell]]], tuple[list[str], list[list[Cell]]]]:
    """The main (one row per run) and by-difficulty tables: the chosen or .tex default columns, else every column."""
    if opts.metrics is None and not tex:
        return runs_table(c), results_table(c)
    metrics = chosen_metrics(c.reports, opts, paper=tex)
    if tex and opts.metrics is None:  # the page width: a column per run's copies is kept, the adjusted accuracy left to md/csv
        metrics = [m for m in metrics if m.name != "strict_excl_copies"]
    return (chosen_runs_table(c, metrics, with_ci=not tex, only_strict_delta=opts.metrics is None),
            chosen_results_table(c, metrics, with_ci=not tex, only_strict_delta=opts.metrics is None))


def _flat_rows(rows: list[list[Cell]]) -> list[list[str | None]]:
    return [[flat(x) for x in row] for row in rows]


def _md(c: Comparison, details: bool, opts: TableOptions | None = None) -> str:
    opts = opts or TableOptions()
    (h0, rows0), (h1, rows1) = _tables(c, opts, tex=False)
    rows0, rows1 = _flat_rows(rows0), _flat_rows(rows1)
    parts = [f"## apps-eval comparison (baseline: {md_text(c.labels[0])})", md_table(h0, [[md_text(row[0]), md_text(row[1]), *row[2:]] for row in rows0], text_columns=2),
             "### By difficulty", md_table(h1, _md_rows(rows1)),
             "### Paired tests", md_table(paired_table(c)[0], _md_rows(paired_table(c)[1]))]
    listed = notes(c, details, opts)
    if listed:
        parts.append("**Notes**\n\n" + "\n".join(f"- {md_text(n)}" for n in listed))
    if details:
        h, rows = problem_table(c)
        parts.append("### Per-problem detail\n\n" + md_table([md_text(x) for x in h], [[md_text(row[0]), *row[1:]] for row in rows], text_columns=len(h)))
    return "\n\n".join(parts) + "\n"


def _tex(c: Comparison, details: bool, opts: TableOptions | None = None) -> str:
    opts = opts or TableOptions()
    (h0, rows0), (h1, rows1) = _tables(c, opts, tex=True)
    n = len(c.reports)
    h2, rows2 = paired_table(c, stacked=True)
    tables = [tex_table(h0, rows0, text_columns=2 if h0[1] == "Model" else 1), tex_table(h1, rows1, rule_before=range(n, len(rows1), n)), tex_table(h2, rows2, rule_before=range(len(ROWS), len(rows2), len(ROWS)))]
    if details:
        tables.append(tex_table(*problem_table(c), text_columns=2))
    return tex_document(f"apps-eval comparison, baseline {c.labels[0]}", tables, notes(c, details, opts, tex=True))


def _paired_fields(t: PairedComparison | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"shared_problems": None if t is None else t.problems}
    for name in ("strict", "test_pass"):
        test = None if t is None else getattr(t, name)
        fields |= {f"paired_{name}_diff_frac": test and frac(test.difference), f"paired_{name}_ci_low_frac": test and frac(test.low),
                   f"paired_{name}_ci_high_frac": test and frac(test.high), f"paired_{name}_p": test and test.p_value,
                   f"paired_{name}_p_exact": test and test.exact, f"paired_{name}_differing": test and test.differing,
                   f"paired_{name}_ci_zero_width": test and test.collapsed}
    m = None if t is None else t.mcnemar
    return fields | {"mcnemar_b": m and m.b, "mcnemar_c": m and m.c, "mcnemar_p": m and m.p_value}


def _csv(c: Comparison, details: bool, opts: TableOptions | None = None) -> str:
    """One row per (run, difficulty), fractions; with details, one row per problem with solved flags instead."""
    opts = opts or TableOptions()
    if details:
        solved = [{s.problem_id: int(s.correct > 0) for s in r.scores} for r in c.reports]
        difficulty = {s.problem_id: s.difficulty for r in reversed(c.reports) for s in r.scores}
        rows = [[pid, difficulty[pid], *(m.get(pid) for m in solved)] for pid in natural_sorted(difficulty)]
        return csv_text(["problem_id", "difficulty", *(f"solved:{label}" for label in c.labels)], rows)
    if opts.metrics is not None:
        metrics = chosen_metrics(c.reports, opts)
        rows = []
        for bucket in ROWS:
            base = view(c.reports[0], bucket)
            for i, (r, label) in enumerate(zip(c.reports, c.labels)):
                mine = view(r, bucket)
                deltas = {f"delta_{m.name}_frac": None if i == 0 else frac(_delta(m.value(mine), m.value(base))) for m in _chosen_deltas(metrics)}
                rows.append({"run": label, "difficulty": bucket} | column_fields(metrics, mine) | deltas)
        return csv_text(list(rows[0]), [list(row.values()) for row in rows])
    ks = range(1, max_k([b for r in c.reports for b in r.buckets.values()]) + 1)
    rows = []
    for bucket in ROWS:
        base = c.reports[0].buckets[bucket]
        for i, (r, label) in enumerate(zip(c.reports, c.labels)):
            b = r.buckets[bucket]
            deltas = {f"delta_{m}_frac": None if i == 0 else frac(_delta(getattr(b, m), getattr(base, m))) for m in DELTA_METRICS}
            paired = _paired_fields(None if i == 0 else c.paired[i - 1][bucket])
            similarity = similarity_fields(r.similarity.get(bucket))
            rows.append({"run": label, "difficulty": bucket} | csv_metric_fields(b, r.intervals[bucket], ks) | similarity | deltas | paired)
    return csv_text(list(rows[0]), [list(row.values()) for row in rows])


def comparison_json(c: Comparison, details: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"baseline": c.labels[0], "unit": "fraction", "runs": [report_json(r, False) for r in c.reports]}
    out["deltas"] = {label: {bucket: {m: _delta(getattr(r.buckets[bucket], m), getattr(c.reports[0].buckets[bucket], m)) for m in DELTA_METRICS}
                             | _similarity_delta_fields(r.similarity.get(bucket), c.reports[0].similarity.get(bucket))
                             for bucket in ROWS} for label, r in zip(c.labels[1:], c.reports[1:])}
    out["paired"] = {label: {bucket: _paired_fields(t) for bucket, t in by.items()} for label, by in zip(c.labels[1:], c.paired)}
    out["runs_table"] = runs_csv_rows(c)
    out["methods"] = list(METHOD_NOTES)
    out["warnings"] = c.warnings
    if details:
        out["details"] = {label: dict(zip(("baseline_only", "run_only"), solved_only(c.reports[0], r))) for label, r in zip(c.labels[1:], c.reports[1:])}
        out["problems"] = problem_rows(c)
    return out


def _figure(fmt: str) -> Callable[[Comparison, bool, TableOptions], bytes]:
    def render(c: Comparison, details: bool, opts: TableOptions) -> bytes:
        from harness.reporting.plots import comparison_figure

        return comparison_figure(c.reports, c.labels, fmt, chosen_figure_metrics(c.reports, opts), c.warnings)

    return render


RENDERERS: dict[str, Callable[[Comparison, bool, TableOptions], str | bytes]] = {
    "md": _md, "tex": _tex, "csv": _csv, "json": lambda c, d, o: json.dumps(comparison_json(c, d), indent=2) + "\n",
    **{fmt: _figure(fmt) for fmt in FIGURES}}


def _runs_notes(c: Comparison, opts: TableOptions, tex: bool) -> list[str]:
    if opts.notes == "none":
        return []
    if opts.notes == "short":
        return short_notes(c, tex)
    r0 = c.reports[0]
    return [f"Baseline: {c.labels[0]}.", *([TEX_CI_NOTE.format(level=r0.level)] if tex else []),
            *(f"{r.label}: " + " ".join(([f"Partial: {r.partial}."] if r.partial else []) + settings_lines(r.settings)) for r in c.reports),
            ci_note(r0.level, r0.n_boot, r0.seed), *paired_notes(c), *(f"Warning: {w}" for w in c.warnings)]


def _runs_md(c: Comparison, opts: TableOptions) -> str:
    h, rows = _tables(c, opts, tex=False)[0]
    table = md_table(h, [[md_text(row[0]), md_text(row[1]), *row[2:]] for row in _flat_rows(rows)], text_columns=2)
    listed = _runs_notes(c, opts, tex=False)
    return "\n\n".join([table] + (["\n".join(f"- {md_text(n)}" for n in listed)] if listed else [])) + "\n"


def _runs_tex(c: Comparison, opts: TableOptions) -> str:
    h, rows = _tables(c, opts, tex=True)[0]
    text_columns = 2 if h[1] == "Model" else 1
    return tex_document(f"apps-eval: {len(c.reports)} runs, baseline {c.labels[0]}", [tex_table(h, rows, text_columns=text_columns)],
                        _runs_notes(c, opts, tex=True))


def _runs_csv(c: Comparison, opts: TableOptions) -> str:
    if opts.metrics is not None:
        metrics = chosen_metrics(c.reports, opts)
        base = view(c.reports[0], "overall")
        rows = [{"run": label} | column_fields(metrics, view(r, "overall"))
                | {f"delta_{m.name}_frac": None if i == 0 else frac(_delta(m.value(view(r, "overall")), m.value(base))) for m in _chosen_deltas(metrics)}
                for i, (r, label) in enumerate(zip(c.reports, c.labels))]
        return csv_text(list(rows[0]), [list(row.values()) for row in rows])
    rows = runs_csv_rows(c)
    return csv_text(list(rows[0]), [list(row.values()) for row in rows])


def _runs_json(c: Comparison, opts: TableOptions) -> str:
    return json.dumps({"baseline": c.labels[0], "unit": "fraction", "runs": runs_csv_rows(c),
                       "settings": {label: r.settings.to_json() for label, r in zip(c.labels, c.reports)},
                       "warnings": c.warnings}, indent=2) + "\n"


RUNS_RENDERERS: dict[str, Callable[[Comparison, TableOptions], str | bytes]] = {
    "md": _runs_md, "tex": _runs_tex, "csv": _runs_csv, "json": _runs_json,
    **{fmt: (lambda fmt: lambda c, o: _figure(fmt)(c, False, o))(fmt) for fmt in FIGURES}}
TABLES = ("full", "runs")


def render_comparison(runs: Sequence[RunFolder], fmt: str, *, valid_mask: ValidityMask | None = None, details: bool = False,
                      labels: Sequence[str | None] | None = None, table: str = "full", metrics: str | None = None,
                      notes: str = "full") -> str | bytes:
    """Side-by-side tables of runs[0] (the baseline) and the others; bytes for png, svg and pdf.

    table="runs": only the main table, one row per run (for a paper), in any format. metrics: the
    columns ("strict,pass@10,copy_rate"; None: the format's default); notes: full, short or none.
    """
    if fmt not in RENDERERS and fmt != "html":
        raise ValueError(f"unknown comparison format {fmt!r}; choose one of {', '.join([*RENDERERS, 'html'])}")
    if table not in TABLES:
        raise ValueError(f"unknown comparison table {table!r}; choose one of {', '.join(TABLES)}")
    opts = TableOptions(metrics, notes)
    comparison = build_comparison(runs, valid_mask, labels=labels)
    if fmt == "html":  # the whole comparison, problem by problem
        from harness.reporting.html_view import comparison_html

        return comparison_html(runs, comparison)
    return RUNS_RENDERERS[fmt](comparison, opts) if table == "runs" else RENDERERS[fmt](comparison, details, opts)
