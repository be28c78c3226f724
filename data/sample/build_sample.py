"""Rebuild the bundled sample: apps_sample.jsonl and wrong_programs.jsonl.

A development tool, not part of the harness. It reads the problem definitions in
problems_*.py and wrong_programs_spec.py, runs the first reference solution of each
problem on each test input to get the expected outputs (a fresh `python -I` per run),
checks that EVERY reference solution passes EVERY test, checks that every wrong
program gets its stated verdict (default comparison and APPS-like comparison), and
writes the two JSONL files in the `codeparrot/apps` row format.

    python data/sample/build_sample.py            # rebuild both files
    python data/sample/build_sample.py --check    # rebuild in memory, fail if the files differ
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from spec import CODEWARS, LEETCODE, STDIO, Spec  # noqa: E402
import problems_competition  # noqa: E402
import problems_interview  # noqa: E402
import problems_introductory  # noqa: E402
from wrong_programs_spec import WRONG  # noqa: E402

SAMPLE = HERE / "apps_sample.jsonl"
WRONG_FILE = HERE / "wrong_programs.jsonl"
TIMEOUT_S = 4.0

# Runs a call-based program: argv = program path, fn_name, kind; one JSON argument list per
# stdin line; one JSON line out per call. Exit 3 = the program does not compile or lacks the
# function.
CALL_DRIVER = r"""
import json, sys
path, fn_name, kind = sys.argv[1:4]
ns = {"__name__": "solution"}
try:
    exec(compile(open(path).read(), "solution.py", "exec"), ns)
    fn = getattr(ns["Solution"](), fn_name) if kind == "leetcode" else ns[fn_name]
except Exception as err:
    print(json.dumps({"compile_error": repr(err)}))
    sys.exit(3)
for line in sys.stdin:
    try:
        value = json.loads(json.dumps(fn(*json.loads(line))))
        print(json.dumps({"value": value}), flush=True)
    except Exception as err:
        print(json.dumps({"error": repr(err)}), flush=True)
"""


def all_specs() -> list[Spec]:
    specs = problems_introductory.PROBLEMS + problems_interview.PROBLEMS + problems_competition.PROBLEMS
    for number, spec in enumerate(specs, start=1):
        spec.problem_id = f"sample-{number:03d}"
    return specs


def stored_input(spec: Spec, test: Any) -> Any:
    """The test input as written into input_output (list of lines for input_lines problems)."""
    return test.split("\n") if spec.input_lines else test


def fed_input(spec: Spec, test: Any) -> str:
    """What the harness feeds: the stored stdin text, lists of lines joined with "\\n"."""
    return "\n".join(stored_input(spec, test)) if spec.input_lines else test


def run_stdio(program: str, stdin: str, timeout: float = TIMEOUT_S) -> tuple[str, str]:
    """(status, stdout) with status ok / runtime_error / timeout / compile_error."""
    try:
        compile(program, "program.py", "exec")
    except SyntaxError:
        return "compile_error", ""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(program)
    try:
        done = subprocess.run(
            [sys.executable, "-I", handle.name], input=stdin, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout", ""
    finally:
        os.unlink(handle.name)
    return ("ok" if done.returncode == 0 else "runtime_error"), done.stdout


def run_calls(
    program: str, fn_name: str, kind: str, arg_lists: list[list], timeout: float = 60.0
) -> list[tuple[str, Any]]:
    """[(status, value)] per call; one process for all calls (used for reference solutions)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "solution.py"
        path.write_text(program)
        stdin = "".join(json.dumps(args) + "\n" for args in arg_lists)
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", CALL_DRIVER, str(path), fn_name, kind],
                input=stdin, capture_output=True, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return [("timeout", None)] * len(arg_lists)
    if done.returncode == 3:
        return [("compile_error", None)] * len(arg_lists)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    out = [("ok", r["value"]) if "value" in r else ("runtime_error", r["error"]) for r in results]
    return out + [("runtime_error", done.stderr[-200:])] * (len(arg_lists) - len(out))


def norm_lines(text: str) -> list[str]:
    """The default comparison: per-line rstrip, trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _same_token(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def default_equal(got: str, expected: str) -> bool:
    """The default comparison: lines equal after rstrip (trailing blank lines dropped), else
    the same tokens line by line, numbers compared by value ("1.50" equals "1.5")."""
    g, e = norm_lines(got), norm_lines(expected)
    if g == e:
        return True
    if len(g) != len(e):
        return False
    for g_line, e_line in zip(g, e):
        g_tokens, e_tokens = g_line.split(), e_line.split()
        if len(g_tokens) != len(e_tokens) or not all(map(_same_token, g_tokens, e_tokens)):
            return False
    return True


def _floats(tokens: list[str]) -> list[float] | None:
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def apps_like_equal(got: str, expected: str) -> bool:
    """An over-approximation of the APPS comparison stages (stripped text, stripped lines,
    numbers within 1e-5, sets of tokens per line or overall, rounded to 3 decimals). If a
    program fails this, it fails the original comparison too."""
    if got.strip() == expected.strip():
        return True
    g_lines = [line.strip() for line in got.split("\n") if line.strip()]
    e_lines = [line.strip() for line in expected.split("\n") if line.strip()]
    if g_lines == e_lines:
        return True
    g_num, e_num = _floats(got.split()), _floats(expected.split())
    if g_num is not None and e_num is not None and len(g_num) == len(e_num):
        if all(math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-8) for a, b in zip(g_num, e_num)):
            return True
    if {frozenset(line.split()) for line in g_lines} == {frozenset(line.split()) for line in e_lines}:
        return True
    if set(got.split()) == set(expected.split()):
        return True
    g_round = [_floats(line.split()) for line in g_lines]
    e_round = [_floats(line.split()) for line in e_lines]
    if None not in g_round and None not in e_round:
        as_sets = lambda rows: {frozenset(round(x, 3) for x in row) for row in rows}  # noqa: E731
        return as_sets(g_round) == as_sets(e_round)
    return False


def unwrap(spec: Spec, stored: Any) -> Any:
    return stored[0] if spec.wrap else stored


def expected_outputs(spec: Spec) -> list[Any]:
    """Expected outputs as stored in input_output, computed with the first reference solution."""
    reference = spec.solutions[0]
    if spec.kind == STDIO:
        outputs = []
        for i, test in enumerate(spec.tests):
            status, out = run_stdio(reference, fed_input(spec, test))
            if status != "ok":
                raise SystemExit(f"{spec.problem_id} ({spec.title}): reference 0 gives {status} on test {i}")
            if spec.output_lines:
                outputs.append(out.rstrip("\n").split("\n") if out else [])
            else:
                outputs.append(out.rstrip("\n") if spec.strip_final_newline else out)
        return outputs
    results = run_calls(reference, spec.fn_name, spec.kind, spec.tests)
    for i, (status, value) in enumerate(results):
        if status != "ok":
            raise SystemExit(f"{spec.problem_id} ({spec.title}): reference 0 gives {status} on test {i}: {value}")
    return [[value] if spec.wrap else value for _, value in results]


def expected_text(spec: Spec, stored: Any) -> str:
    return "\n".join(stored) if isinstance(stored, list) else stored


def judge(spec: Spec, program: str, outputs: list[Any], *, per_test_process: bool) -> tuple[str, str]:
    """(default verdict, APPS-like verdict) of a program: the verdict of its first failing test.

    The default verdict must come out the same whether the default comparison is exact lines
    after rstrip or also accepts equal tokens and numbers; else this stops (ambiguous program)."""
    verdicts: list[tuple[str, str, str]] = []  # (exact lines, APPS-like, token-wise)
    if spec.kind == STDIO:
        for test, stored in zip(spec.tests, outputs):
            status, out = run_stdio(program, fed_input(spec, test))
            if status != "ok":
                verdicts.append((status, status, status))
                continue
            want = expected_text(spec, stored)
            checks = (norm_lines(out) == norm_lines(want), apps_like_equal(out, want), default_equal(out, want))
            verdicts.append(tuple("passed" if ok else "wrong_answer" for ok in checks))
    else:
        if per_test_process:
            results = [run_calls(program, spec.fn_name, spec.kind, [args], timeout=TIMEOUT_S)[0] for args in spec.tests]
        else:
            results = run_calls(program, spec.fn_name, spec.kind, spec.tests)
        for (status, value), stored in zip(results, outputs):
            verdict = status if status != "ok" else ("passed" if value == unwrap(spec, stored) else "wrong_answer")
            verdicts.append((verdict, verdict, verdict))
    first = lambda k: next((v[k] for v in verdicts if v[k] != "passed"), "passed")  # noqa: E731
    if first(0) != first(2):
        raise SystemExit(f"{spec.problem_id}: verdict depends on the comparison (exact or token-wise)")
    return first(0), first(1)


def example_block(spec: Spec, outputs: list[Any]) -> str:
    """The examples appended to a statement, built from the first test(s) and their outputs."""
    parts = []
    for i in range(spec.n_examples):
        test, stored = spec.tests[i], outputs[i]
        if spec.kind == STDIO:
            shown_in = fed_input(spec, test).rstrip("\n")
            shown_out = expected_text(spec, stored).rstrip("\n")
            parts.append(f"Input\n{shown_in}\n\nOutput\n{shown_out}")
        elif spec.kind == CODEWARS:
            args = ", ".join(repr(a) for a in test)
            parts.append(f"    {spec.fn_name}({args})  # returns {unwrap(spec, stored)!r}")
        else:
            shown = ", ".join(
                f"{name} = {a if isinstance(a, str) else json.dumps(a)}" for name, a in zip(spec.params, test)
            )
            value = stored if isinstance(stored, str) else json.dumps(stored)
            parts.append(f"Example {i + 1}:\n\nInput: {shown}\nOutput: {value}")
    if spec.kind == STDIO:
        return "\n\n-----Example" + ("s" if len(parts) > 1 else "") + "-----\n\n" + "\n\n".join(parts) + "\n"
    if spec.kind == CODEWARS:
        return "\n\nExamples:\n\n" + "\n".join(parts) + "\n"
    return "\n\n" + "\n\n".join(parts) + "\n"


def question_text(spec: Spec, outputs: list[Any]) -> str:
    statement = spec.question
    if spec.kind == LEETCODE and "\n\nConstraints:" in statement:
        head, constraints = statement.split("\n\nConstraints:", 1)
        return head + example_block(spec, outputs) + "\nConstraints:" + constraints + "\n"
    return statement + example_block(spec, outputs)


def check_references(spec: Spec, outputs: list[Any]) -> None:
    for index, program in enumerate(spec.solutions):
        verdict, _ = judge(spec, program, outputs, per_test_process=False)
        if verdict != "passed":
            raise SystemExit(f"{spec.problem_id} ({spec.title}): reference {index} gets {verdict}")


def build_row(spec: Spec) -> dict[str, Any]:
    if len(spec.tests) < 5:
        raise SystemExit(f"{spec.problem_id} ({spec.title}): fewer than 5 tests")
    outputs = expected_outputs(spec)
    check_references(spec, outputs)
    io: dict[str, Any] = {"inputs": [stored_input(spec, t) for t in spec.tests], "outputs": outputs}
    if spec.fn_name:
        io["fn_name"] = spec.fn_name
    return {
        "problem_id": spec.problem_id,
        "question": question_text(spec, outputs),
        "solutions": json.dumps(spec.solutions),
        "input_output": json.dumps(io),
        "difficulty": spec.difficulty,
        "url": "",
        "starter_code": spec.starter_code,
    }


def build_wrong(specs: list[Spec], rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    by_title = {spec.title: spec for spec in specs}
    lines = []
    for title, expect, apps_expect, note, program in WRONG:
        spec = by_title[title]
        outputs = json.loads(rows[spec.problem_id]["input_output"])["outputs"]
        verdict, apps_verdict = judge(spec, program, outputs, per_test_process=True)
        if (verdict, apps_verdict) != (expect, apps_expect):
            raise SystemExit(f"wrong program for {spec.problem_id} ({title}): expected {(expect, apps_expect)}, "
                             f"got {(verdict, apps_verdict)}")
        lines.append({
            "problem_id": spec.problem_id, "code": program, "expect": expect, "apps_expect": apps_expect, "note": note,
        })
    return lines


def to_jsonl(items: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files on disk differ from a rebuild")
    args = parser.parse_args()
    specs = all_specs()
    rows = {}
    for spec in specs:
        rows[spec.problem_id] = build_row(spec)
        print(f"{spec.problem_id} {spec.difficulty:12s} {spec.kind:8s} {len(spec.tests)} tests, "
              f"{len(spec.solutions)} reference(s) pass  {spec.title}", file=sys.stderr)
    wrong = build_wrong(specs, rows)
    texts = {SAMPLE: to_jsonl(list(rows.values())), WRONG_FILE: to_jsonl(wrong)}
    if args.check:
        stale = [p.name for p, t in texts.items() if not p.is_file() or p.read_text(encoding="utf-8") != t]
        if stale:
            print(f"out of date: {', '.join(stale)}", file=sys.stderr)
            return 1
        print("sample files are up to date", file=sys.stderr)
        return 0
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(rows)} problems and {len(wrong)} wrong programs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
