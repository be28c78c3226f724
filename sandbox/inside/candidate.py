"""Preparing a program and running one test of it, both in the test process.

``prepare`` compiles the program once per test process, inside the limits and on the clock
of its first test (compiling is candidate work: a program can make the compiler use
unbounded memory or time); ``run_stdio`` / ``run_call`` run one test in the forked,
already-isolated test process (see test_process.py) and return its exit status and a
protocol.TestRecord (how it failed, or the JSON of the returned value). A program that
forges a record can only describe its own output, never reach expected outputs: they are
not in this process at all.
"""
from __future__ import annotations

import atexit
import builtins
import io
import json
import re
import sys
import types

import protocol
from protocol import RecordKind, TestRecord

DETAIL_CHARS = 300
MAX_VALUE_DEPTH = 200  # a returned value nested deeper is refused here, never sent on
CLEAN = TestRecord(RecordKind.OK)  # a stdin/stdout test that ran to its end with nothing to report

# Names the original APPS harness puts in scope by prepending imports: for programs that
# need its function wrapper anyway (a top-level `return`), and for every program run in
# the APPS environment (ExecutionRequest.apps_environment).
APPS_HEADER = """\
import sys, time, itertools, collections, math, fractions, heapq
from itertools import accumulate, product, permutations, combinations
from collections import Counter, OrderedDict, deque, defaultdict, ChainMap
from functools import lru_cache
from math import sqrt, sin, cos, tan, ceil, fabs, floor, gcd, exp, log, log2
from typing import List, Tuple
from heapq import *
stdin = sys.stdin
stdout = sys.stdout
"""

# LeetCode-style starter code annotates with these without importing them; LeetCode's
# own environment provides them, so call-based programs get them pre-bound.
TYPING_NAMES = ("List", "Dict", "Tuple", "Set", "FrozenSet", "Optional", "Union", "Any",
                "Callable", "Iterable", "Iterator", "Generator", "Sequence", "Mapping",
                "DefaultDict", "Deque")

# Compile errors of a script that go away inside the original's function wrapper.
_WRAPPER_ONLY_ERRORS = ("'return' outside function", "no binding for nonlocal",
                        "nonlocal declaration not allowed at module level")


class _Quitter:
    """exit() and quit(), which the site module (absent with -S) gives every script."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Use {self.name}() or Ctrl-D (i.e. EOF) to exit"

    def __call__(self, code=None):
        try:
            sys.stdin.close()
        except BaseException:  # noqa: BLE001
            pass
        raise SystemExit(code)


APPS_MODULE_NAME = "tmp_sol"  # the name the original APPS harness loads a program under


def install_site_builtins() -> None:
    builtins.exit = _Quitter("exit")
    builtins.quit = _Quitter("quit")


class Prepared:
    """A compiled program, or the reason it does not compile.

    In the APPS environment (`apps`), what the original executes when it loads the program
    as a module counts as loading: its header, and for a stdin program the import lines it
    hoists to module level (`loader`). An error there is the original's -2 (COMPILE_ERROR)."""

    __slots__ = ("code", "header", "wrapped", "error", "apps", "loader")

    def __init__(self, code=None, header=None, wrapped=False, error="", apps=False, loader=None):
        self.code, self.header, self.wrapped, self.error = code, header, wrapped, error
        self.apps, self.loader = apps, loader


def _syntax_detail(exc: SyntaxError) -> str:
    where = f" (line {exc.lineno})" if exc.lineno else ""
    return truncate(f"{type(exc).__name__}: {exc.msg}{where}")


def truncate(text: str, limit: int = DETAIL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def prepare(program: str, stdio: bool, apps_environment: bool = False) -> Prepared:
    try:
        code = compile(program, "<solution>", "exec", dont_inherit=True)
        if not apps_environment:
            return Prepared(code)
        return Prepared(code, _apps_header(program), apps=True, loader=_hoisted_imports(program) if stdio else None)
    except SyntaxError as exc:
        if not (stdio and exc.msg.startswith(_WRAPPER_ONLY_ERRORS)):
            return Prepared(error=_syntax_detail(exc))
        first_error = exc
    except (ValueError, RecursionError) as exc:  # e.g. NUL bytes, absurd nesting
        return Prepared(error=truncate(f"{type(exc).__name__}: {exc}"))
    try:
        code = compile(_wrap_in_function(program), "<solution>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError):
        return Prepared(error=_syntax_detail(first_error))
    return Prepared(code, _apps_header(program), wrapped=True)


def _hoisted_imports(program: str):
    """The lines the original moves out of its `def code():` wrapper: those starting with
    `import ` or `from ` (None when there are none, or they do not compile on their own)."""
    lines = [line for line in program.split("\n") if line.startswith(("import ", "from "))]
    if not lines:
        return None
    try:
        return compile("\n".join(lines), "<solution>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _load_failure(exc: BaseException) -> TestRecord:
    return TestRecord(RecordKind.COMPILE_ERROR, detail=truncate(f"loading the program failed (APPS environment): "
                                                                f"{_exception_line(exc)}"))


def uses_numpy_alias(program: str) -> bool:
    return re.search(r"\bnp\b", program) is not None


def _apps_header(program: str):
    # random and numpy are bound only for programs that mention them: importing them in
    # every test process would cost more than most programs.
    extra = "import random\n" if "random" in program else ""
    if uses_numpy_alias(program):
        extra += "try:\n    import numpy as np\nexcept ImportError:\n    pass\n"
    return compile(APPS_HEADER + extra, "<apps-header>", "exec", dont_inherit=True)


def _wrap_in_function(program: str):
    """The program's statements as the body of `def code(): ...`, then `code()`.

    Done on the syntax tree, so string literals keep their exact text. Star imports are
    illegal inside a function and stay at module level.
    """
    import ast  # only needed for the rare wrapped program; keeps the worker small

    tree = ast.parse(program, "<solution>")
    hoisted = [s for s in tree.body if isinstance(s, ast.ImportFrom) and any(a.name == "*" for a in s.names)]
    body = [s for s in tree.body if s not in hoisted] or [ast.Pass()]
    func = ast.FunctionDef(name="code", args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                                                           kw_defaults=[], kwarg=None, defaults=[]),
                           body=body, decorator_list=[], returns=None, type_comment=None)
    call = ast.Expr(ast.Call(func=ast.Name("code", ast.Load()), args=[], keywords=[]))
    module = ast.Module(body=hoisted + [func, call], type_ignores=[])
    return ast.fix_missing_locations(module)


def _wind_down(code: int, module: "types.ModuleType | None") -> int:
    """End a test as the interpreter ends a script: threads, atexit, module teardown, flush.
    `module` None: the module stays loaded for the process's next test (kept, not torn down).

    Returns the exit status, which becomes 120 when the final flush fails (as in CPython).
    """
    threading = sys.modules.get("threading")
    try:
        if threading is not None:
            main = threading.main_thread()
            for thread in threading.enumerate():
                if thread is not main and not thread.daemon:
                    thread.join()
        atexit._run_exitfuncs()
        # Clearing the namespace finalizes what the program left open (e.g. its own
        # unflushed writer on fd 1) now, not during a later test.
        if module is not None:
            module.__dict__.clear()
    except BaseException:  # noqa: BLE001 - the candidate's failures end here
        pass
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                code = code or 120
    for stream in (sys.__stdout__, sys.__stderr__):  # replaced ones: CPython flushes them on teardown
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
    return code


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    try:
        print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001
        pass
    return 1


def _failure(exc: BaseException) -> TestRecord:
    if isinstance(exc, MemoryError):
        return TestRecord(RecordKind.MEMORY, detail="MemoryError")
    try:  # the interpreter's own (C) traceback printer: no traceback module to import
        sys.__excepthook__(type(exc), exc, exc.__traceback__)
    except BaseException:  # noqa: BLE001
        pass
    return TestRecord(RecordKind.EXCEPTION, detail=truncate(_exception_line(exc)))


def _exception_line(exc: BaseException) -> str:
    """`ValueError: message`, as the last line of a traceback reads."""
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ in ("builtins", "__main__") else f"{cls.__module__}.{cls.__qualname__}"
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = "<exception str() failed>"
    if isinstance(exc, SyntaxError) and exc.lineno:
        text = f"{exc.msg} (line {exc.lineno})"
    return f"{name}: {text}" if text else name


def _fresh_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__["__builtins__"] = builtins
    sys.modules[name] = module
    return module


class _InputFile(io.StringIO):
    """What `open` returns in the APPS environment: the test input to read, writes swallowed."""

    def write(self, text) -> int:
        return len(text)


def _open_returning(text: str):
    def open(*args, **kwargs):  # noqa: A001 - replaces the builtin, as the original's mock does
        return _InputFile(text)

    return open


def run_stdio(prepared: Prepared, open_returns: str | None = None, as_module: bool = False) -> tuple[int, TestRecord]:
    """Run as the __main__ script; stdin/stdout are already fresh. (exit status, record).

    With `open_returns`, `open()` of any file returns that text; with `as_module`, the program
    runs as a module named as the original's (`tmp_sol`), not `__main__`, so code under
    `if __name__ == "__main__":` does not run (both: the APPS environment)."""
    module = _fresh_module(APPS_MODULE_NAME if as_module else "__main__")
    code, record = 0, CLEAN
    if open_returns is not None:
        builtins.open = _open_returning(open_returns)
    try:
        if prepared.header is not None:
            exec(prepared.header, module.__dict__)
        if prepared.loader is not None:
            try:
                exec(prepared.loader, module.__dict__)
            except Exception as exc:  # noqa: BLE001 - the original could not load the module
                return _wind_down(0, module), _load_failure(exc)
        exec(prepared.code, module.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:  # noqa: BLE001
        code, record = 1, _failure(exc)
    return _wind_down(code, module), record


def _jsonable(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    if type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"return value not serializable: {type(value).__name__}")


def _serialize(value: object) -> tuple[str | None, str]:
    try:
        text = json.dumps(value, default=_jsonable)
        if protocol.json_depth(text) > MAX_VALUE_DEPTH:
            return None, f"return value nested deeper than {MAX_VALUE_DEPTH} levels"
        return text, ""
    except TypeError as exc:
        text = str(exc)
        if not text.startswith("return value not serializable"):
            text = f"return value not serializable: {type(value).__name__} ({text})"
        return None, truncate(text)
    except (ValueError, RecursionError) as exc:
        return None, truncate(f"return value not serializable: {type(value).__name__} ({exc})")


def _find_function(namespace: dict, fn_name: str):
    if not isinstance(fn_name, str) or not fn_name:
        return None
    fn = namespace.get(fn_name)
    if callable(fn) and not isinstance(fn, type):
        return fn
    solution = namespace.get("Solution")
    if isinstance(solution, type) and hasattr(solution, fn_name):
        return getattr(solution(), fn_name)
    return None


class Loaded:
    """A call-based program loaded once for every test of its test process (the APPS
    environment, as the original runs it): its module, and the function found in it (with
    one `Solution()` for all the tests). Empty until a load succeeds; a failed load is tried
    again by the next test."""

    __slots__ = ("module", "fn")

    def __init__(self) -> None:
        self.module, self.fn = None, None


def run_call(prepared: Prepared, fn_name: str, args_json: str, max_chars: int,
             loaded: "Loaded | None" = None) -> tuple[int, TestRecord]:
    """Load as a module (not __main__), call fn_name(*args); the record carries the JSON result,
    if it is at most `max_chars` long (else TOO_BIG: an output limit).

    Without `loaded`, each test loads the module afresh (module-level state never reaches the
    next test). With it, the module is loaded by the first test that needs it and kept: later
    tests call the same function, and module-level state persists between them."""
    if loaded is not None and loaded.fn is not None:
        code, record = _call(None, prepared, fn_name, args_json, max_chars, loaded)
        return _wind_down(code, None), record
    module = _fresh_module("solution")
    typing = sys.modules["typing"]
    for name in TYPING_NAMES:
        module.__dict__[name] = getattr(typing, name)
    code, record = _call(module, prepared, fn_name, args_json, max_chars, loaded)
    keep = loaded is not None and loaded.fn is not None
    return _wind_down(code, None if keep else module), record


def _call(module: "types.ModuleType | None", prepared: Prepared, fn_name: str, args_json: str,
          max_chars: int, loaded: "Loaded | None") -> tuple[int, TestRecord]:
    try:
        fn = None if loaded is None else loaded.fn
        if fn is None:
            try:
                if prepared.header is not None:
                    exec(prepared.header, module.__dict__)
                exec(prepared.code, module.__dict__)
            except Exception as exc:  # noqa: BLE001
                if prepared.apps:  # the original could not load the module
                    return 0, _load_failure(exc)
                raise
            fn = _find_function(module.__dict__, fn_name)
            if fn is None:
                return 0, TestRecord(RecordKind.MISSING, detail=f"no function or Solution method named {fn_name!r}")
            if loaded is not None:
                loaded.module, loaded.fn = module, fn
        args = json.loads(args_json)
        value = fn(*args) if isinstance(args, list) else fn(args)
        text, problem = _serialize(value)
    except SystemExit as exc:
        return _exit_code(exc) or 1, TestRecord(RecordKind.EXCEPTION,
                                                detail=truncate(f"SystemExit({exc.code!r}) instead of a return"))
    except BaseException as exc:  # noqa: BLE001
        return 1, _failure(exc)
    if text is None:
        return 1, TestRecord(RecordKind.UNSERIALIZABLE, detail=problem)
    if len(text) > max_chars:
        return 0, TestRecord(RecordKind.TOO_BIG)
    return 0, TestRecord(RecordKind.OK, value=text)
