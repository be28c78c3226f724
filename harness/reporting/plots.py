"""Figures (png, svg, pdf): grouped bars by difficulty with CI error bars, pass@k curves. Headless: no pyplot.

matplotlib is imported inside the functions, so importing the harness stays light.
"""
from __future__ import annotations

import io
import math
import textwrap
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from harness.reporting.report import RunReport

# (label, values in %, CI lows in %, CI highs in %); None where a bucket has no problems.
Series = tuple[str, Sequence[float | None], Sequence[float | None], Sequence[float | None]]


def _pct(x: float | None) -> float:
    return math.nan if x is None else 100.0 * x


def grouped_bars(ax, groups: Sequence[str], series: Sequence[Series], ylabel: str) -> None:
    """One cluster per group, one bar per series, error bars from the CI, value printed on top."""
    width = 0.8 / max(len(series), 1)
    for i, (label, values, lows, highs) in enumerate(series):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        heights = [math.nan if v is None else v for v in values]
        err = [[0.0 if v is None or lo is None else v - lo for v, lo in zip(values, lows)],
               [0.0 if v is None or hi is None else hi - v for v, hi in zip(values, highs)]]
        bars = ax.bar(xs, heights, width * 0.92, label=label, yerr=err, capsize=3, error_kw={"elinewidth": 1})
        ax.bar_label(bars, labels=["" if v is None else f"{v:.1f}" for v in values], padding=2, fontsize=7)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 112)  # room for the value printed above an error bar that reaches 100
    ax.set_yticks(range(0, 101, 20))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


VECTOR = ("svg", "pdf")
# No creation date in the file: the same run gives the same bytes.
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}


def _figure_bytes(fig, fmt: str) -> bytes:
    """png (raster, 200 dpi), svg or pdf (vector: every bar, line and letter a path or text object)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fmt not in _METADATA:
        raise ValueError(f"unknown figure format {fmt!r}")
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=200, bbox_inches="tight", metadata=_METADATA[fmt])
    return buf.getvalue()


def _metric_series(report: "RunReport", metric, label: str) -> Series:
    """One bar per difficulty of a columns.Metric (a rate), with its CI where the report has one."""
    from harness.reporting.report import view

    values, lows, highs = [], [], []
    for name in report.buckets:
        v = view(report, name)
        value = metric.value(v)
        ci = _interval(metric, v)
        values.append(None if value is None else _pct(value))
        lows.append(None if ci is None else _pct(ci[0]))
        highs.append(None if ci is None else _pct(ci[1]))
    return label, values, lows, highs


def _interval(metric, v):
    fields = metric.fields(v)
    low = next((x for k, x in fields.items() if k.endswith("_ci_low_frac")), None)
    high = next((x for k, x in fields.items() if k.endswith("_ci_high_frac")), None)
    return None if low is None or high is None else (low, high)


def pass_at_k_curve(ax, curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], title: str) -> None:
    """pass@k against k (log scale when k reaches 10 or more), one line per curve."""
    for label, ks, values in curves:
        ax.plot(ks, [_pct(v) for v in values], marker="o", markersize=3, label=label)
    top = max((max(ks) for _, ks, _ in curves if ks), default=1)
    if top >= 10:
        from matplotlib.ticker import NullFormatter

        ax.set_xscale("log")
        ticks = sorted({k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if k <= top} | {top})
        ax.set_xticks(ticks, [str(k) for k in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("k (samples drawn per problem)")
    ax.set_ylabel("pass@k %")
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, frameon=False)


def _curve(bucket, label: str) -> tuple[str, list[int], list[float]]:
    ks = sorted(int(k) for k in bucket.pass_at_k)
    return label, ks, [bucket.pass_at_k[str(k)] for k in ks]


def _group_labels(report: "RunReport") -> list[str]:
    return [f"{name}\n({b.problems} problem{'' if b.problems == 1 else 's'})" for name, b in report.buckets.items()]


def model_name(report: "RunReport") -> str:
    return report.settings.model_label()


def plain(text: str) -> str:
    """User text drawn literally: matplotlib reads $...$ as math."""
    return " ".join(text.split()).replace("$", r"\$")


def settings_legend(report: "RunReport", width: int = 150) -> str:
    """The run's settings, wrapped, for the space under the chart."""
    from harness.reporting.settings import settings_lines

    lines = [textwrap.fill(plain(line), width, subsequent_indent="    ") for line in settings_lines(report.settings)[:-1]]
    return "\n".join(lines)


def report_figure(report: "RunReport", fmt: str, metrics: Sequence) -> bytes:
    """The metrics per difficulty with their bootstrap CIs; beside them, with n > 1, the pass@k curve."""
    from matplotlib.figure import Figure

    n = max((int(k) for b in report.buckets.values() for k in b.pass_at_k), default=0)
    fig = Figure(figsize=(12.5 if n > 1 else 8, 4.5))
    axes = fig.subplots(1, 2, width_ratios=[3, 2]) if n > 1 else [fig.add_subplot()]
    ax = axes[0]
    series = [_metric_series(report, m, m.title or m.name) for m in metrics]
    grouped_bars(ax, _group_labels(report), series, f"% (error bars: {report.level:.0%} bootstrap CI)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(len(series), 4), fontsize=8, frameon=False)
    title = report.label if model_name(report) == report.label else f"{model_name(report)}: {report.label}"
    ax.set_title(plain(title + (" (partial: unfinished run)" if report.partial else "")), fontsize=10)
    if n > 1:
        curves = [_curve(b, name) for name, b in report.buckets.items() if b.pass_at_k]
        pass_at_k_curve(axes[1], curves, f"pass@k, k = 1..{n} (unbiased estimator)")
    fig.text(0.02, -0.08, settings_legend(report), fontsize=6, va="top", ha="left", family="monospace")
    return _figure_bytes(fig, fmt)


def comparison_figure(reports: Sequence["RunReport"], labels: Sequence[str], fmt: str, metrics: Sequence,
                      warnings: Sequence[str] = ()) -> bytes:
    """One panel per metric (one bar per run in each difficulty); the reference-copy rate where the runs have
    reference solutions; the overall pass@k curves when n > 1; the comparability warnings printed under it all."""
    from matplotlib.figure import Figure
    from harness.reporting.columns import FIXED

    panels = list(metrics)
    if any(s for r in reports for s in r.similarity.values()) and all(m.name != "copy_rate" for m in panels):
        panels.append(FIXED["copy_rate"])
    n = max((int(k) for r in reports for k in r.buckets["overall"].pass_at_k), default=0)
    rows = len(panels) + (1 if n > 1 else 0)
    fig = Figure(figsize=(max(8.0, 2.2 * len(reports) + 5), 3.6 * rows + 0.6))
    axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
    groups = [name for name in reports[0].buckets]
    level = reports[0].level
    for ax, metric in zip(axes, panels):
        title = metric.title or metric.name
        series = [_metric_series(r, metric, plain(label if model_name(r) == label else f"{label} ({model_name(r)})"))
                  for r, label in zip(reports, labels)]
        grouped_bars(ax, groups, series, f"{title} %")
        has_ci = any(lo is not None for _, _, lows, _ in series for lo in lows)
        ax.set_title(f"{title} by difficulty" + (f" (error bars: {level:.0%} bootstrap CI)" if has_ci else ""), fontsize=10)
    axes[len(panels) - 1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(len(reports), 3), fontsize=8, frameon=False)
    if n > 1:
        curves = [_curve(r.buckets["overall"], plain(label)) for r, label in zip(reports, labels) if r.buckets["overall"].pass_at_k]
        pass_at_k_curve(axes[-1], curves, "overall pass@k")
    fig.suptitle(plain(f"apps-eval comparison, baseline {labels[0]}"), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))  # room for the title above the panels
    if warnings:
        text = "\n".join(textwrap.fill(plain("Warning: " + w), 140, subsequent_indent="    ") for w in warnings)
        fig.text(0.01, 0.0, text, fontsize=7, va="top", ha="left", color="#b00000")
    return _figure_bytes(fig, fmt)
