"""Similarity of samples to reference solutions: normalization, renamed copies, the copy rule."""
from __future__ import annotations

import json
from pathlib import Path

from harness.reporting.memorization import (
    COPY_THRESHOLD, MIN_COPY_TOKENS, best_match, best_similarity, is_copy, normalized_tokens,
)
from renamed_copies import renamed_copy

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "apps_sample.jsonl"

REFERENCE = '''
def main():
    """Read n numbers and print their sum."""
    n = int(input())
    values = list(map(int, input().split()))  # the numbers
    total = 0
    for value in values:
        total += value
    print(total)

main()
'''

RENAMED = '''def run():
    k = int(input())
    xs = list(map(int, input().split()))
    acc = 0
    for x in xs: acc += x
    print(acc)
run()
'''

UNRELATED = '''import sys
from collections import Counter
s = sys.stdin.readline().strip()
counts = Counter(s)
best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
print(best[0] if len(s) % 2 == 0 else "NO")
'''


def test_comments_docstrings_and_layout_are_dropped_and_names_numbered_in_order():
    tokens = normalized_tokens(REFERENCE)
    assert "# the numbers" not in tokens and not any("Read n numbers" in t for t in tokens)
    assert tokens[:4] == ("def", "_0", "(", ")") and "int" in tokens and "print" in tokens
    assert tokens == normalized_tokens(RENAMED)  # other names, other layout, no comments: the same program


def test_underscore_is_a_name_like_any_other():
    """Renaming `_` to `i` used to add a placeholder and shift every later number."""
    loop = "t = int(input())\nfor _ in range(t):\n    n = int(input())\n    print(n * 2)\n"
    assert normalized_tokens(loop) == normalized_tokens(loop.replace("for _ in", "for i in"))


def test_a_shadowed_builtin_is_a_name_like_any_other():
    fast = "import sys\ninput = sys.stdin.readline\nn = int(input())\nprint(n)\n"
    assert normalized_tokens(fast) == normalized_tokens(fast.replace("input", "read"))
    assert "input" in normalized_tokens("n = int(input())\n")  # an unshadowed builtin keeps its name


def test_a_copy_and_a_renamed_copy_score_one_and_an_unrelated_program_scores_low():
    assert best_similarity(REFERENCE, [REFERENCE]) == 1.0
    assert best_match(RENAMED, [UNRELATED, REFERENCE]).reference_index == 1
    assert best_similarity(UNRELATED, [REFERENCE]) < 0.5
    edited = RENAMED.replace("acc += x", "acc = acc + x * 1")
    assert 0.8 < best_similarity(edited, [REFERENCE]) < 1.0


def test_attribute_names_keep_their_text():
    assert normalized_tokens("a.append(b)") == ("_0", ".", "append", "(", "_1", ")")


def test_a_program_that_does_not_tokenize_keeps_its_first_tokens():
    assert normalized_tokens('x = 1\ny = "unterminated\n')[:3] == ("_0", "=", "1")


def test_problems_without_references_have_no_value_not_zero():
    assert best_similarity(REFERENCE, []) is None and best_match(REFERENCE, []) is None


def test_a_short_wrong_program_is_not_a_copy_however_similar():
    reference = "a, b = map(int, input().split())\nprint(a + b)\n"
    wrong = "x, y = map(int, input().split())\nprint(x - y)\n"
    match = best_match(wrong, [reference])
    assert match.score >= COPY_THRESHOLD  # one token of 22 differs: similar by chance of being short
    assert match.tokens < MIN_COPY_TOKENS and not match.copy
    assert not best_match("print(a - b)\n", [reference]).copy
    long_copy = best_match(renamed_copy(REFERENCE), [REFERENCE])
    assert long_copy.tokens >= MIN_COPY_TOKENS and long_copy.copy and is_copy(long_copy.score, long_copy.tokens)


def _references(rows) -> list[str]:
    """The first reference solution of each problem that parses as Python 3 and is not short."""
    import ast

    out = []
    for solutions in rows:
        for code in solutions[:1]:
            try:
                ast.parse(code)
            except SyntaxError:
                continue
            if len(normalized_tokens(code)) >= MIN_COPY_TOKENS:
                out.append(code)
    return out


def _assert_renamed_copies_are_copies(references: list[str]) -> None:
    assert len(references) >= 20
    for code in references[:20]:
        copy = renamed_copy(code)
        assert copy != code
        match = best_match(copy, [code])
        assert match.score >= COPY_THRESHOLD and match.copy, (match, code[:200])


def test_renamed_copies_of_the_bundled_references_are_copies():
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    _assert_renamed_copies_are_copies(_references(json.loads(r["solutions"]) for r in rows))


def test_renamed_copies_of_real_apps_references_are_copies(apps_real_dir):
    rows = [json.loads(line) for line in (apps_real_dir / "problems.jsonl").read_text().splitlines()]
    _assert_renamed_copies_are_copies(_references(json.loads(r["solutions"]) if r["solutions"] else [] for r in rows))


def test_real_samples_of_a_model_trained_on_those_problems_are_closer_than_unrelated_references(apps_real_dir):
    """CodeRL (fine-tuned on APPS train) samples for train problems, against the next problem's references."""
    REAL = apps_real_dir
    problems = {}
    for line in (REAL / "problems.jsonl").read_text().splitlines():
        row = json.loads(line)
        problems[row["problem_id"]] = json.loads(row["solutions"]) if row["solutions"] else []
    samples = [json.loads(line) for line in (REAL / "generations.jsonl").read_text().splitlines()]
    own = [best_similarity(s["code"], problems[s["problem_id"]]) for s in samples]
    ids = sorted(problems)
    other = [best_similarity(s["code"], problems[ids[(ids.index(s["problem_id"]) + 1) % len(ids)]]) for s in samples]
    assert sum(own) / len(own) > sum(other) / len(other) + 0.3
