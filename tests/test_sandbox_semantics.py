"""How the executor runs correct programs: what a careful judge must accept, and the verdict of each failure."""
from __future__ import annotations

import json

import pytest

from hostile.helpers import run_call, run_stdio
from sandbox import ExecutionRequest, Executor, Limits, RunStatus, TestKind


@pytest.fixture(scope="module")
def ex():
    with Executor(Limits(timeout_s=2, memory_mb=512), workers=2) as executor:
        yield executor


def only(run):
    assert len(run.runs) == 1
    return run.runs[0]


@pytest.mark.parametrize("code, expected", [
    ("print('a')\nexit()\nprint('b')\n", "a\n"),
    ("import sys\nprint('a')\nsys.exit(0)\n", "a\n"),
    ("print('a')\nquit()\n", "a\n"),
    ("def main():\n    print(input())\nif __name__ == '__main__':\n    main()\n", "x\n"),
    ("total = 0\ndef add(v):\n    global total\n    total += v\nadd(2)\nadd(3)\nprint(total)\n", "5\n"),
    ("from sys import stdout\nstdout.write('w\\n')\n", "w\n"),
    ("import sys\nprint(sys.stdin.buffer.read().decode().upper(), end='')\n", "X\n"),
    ("print(open(0).read(), end='')\n", "x\n"),
    ("print('no newline', end='')\n", "no newline"),
    ("import sys\nprint(sum(map(len, sys.stdin.read().split())))\n", "1\n"),
    ("import os, sys\nprint('flushed')\nsys.stdout.flush()\nos._exit(0)\n", "flushed\n"),
])
def test_correct_script_styles_pass(ex, code, expected):
    run = only(run_stdio(ex, code, "x\n"))
    assert (run.status, run.output) == (RunStatus.OK, expected)
    # Later tests run in the same process, after the state reset: the same verdict each time.
    runs = run_stdio(ex, code, "x\n", "x\n", "x\n").runs
    assert [(r.status, r.output) for r in runs] == [(RunStatus.OK, expected)] * 3


def test_os_exit_keeps_only_what_was_flushed(ex):
    run = only(run_stdio(ex, "import os\nprint('buffered, never flushed')\nos._exit(0)\n"))
    assert (run.status, run.output) == (RunStatus.OK, "")


def test_common_stdlib_modules_import(ex):
    code = ("import heapq, itertools, fractions, collections, math, bisect, functools, decimal, re, random,"
            " threading, string, copy, array, datetime, statistics, queue, typing\n"
            "print(math.gcd(12, 18), fractions.Fraction(1, 3) * 3, heapq.nsmallest(1, [3, 1]))\n")
    run = only(run_stdio(ex, code))
    assert (run.status, run.output) == (RunStatus.OK, "6 1 [1]\n")


def test_numpy_imports_where_installed(ex):
    pytest.importorskip("numpy")
    run = only(run_stdio(ex, "import numpy as np\nprint(int(np.arange(5).sum()))\n"))
    assert (run.status, run.output) == (RunStatus.OK, "10\n")


def test_top_level_return_runs_wrapped_like_the_original(ex):
    code = "n = int(input())\nif n > 1:\n    print('big')\n    return\nprint('small')\n"
    run = run_stdio(ex, code, "5\n", "0\n")
    assert run.wrapped
    assert [(r.status, r.output) for r in run.runs] == [(RunStatus.OK, "big\n"), (RunStatus.OK, "small\n")]


def test_module_level_nonlocal_runs_wrapped(ex):
    code = "count = 0\ndef bump():\n    nonlocal count\n    count += 1\nbump()\nprint(count)\n"
    run = run_stdio(ex, code)
    assert run.wrapped and (only(run).status, only(run).output) == (RunStatus.OK, "1\n")


def test_wrapped_program_keeps_multiline_strings_exact(ex):
    code = "s = '''a\n  b'''\nprint(repr(s))\nreturn\n"
    assert only(run_stdio(ex, code)).output == "'a\\n  b'\n"


def test_syntax_error_is_compile_error_on_every_test(ex):
    run = run_stdio(ex, "print('a'\n", "1", "2")
    assert [r.status for r in run.runs] == [RunStatus.COMPILE_ERROR] * 2
    assert "line 1" in run.runs[0].detail and not run.wrapped


def test_uncaught_exception_is_runtime_error_with_its_last_line(ex):
    run = only(run_stdio(ex, "print('partial')\nraise ValueError('bad value')\n"))
    assert (run.status, run.detail) == (RunStatus.RUNTIME_ERROR, "ValueError: bad value")
    assert run.output == "partial\n"


def test_nonzero_exit_status_is_runtime_error(ex):
    assert only(run_stdio(ex, "import sys\nsys.exit(3)\n")).status == RunStatus.RUNTIME_ERROR


def test_exit_with_message_is_runtime_error(ex):
    assert only(run_stdio(ex, "exit('fatal')\n")).status == RunStatus.RUNTIME_ERROR


def test_module_state_does_not_leak_between_tests(ex):
    code = ("import sys\nsys.counter = getattr(sys, 'counter', 0) + 1\n"
            "seen = globals().get('seen', 0) + 1\nprint(sys.counter, seen)\n")
    run = run_stdio(ex, code, "a", "b", "c", "d")
    assert [r.output for r in run.runs] == ["1 1\n"] * 4


def test_files_do_not_leak_between_tests(ex):
    code = "import os\nprint(sorted(os.listdir('.')))\nopen('left-behind', 'w').write('x')\n"
    run = run_stdio(ex, code, "a", "b", "c")
    assert [r.output for r in run.runs] == ["[]\n"] * 3


# The tests of one program run in turn in one process; what a test may change is reset.
RESET_PROBE = """\
import builtins, os, signal, sys, time
seen = (getattr(sys, "marker", None), builtins.input.__name__, sys.getrecursionlimit(),
        sorted(os.listdir(".")), os.path.exists("/tmp/probe-left"), signal.getsignal(signal.SIGALRM) is signal.SIG_DFL)
print(input(), seen)
time.sleep(0.6)  # an alarm left by the last test would go off now
sys.marker = 1
builtins.input = lambda *a: "patched"
builtins.len = None
sys.setrecursionlimit(5000)
signal.signal(signal.SIGALRM, lambda *a: print("alarm from an earlier test"))
signal.setitimer(signal.ITIMER_REAL, 0.3)
open("left-here", "w").write("x")
open("/tmp/probe-left", "w").write("x")
os.chdir("/")
sys.stdin = sys.stdout = None
"""


def test_each_test_starts_from_the_same_interpreter_state(ex):
    if not ex.isolation["filesystem"].startswith("private"):
        pytest.skip("writes to /tmp reach the host without a private root")
    run = run_stdio(ex, RESET_PROBE, "1", "2", "3")
    first_seen = "(None, 'input', 1000, [], False, True)"
    assert [r.status for r in run.runs] == [RunStatus.OK] * 3
    assert [r.output for r in run.runs] == [f"{i} {first_seen}\n" for i in "123"]


def test_a_crash_or_timeout_in_one_test_does_not_touch_the_next(ex):
    code = ("import os, time, ctypes\nn = int(input())\n"
            "if n == 1:\n    os._exit(0)\n"
            "if n == 2:\n    ctypes.string_at(0)\n"
            "if n == 3:\n    time.sleep(60)\n"
            "print(n * 10)\n")
    run = run_stdio(ex, code, "0", "1", "2", "3", "4", "5")
    assert [r.status for r in run.runs] == [RunStatus.OK, RunStatus.OK, RunStatus.RUNTIME_ERROR, RunStatus.TIMEOUT,
                                            RunStatus.OK, RunStatus.OK]
    assert [r.output for r in run.runs] == ["0\n", "", "", "", "40\n", "50\n"]


def test_a_writer_the_program_left_open_is_flushed_at_the_end_of_its_test(ex):
    # CPython flushes it when the module is torn down at exit; each test ends the same way.
    run = run_stdio(ex, "out = open(1, 'w')\nout.write(input() + '!\\n')\n", "a", "b", "c")
    assert [r.output for r in run.runs] == ["a!\n", "b!\n", "c!\n"]


def test_call_arguments_are_not_on_stdin(ex):
    run = run_call(ex, "import sys\ndef f(x):\n    return [x, sys.stdin.read()]\n", "f", "[1]", "[2]")
    assert [r.output for r in run.runs] == ['[1, ""]', '[2, ""]']


def test_an_interpreter_folder_under_tmp_stays_usable_across_programs(monkeypatch, tmp_path):
    # CI clones the repository (and its virtual environment) under /tmp: the private /tmp
    # holds the mount points of those folders, which the cleanup between programs must keep.
    import sandbox.executor

    site = tmp_path / "site"
    site.mkdir()
    (site / "probe_module.py").write_text("VALUE = 42\n")
    for folder in (tmp_path, site):
        folder.chmod(0o755)
    (site / "probe_module.py").chmod(0o644)
    real = sandbox.executor.interpreter_paths
    monkeypatch.setattr(sandbox.executor, "interpreter_paths",
                        lambda: (real()[0] + [str(site)], real()[1] + [str(site)]))
    with Executor(Limits(timeout_s=2), workers=1) as ex:
        if not ex.isolation["filesystem"].startswith("private"):
            pytest.skip("only the private root has mount points under /tmp")
        code = "import probe_module\nopen('/tmp/left', 'w')\nprint(probe_module.VALUE)\n"
        outputs = [only(run_stdio(ex, code + f"# program {i}\n")).output for i in range(3)]
    assert outputs == ["42\n"] * 3


def test_big_input_and_output_round_trip(ex):
    text = "\n".join(str(i) for i in range(200_000)) + "\n"
    run = only(run_stdio(ex, "import sys\nsys.stdout.write(sys.stdin.read())\n", text))
    assert run.status == RunStatus.OK and run.output == text


def test_huge_integers_print_without_the_digit_limit(ex):
    run = only(run_stdio(ex, "print(len(str(10 ** 5000)))\n"))
    assert (run.status, run.output) == (RunStatus.OK, "5001\n")


# ---- call-based ------------------------------------------------------------------------------

def test_module_function_is_called_with_decoded_arguments(ex):
    run = only(run_call(ex, "def add(a, b):\n    return a + b\n", "add", "[2, 3]"))
    assert (run.status, json.loads(run.output)) == (RunStatus.OK, 5)


def test_solution_method_with_typing_annotations_needs_no_import(ex):
    code = ("class Solution:\n    def twice(self, xs: List[int]) -> Optional[List[int]]:\n"
            "        return [2 * x for x in xs]\n")
    run = only(run_call(ex, code, "twice", "[[1, 2]]"))
    assert (run.status, json.loads(run.output)) == (RunStatus.OK, [2, 4])


def test_quoted_string_arguments_are_passed_exactly_as_decoded(ex):
    run = only(run_call(ex, "def echo(s):\n    return s\n", "echo", json.dumps(['"abba"'])))
    assert json.loads(run.output) == '"abba"'


def test_tuples_and_sets_become_json_lists(ex):
    run = only(run_call(ex, "def f():\n    return (1, {3, 2}, frozenset())\n", "f", "[]"))
    assert json.loads(run.output) == [1, [2, 3], []]


def test_missing_function_is_compile_error_on_every_test(ex):
    run = run_call(ex, "def other():\n    return 1\n", "wanted", "[]", "[]", "[]")
    assert [r.status for r in run.runs] == [RunStatus.COMPILE_ERROR] * 3
    assert "wanted" in run.runs[0].detail


def test_unserializable_return_value_is_runtime_error(ex):
    run = only(run_call(ex, "def f():\n    return object()\n", "f", "[]"))
    assert run.status == RunStatus.RUNTIME_ERROR and "not serializable" in run.detail


def test_prints_of_a_called_function_do_not_become_its_value(ex):
    run = only(run_call(ex, "def f(x):\n    print('debug')\n    return x\n", "f", "[7]"))
    assert (run.status, run.output) == (RunStatus.OK, "7")


def test_exception_in_called_function_is_runtime_error(ex):
    run = only(run_call(ex, "def f(x):\n    return 1 // x\n", "f", "[0]"))
    assert run.status == RunStatus.RUNTIME_ERROR and "ZeroDivisionError" in run.detail


def test_call_state_does_not_leak_between_tests(ex):
    code = "calls = []\ndef f(x):\n    calls.append(x)\n    return len(calls)\n"
    run = run_call(ex, code, "f", "[1]", "[2]", "[3]")
    assert [r.output for r in run.runs] == ["1", "1", "1"]


def _apps(ex, code, kind, inputs, fn_name=None):
    return ex.submit(ExecutionRequest(code, kind, inputs, fn_name, apps_environment=True)).result(timeout=120)


def test_apps_environment_is_the_originals_header_open_mock_and_module_load():
    from sandbox.judge import apps_rerun

    with Executor(Limits(timeout_s=4), workers=1) as ex:
        reopen = "print(open('input.txt').read().split()[1])\nopen('out.txt', 'w').write('swallowed')\n"
        assert [(r.status, r.output) for r in _apps(ex, reopen, TestKind.STDIO, ("a b", "c d")).runs] == \
            [(RunStatus.OK, "b\n"), (RunStatus.OK, "d\n")]
        header = "class Solution:\n    def f(self, x: List[int]) -> int:\n        return gcd(*x) + len(deque(x))\n"
        assert _apps(ex, header, TestKind.CALL, ("[[4, 6]]",), "f").runs[0].output == "4"
        load = _apps(ex, "from fractions import gcd\nprint(gcd(2, 4))\n", TestKind.STDIO, ("", "")).runs
        assert [r.status for r in load] == [RunStatus.COMPILE_ERROR] * 2 and "ImportError" in load[0].detail
        # The default run is unchanged, and only programs whose outcome could differ run again.
        request = ExecutionRequest(reopen, TestKind.STDIO, ("a b",))
        default = ex.submit(request).result(timeout=120)
        assert default.runs[0].status == RunStatus.RUNTIME_ERROR and "FileNotFoundError" in default.runs[0].detail
        assert apps_rerun(request, default).apps_environment
        plain = ExecutionRequest("print(input())\n", TestKind.STDIO, ("x",))
        assert apps_rerun(plain, ex.submit(plain).result(timeout=120)) is None


def test_apps_environment_loads_a_call_based_program_once_and_calls_it_per_test():
    # As the original: the module executes once, one Solution() serves every test, and
    # module-level state persists between tests (also past a test that raised). The default
    # run gives every test a fresh module.
    counter = "calls = []\ndef f(x):\n    calls.append(x)\n    return len(calls) // (x - 2)\n"
    instance = ("class Solution:\n    def __init__(self):\n        self.seen = 0\n"
                "    def f(self, x: int) -> int:\n        self.seen += 1\n        return self.seen\n")
    inputs = ("[1]", "[2]", "[3]")
    with Executor(Limits(timeout_s=4), workers=1) as ex:
        assert "loaded once per test process" in ex.isolation["call_based_module"]  # recorded with every run
        apps = _apps(ex, counter, TestKind.CALL, inputs, "f").runs
        assert [r.status for r in apps] == [RunStatus.OK, RunStatus.RUNTIME_ERROR, RunStatus.OK]
        assert [apps[0].output, apps[2].output] == ["-1", "3"]
        default = run_call(ex, counter, "f", *inputs).runs
        assert [default[0].output, default[2].output] == ["-1", "1"]
        assert [r.output for r in _apps(ex, instance, TestKind.CALL, inputs, "f").runs] == ["1", "2", "3"]
        assert [r.output for r in run_call(ex, instance, "f", *inputs).runs] == ["1", "1", "1"]
        broken = _apps(ex, "raise ValueError('at load')\ndef f(x):\n    return x\n", TestKind.CALL, inputs, "f").runs
        assert [r.status for r in broken] == [RunStatus.COMPILE_ERROR] * 3 and "at load" in broken[0].detail
