"""PNG charts: grouped bars by difficulty with CI error bars. Headless: matplotlib's Agg canvas, no pyplot.

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


def _figure_png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    return buf.getvalue()


def _metric_series(report: "RunReport", metric: str, label: str) -> Series:
    values, lows, highs = [], [], []
    for name, bucket in report.buckets.items():
        value = getattr(bucket, metric)
        ci = report.intervals[name].get(metric)
        values.append(None if value is None else _pct(value))
        lows.append(None if ci is None else _pct(ci[0]))
        highs.append(None if ci is None else _pct(ci[1]))
    return label, values, lows, highs


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


def report_png(report: "RunReport") -> bytes:
    """Strict accuracy and test-pass rate per difficulty, with 95% bootstrap CIs."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    series = [_metric_series(report, "strict_accuracy", "strict accuracy"), _metric_series(report, "test_pass_rate", "test-pass rate")]
    grouped_bars(ax, _group_labels(report), series, "% (error bars: 95% bootstrap CI)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    ax.set_title(plain(f"{model_name(report)}: {report.label}"), fontsize=10)
    fig.text(0.02, -0.08, settings_legend(report), fontsize=6, va="top", ha="left", family="monospace")
    return _figure_png(fig)


def comparison_png(reports: Sequence["RunReport"], labels: Sequence[str]) -> bytes:
    """Two panels (strict accuracy, test-pass rate): one bar per run in each difficulty."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(8.0, 2.2 * len(reports) + 5), 7.5))
    axes = fig.subplots(2, 1)
    groups = [name for name in reports[0].buckets]
    for ax, (metric, title) in zip(axes, (("strict_accuracy", "strict accuracy"), ("test_pass_rate", "test-pass rate"))):
        series = [_metric_series(r, metric, plain(f"{label} ({model_name(r)})")) for r, label in zip(reports, labels)]
        grouped_bars(ax, groups, series, f"{title} %")
        ax.set_title(f"{title} by difficulty (error bars: 95% bootstrap CI)", fontsize=10)
    fig.suptitle(plain(f"apps-eval comparison, baseline {labels[0]}"), fontsize=11)
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(len(reports), 3), fontsize=8, frameon=False)
    fig.tight_layout()
    return _figure_png(fig)
