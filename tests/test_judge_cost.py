"""The judge's own cost (issue 18): outputs at the cap shaped by real candidate programs to make
the comparators slow are judged in a bounded time, with the verdicts the rules define; the
bounded algorithms give the same answers as the rules' plain definitions."""
from __future__ import annotations

import decimal
import math
import random
import re
import time

import pytest

from hostile.helpers import program
from sandbox import ExecutionRequest, Executor, Limits, RunStatus, Verdict, judge
from sandbox import compare
from sandbox.records import TestCase as Case, TestKind as Kind

CAP = 4 << 20
P, W = Verdict.PASSED, Verdict.WRONG_ANSWER

# shape of tests/hostile/costly_output.py -> (expected output, default verdict, APPS verdict)
SHAPES = {
    "distinct_int_lines": ("1\n2\n3\n", W, W),
    "distinct_int_tokens": ("0 1 2\n", W, W),
    "huge_float_lines": ("1e300\n", W, W),
    "huge_float_tokens": ("1.5e300\n", W, W),
    "tiny_floats_lines": ("0.0\n", W, P),       # every token rounds to 0.0 (stage 5)
    "tiny_floats_tokens": ("0.0\n", W, P),
    "tiny_float_pairs": ("0 1\n", W, P),
    "shuffled_lines": ("1 2\n", W, P),          # every line's token set is {1, 2} (stage 4)
    "float_ones": ("1\n", W, P),                # {1.0} once rounded (stage 5)
    "long_number_tokens": ("0.3333\n", W, P),
    "spaces_and_cr": ("7\n", W, P),
}


@pytest.fixture(scope="module")
def ex():
    with Executor(Limits(timeout_s=10, memory_mb=512, max_output_bytes=CAP), workers=1) as executor:
        yield executor


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_an_output_at_the_cap_shaped_to_be_costly_is_judged_quickly(ex, shape):
    expected, default, apps = SHAPES[shape]
    run = ex.submit(ExecutionRequest(program("costly_output"), Kind.STDIO, (f"{shape} {CAP}",))).result(timeout=120)
    assert run.runs[0].status == RunStatus.OK and CAP - 100 < len(run.runs[0].output) <= CAP
    started = time.process_time()
    judged = judge([Case(0, Kind.STDIO, "", expected)], run)
    # Very generous for a loaded machine: before the bound, "huge_float_lines" alone took
    # tens of seconds under the APPS rule. bench/judge_cost.py prints the real figures.
    assert time.process_time() - started < 5
    assert (judged.default[0].verdict, judged.apps[0].verdict) == (default, apps)


# ---- the bounded algorithms against the rules' plain definitions ----------------------------

def plain_apps_stdout_equal(got: str, expected: str) -> bool:
    """The APPS chain as the original writes it: whole sets of per-line sets, every token rounded."""
    lines = got.splitlines()
    if compare._apps_stripped_text_equal(lines, expected):
        return True
    expected_lines = [part.strip() for part in expected.split("\n") if part]
    if lines == expected_lines:
        return True
    nonempty = [line for line in lines if line]
    if compare._apps_allclose(nonempty, expected_lines):
        return True
    got_sets = {frozenset(line.split()) for line in nonempty} - {frozenset()}
    expected_sets = {frozenset(line.split()) for line in expected_lines}
    if got_sets == expected_sets:
        return True
    try:
        got_rounded = {frozenset(round(float(t), 3) for t in s) for s in got_sets}
        expected_rounded = {frozenset(round(float(t), 3) for t in s) for s in expected_sets}
    except ValueError:
        return False
    return got_rounded == expected_rounded


TOKENS = ["1", "2", "1.0", "1.0004", "0.9996", "2.0001", "1e0", "0.0001", "-0.0", "0", "0.0", "nan", "NaN",
          "inf", "-inf", "1e300", "1.0000000000000001e300", "x", "YES", "1_0", "10", "4503599627370497.5"]


def random_output(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 4)):
        tokens = [rng.choice(TOKENS) for _ in range(rng.randint(0, 3))]
        lines.append(rng.choice(["", " ", "\t"]) + rng.choice([" ", "  ", "\t"]).join(tokens) + rng.choice(["", " "]))
    return rng.choice(["\n", "\r\n"]).join(lines) + rng.choice(["", "\n", "\n\n"])


def test_apps_set_stages_give_the_plain_definitions_verdicts():
    rng = random.Random(18)
    outcomes = {True: 0, False: 0}
    for _ in range(20000):
        got, expected = random_output(rng), random_output(rng)
        if rng.random() < 0.3:  # an answer built from the expected tokens, reordered
            tokens = expected.split()
            rng.shuffle(tokens)
            got = "\n".join(" ".join(tokens[i:i + 2]) for i in range(0, len(tokens), 2))
        verdict = compare.apps_stdout_equal(got, expected)
        assert verdict == plain_apps_stdout_equal(got, expected), (got, expected)
        outcomes[verdict] += 1
    assert min(outcomes.values()) > 1000  # both verdicts well exercised


def exact_token_equal(got: str, expected: str) -> bool:
    """The default token rule from its definition, in the rule's decimal arithmetic only (no floats)."""
    if got == expected:
        return True
    number = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    if not (re.fullmatch(number, got) and re.fullmatch(number, expected)):
        return False
    got_integer, expected_integer = re.fullmatch(r"[+-]?[0-9]+", got), re.fullmatch(r"[+-]?[0-9]+", expected)
    if got_integer and expected_integer:
        return False
    with decimal.localcontext(compare._CONTEXT):
        a, b = decimal.Decimal(got), decimal.Decimal(expected)
        if not (a.is_finite() and b.is_finite()):
            return False
        if got_integer or expected_integer:
            return a == b
        return abs(a - b) <= decimal.Decimal("1e-6") * max(decimal.Decimal(1), abs(a), abs(b))


def random_number_token(rng: random.Random) -> str:
    integer = str(rng.choice([0, 1, 2, 7, 10, 123456789, 10 ** 16 + 1, 2 ** 53 + 1]))
    fraction = rng.choice(["", ".", ".0", ".00", ".5", ".0000001", ".000000000000000000001", ".999999"])
    exponent = rng.choice(["", "", "e0", "e1", "e-1", "E+2", "e400", "e-400", "e999999999"])
    return rng.choice(["", "-", "+"]) + integer + fraction + exponent


def test_default_token_rule_gives_its_exact_definitions_verdicts():
    rng = random.Random(21)
    outcomes = {True: 0, False: 0}
    for _ in range(50000):
        got = random_number_token(rng)
        expected = got if rng.random() < 0.05 else random_number_token(rng)
        if rng.random() < 0.3:  # near misses and near hits of the tolerance
            expected = repr(float(got) * (1 + rng.choice([1e-7, -1e-7, 2e-6, 0.0]))) if "e9" not in got else expected
        verdict = compare._token_equal(got, expected)
        assert verdict == exact_token_equal(got, expected), (got, expected)
        outcomes[verdict] += 1
    assert min(outcomes.values()) > 1000


def test_rounding_shortcut_equals_round():
    rng = random.Random(3)
    values = [math.inf, -math.inf, 0.0, -0.0, 2.0 ** 52, -(2.0 ** 52), 2.0 ** 52 - 0.5, 5e-324, 1.7976931348623157e308]
    values += [rng.choice([1, -1]) * rng.random() * 2.0 ** rng.randint(-1074, 1023) for _ in range(100000)]
    for value in values:
        rounded = compare._round3(value)
        assert rounded == round(value, 3) and math.copysign(1, rounded) == math.copysign(1, round(value, 3)), value


def test_default_rule_remembering_token_pairs_gives_the_plain_verdicts():
    rng = random.Random(7)
    outcomes = {True: 0, False: 0}
    for _ in range(3000):
        expected_tokens = [random_number_token(rng) for _ in range(rng.randint(1, 6))]
        got_tokens = [t if rng.random() < 0.7 else random_number_token(rng) for t in expected_tokens]
        rows = rng.randint(1, 3)
        expected = "\n".join(" ".join(expected_tokens) for _ in range(rows))
        got = "\n".join(" ".join(got_tokens) for _ in range(rows))
        plain = [compare._line_equal(g, e) for g, e in zip(compare._canonical(got).split("\n"), compare._canonical(expected).split("\n"))]
        verdict = compare.stdout_equal(got, expected)
        assert verdict == all(plain), (got, expected)
        outcomes[verdict] += 1
    assert min(outcomes.values()) > 300
