"""Calibrates the copy rule of harness/reporting/memorization.py: how similar programs get to the
reference solutions of *other* problems (similarity by chance), by program length.

Prints, per band of normalized length, how many programs there are and the highest and mean
similarity of each to any reference solution of another problem, on the bundled sample (its
reference solutions and deliberately wrong programs) and, with --apps-real DIR, on
../shared/apps-real (the first --refs reference solutions of each problem and the model samples).
A copy needs similarity >= COPY_THRESHOLD and at least MIN_COPY_TOKENS tokens: the bands at or above
that length should stay clearly below the threshold.

    python bench/memorization_calibration.py [--apps-real ../shared/apps-real] [--refs 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.reporting.memorization import COPY_THRESHOLD, MIN_COPY_TOKENS, _best, normalized_tokens  # noqa: E402

BANDS = ((0, 20), (20, 30), (30, MIN_COPY_TOKENS), (MIN_COPY_TOKENS, 60), (60, 100), (100, 10**9))


def _solutions(row: dict) -> list[str]:
    value = row.get("solutions") or "[]"
    return json.loads(value) if isinstance(value, str) else list(value)


def chance_similarity(programs: list[tuple[str, str]], references: dict[str, list[str]]) -> list[tuple[int, float, str]]:
    """(length, best similarity to another problem's references, problem id) per program."""
    tokens = {pid: [normalized_tokens(c) for c in codes] for pid, codes in references.items()}
    out = []
    for pid, code in programs:
        others = [t for other, ts in tokens.items() if other != pid for t in ts]
        sample = normalized_tokens(code)
        match = _best(sample, others)
        out.append((len(sample), 0.0 if match is None else match.score, pid))
    return out


def print_bands(name: str, rows: list[tuple[int, float, str]]) -> None:
    print(f"\n{name}: {len(rows)} programs (similarity to other problems' reference solutions)")
    print(f"{'tokens':>12} {'programs':>9} {'max':>6} {'mean':>6} {'>= ' + str(COPY_THRESHOLD):>7}")
    for low, high in BANDS:
        band = [s for n, s, _ in rows if low <= n < high]
        if band:
            label = f"{low}-{high - 1}" if high < 10**9 else f">= {low}"
            print(f"{label:>12} {len(band):>9} {max(band):>6.3f} {sum(band) / len(band):>6.3f} {sum(s >= COPY_THRESHOLD for s in band):>7}")
    flagged = [(n, round(s, 3), pid) for n, s, pid in rows if s >= COPY_THRESHOLD and n >= MIN_COPY_TOKENS]
    print(f"copies by the rule (>= {COPY_THRESHOLD}, >= {MIN_COPY_TOKENS} tokens) of another problem's reference: {flagged or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps-real", type=Path, default=None, help="../shared/apps-real, to add its problems")
    parser.add_argument("--refs", type=int, default=3, help="reference solutions per apps-real problem (default 3)")
    args = parser.parse_args()
    start = time.perf_counter()
    sample = [json.loads(line) for line in (ROOT / "data" / "sample" / "apps_sample.jsonl").read_text().splitlines()]
    refs = {r["problem_id"]: _solutions(r) for r in sample}
    wrong = [json.loads(line) for line in (ROOT / "data" / "sample" / "wrong_programs.jsonl").read_text().splitlines()]
    programs = [(pid, c) for pid, codes in refs.items() for c in codes] + [(w["problem_id"], w["code"]) for w in wrong]
    print_bands("bundled sample", chance_similarity(programs, refs))
    if args.apps_real is not None:
        real = [json.loads(line) for line in (args.apps_real / "problems.jsonl").read_text().splitlines()]
        refs = {r["problem_id"]: _solutions(r)[:args.refs] for r in real}
        samples = [json.loads(line) for line in (args.apps_real / "generations.jsonl").read_text().splitlines()]
        programs = [(pid, codes[0]) for pid, codes in refs.items() if codes] + [(s["problem_id"], s["code"]) for s in samples]
        print_bands(f"apps-real (first {args.refs} references per problem)", chance_similarity(programs, refs))
    print(f"\n{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
