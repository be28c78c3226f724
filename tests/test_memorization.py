"""Similarity of samples to reference solutions: normalization, copies, renamed copies, unrelated programs."""
from __future__ import annotations

import json

from harness.reporting.memorization import bucket_similarity, best_similarity, normalized_tokens

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


def test_a_copy_and_a_renamed_copy_score_one_and_an_unrelated_program_scores_low():
    assert best_similarity(REFERENCE, [REFERENCE]) == 1.0
    assert best_similarity(RENAMED, [UNRELATED, REFERENCE]) == 1.0
    assert best_similarity(UNRELATED, [REFERENCE]) < 0.5
    edited = RENAMED.replace("acc += x", "acc = acc + x * 1")
    assert 0.8 < best_similarity(edited, [REFERENCE]) < 1.0


def test_attribute_names_keep_their_text():
    assert normalized_tokens("a.append(b)") == ("_0", ".", "append", "(", "_1", ")")


def test_a_program_that_does_not_tokenize_keeps_its_first_tokens():
    assert normalized_tokens('x = 1\ny = "unterminated\n')[:3] == ("_0", "=", "1")


def test_problems_without_references_have_no_value_not_zero():
    assert best_similarity(REFERENCE, []) is None
    assert bucket_similarity([None, None]) is None
    record = bucket_similarity([1.0, 0.95, 0.2, None])
    assert (record.samples, record.copy_rate, round(record.mean, 4)) == (3, round(2 / 3, 6), round(2.15 / 3, 4))


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
