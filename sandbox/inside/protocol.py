"""The harness<->worker protocol: every message and record that crosses a process boundary.

One definition for both sides: the harness imports it as ``sandbox.inside.protocol``, the
worker, server and test process (which run by path in the jail) as ``protocol``. Standard
library only. Messages are frozen dataclasses; `encode` turns one into JSON bytes, `decode`
turns bytes back into exactly one of the expected message types or raises ProtocolError.
Decoding is strict and bounded, because some of what it reads was written by a candidate
(the test record) or could be garbage (a dying worker): the size is capped before parsing,
the nesting depth is measured before `json.loads` sees the text, integers longer than a few
digits and the non-JSON constants (NaN, Infinity) are refused, every key must be a known
field and every value of its declared type.

Flow, per worker:  harness --WorkerConfig--> worker  --Ready | SetupFailed--> harness;
worker --ServerConfig (argv)--> server;  harness --Piece--> server --Results | WorkerFailed-->
harness;  test process --TestRecord (a memfd)--> server.
"""
from __future__ import annotations

import enum
import json
import math
import re
import sys
import types
import typing
from dataclasses import MISSING, dataclass, fields, is_dataclass
from itertools import accumulate

PROTOCOL_VERSION = 2
MAX_DEPTH = 24  # nesting of any message (the isolation description is the deepest)
MAX_INT_DIGITS = 24  # integers in messages are counts, indices, sizes, ids
RECORD_SLACK = 4096  # a test record may exceed the output cap by this much


class ProtocolError(ValueError):
    """A message that is not exactly one of the expected kinds, well formed and in bounds."""


class TestKind(str, enum.Enum):
    """How a program receives a test: on stdin, or as arguments of a call."""

    __test__ = False  # not a pytest class

    STDIO = "stdio"
    CALL = "call"


class RunStatus(str, enum.Enum):
    """What happened when a program ran on one input, before any comparison."""

    OK = "ok"  # finished normally; `output` holds what it produced
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    COMPILE_ERROR = "compile_error"
    HARNESS_ERROR = "harness_error"
    NOT_RUN = "not_run"  # skipped by the executor (early stop); never produced by a worker


class RecordKind(str, enum.Enum):
    """How one test ended, as the test process itself reports it (forgeable by the candidate)."""

    OK = "ok"  # stdin test ended normally, or a call returned `value`
    EXCEPTION = "exception"
    MEMORY = "memory"
    MISSING = "missing"  # no such function or Solution method
    UNSERIALIZABLE = "unserializable"
    TOO_BIG = "too_big"  # the return value is longer than the output cap
    COMPILE_ERROR = "compile_error"


WALL_FACTOR = 5  # default wall-clock limit, in multiples of the CPU-time limit
PROGRAM_CPU_FACTOR = 3  # default per-program CPU-time budget, in multiples of the per-test CPU-time limit
PROGRAM_WALL_FACTOR = 2  # default per-program wall-clock budget, in multiples of the per-test wall-clock limit


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-test resource limits of a candidate program (the public record and the worker's).

    `timeout_s` is CPU time, as competitive-programming judges define it: of the test's
    whole process tree (threads and child processes included), so that a verdict does not
    depend on how busy the machine is. `wall_timeout_s` (default WALL_FACTOR x timeout_s)
    catches programs that sleep or block; it is large enough that a program using less
    than `timeout_s` of CPU is not cut off on a machine shared with a few other jobs.
    """

    timeout_s: float = 4.0
    memory_mb: int = 2048
    max_output_bytes: int = 4 << 20
    cpu_s: int | None = None  # the per-process RLIMIT_CPU backstop; defaults to ceil(timeout_s) + 1
    max_file_bytes: int = 16 << 20
    max_processes: int = 64
    wall_timeout_s: float | None = None
    # Per-program budgets over all its tests (see program_cpu_budget_s); None: the default
    # multiple of the per-test limit; 0: no budget.
    program_cpu_s: float | None = None
    program_wall_s: float | None = None

    def __post_init__(self) -> None:
        if not (self.timeout_s > 0 and math.isfinite(self.timeout_s)):
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout_s}")
        if self.wall_timeout_s is not None and not (math.isfinite(self.wall_timeout_s)
                                                    and self.wall_timeout_s >= self.timeout_s):
            raise ValueError(f"wall-clock limit must be at least the CPU-time limit ({self.timeout_s:g} s),"
                             f" got {self.wall_timeout_s}")
        for name in ("program_cpu_s", "program_wall_s"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"a per-program budget must be 0 (none) or a positive number of seconds, got {value}")
        if self.memory_mb < 16:
            raise ValueError(f"memory limit must be at least 16 MB, got {self.memory_mb}")
        if self.max_output_bytes < 1:
            raise ValueError(f"output cap must be positive, got {self.max_output_bytes}")

    @property
    def effective_cpu_s(self) -> int:
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1

    @property
    def effective_wall_s(self) -> float:
        return self.wall_timeout_s if self.wall_timeout_s is not None else WALL_FACTOR * self.timeout_s

    @property
    def program_cpu_budget_s(self) -> float | None:
        """CPU seconds a program's tests may use in all: once its tests so far (in order) used
        this much, the tests after them are timeouts, not run. None: no budget."""
        if self.program_cpu_s is None:
            return PROGRAM_CPU_FACTOR * self.timeout_s
        return self.program_cpu_s or None

    @property
    def program_wall_budget_s(self) -> float | None:
        """Likewise for the wall-clock time of its tests (sleeping or blocked programs). None: no budget."""
        if self.program_wall_s is None:
            return PROGRAM_WALL_FACTOR * self.effective_wall_s
        return self.program_wall_s or None

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb << 20

    @property
    def file_bytes(self) -> int:
        """RLIMIT_FSIZE: at least one byte above the output cap, so an overflow is visible."""
        return max(self.max_file_bytes, self.max_output_bytes + 1)


@dataclass(frozen=True, slots=True)
class TestRun:
    """Raw result of running a program on one input.

    `output` is the captured stdout (STDIO) or the JSON text of the return value (CALL).
    """

    __test__ = False  # not a pytest class
    index: int
    status: RunStatus
    output: str = ""
    wall_s: float = 0.0
    detail: str = ""  # e.g. the last line of a traceback, or why the harness failed
    cpu_s: float = 0.0  # CPU time of the test's process tree, measured by the worker (0: not measured)


class SandboxMode(str, enum.Enum):
    """What isolation the executor insists on.

    FULL: every protection of docs/security.md, as root (a uid per worker) or through an
    unprivileged user namespace; the executor refuses to start where it cannot have them.
    WEAK: whatever this machine allows, recorded; an explicit opt-in for untrusted code.
    """

    FULL = "full"
    WEAK = "weak"


# ---- messages ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Harness -> worker, first message: how to build the jail and what to enforce."""

    limits: Limits
    sys_path: tuple[str, ...]
    readonly_paths: tuple[str, ...]
    uid_base: int
    tmp_bytes: int
    namespaces: bool
    cpu: int | None
    scratch_base: str
    sandbox: SandboxMode = SandboxMode.FULL
    oom_fd: int | None = None  # read-only descriptor of the worker's memory cgroup OOM counter
    memory_bound: str = ""  # what bounds a program's memory (the cgroup, or RLIMIT_AS only)
    cpu_fd: int | None = None  # read-only descriptor of the worker's cgroup CPU counter
    cpu_counter: str = ""  # what that counter is (recorded)
    cpu_counter_v2: bool = False  # cpu.stat (usage_usec) rather than cpuacct.usage (ns)
    cpu_group: bool = False  # the worker has a cgroup v1 cpu group of its own (autogroups do not apply in it)


@dataclass(frozen=True, slots=True)
class Ready:
    """Worker -> harness: set up; what protects its candidates (recorded with every run)."""

    isolation: dict


@dataclass(frozen=True, slots=True)
class SetupFailed:
    """Worker -> harness: the jail could not be built. `unavailable`: the full sandbox is not
    possible on this machine (the error says why and what to do), as opposed to a fault."""

    error: str
    unavailable: bool = False


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """worker.py -> server.py (through a pipe named on its command line): the jail as it was built."""

    limits: Limits
    sys_path: tuple[str, ...]
    uid: int
    gid: int
    drop: bool
    pid_namespace: bool
    ipc_namespace: bool
    private_root: bool
    isolation: dict
    scratch_base: str
    user_namespace: bool = False
    shares_uid: bool = False  # candidates run as the server's own uid (a user namespace, no uid drop)
    oom_fd: int | None = None
    cpu_fd: int | None = None  # the cgroup CPU counter (WorkerConfig.cpu_fd), when there is one
    cpu_counter_v2: bool = False
    proc_fd: int | None = None  # a /proc of the pid namespace that hides no process, out of candidates' reach
    new_session: bool = False  # each test process in a session (and so an autogroup) of its own
    files_fd: int | None = None  # a tmpfs mounted nowhere for the test processes' files (else memfds)
    zygote: bool = False  # the server's children are in a nested pid namespace: a zygote forks the test processes
    zygote_fd: int | None = None  # the socket between the server and the zygote (each its own end)
    zygote_pid: int = 0  # the zygote's pid, as the server sees it
    zygote_role: bool = False  # this configuration is the zygote's: it serves the server, not the harness


@dataclass(frozen=True, slots=True)
class Piece:
    """Harness -> worker: run these inputs of a program.

    `resume`: continue in the test process the last piece of the same program left open;
    `more`: tests of the program that may follow (keep the process open for them);
    `apps_environment`: run as the original APPS harness does (its import header before
    every program, `open` returning the test input, a call-based program's module loaded
    once per test process and its function called per test); `first_index`: the index of the first
    input among the program's tests (the runs are numbered from it).
    """

    program: str
    kind: TestKind
    inputs: tuple[str, ...]
    fn_name: str | None
    resume: bool
    more: int
    apps_environment: bool = False
    first_index: int = 0


@dataclass(frozen=True, slots=True)
class Results:
    """Worker -> harness: one TestRun per input of the piece, numbered from its first_index.

    `stopped`: the piece stopped at its first timeout with inputs left (the runs are a prefix,
    the last one a timeout); the harness decides again what of the rest runs (the budget)."""

    runs: tuple[TestRun, ...]
    wrapped: bool
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class WorkerFailed:
    """Worker -> harness: the worker itself failed on a piece (never the candidate's fault)."""

    error: str


@dataclass(frozen=True, slots=True)
class TestRecord:
    """Test process -> worker, through a file the candidate can also write: trust nothing in it
    beyond what it says about the candidate's own test."""

    __test__ = False  # not a pytest class

    kind: RecordKind
    exit_code: int = 0
    detail: str = ""
    value: str | None = None  # CALL: the JSON text of the returned value
    wrapped: bool = False


class MessageKind(str, enum.Enum):
    """The `message` field of every message: which dataclass it is."""

    WORKER_CONFIG = "worker_config"
    READY = "ready"
    SETUP_FAILED = "setup_failed"
    SERVER_CONFIG = "server_config"
    PIECE = "piece"
    RESULTS = "results"
    WORKER_FAILED = "worker_failed"
    TEST_RECORD = "test_record"


_CLASSES = {
    MessageKind.WORKER_CONFIG: WorkerConfig, MessageKind.READY: Ready, MessageKind.SETUP_FAILED: SetupFailed,
    MessageKind.SERVER_CONFIG: ServerConfig, MessageKind.PIECE: Piece, MessageKind.RESULTS: Results,
    MessageKind.WORKER_FAILED: WorkerFailed, MessageKind.TEST_RECORD: TestRecord,
}
_KINDS = {cls: kind for kind, cls in _CLASSES.items()}


# ---- encoding ----------------------------------------------------------------------------------

def encode(message) -> bytes:
    """The JSON bytes of one message (ASCII: lone surrogates travel escaped)."""
    body = {"message": _KINDS[type(message)].value, "version": PROTOCOL_VERSION, **_plain(message)}
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("ascii")


def _plain(value):
    cls = type(value)
    if cls in _SCALARS:
        return value
    names = _FIELD_NAMES.get(cls)
    if names is None and is_dataclass(cls):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


_SCALARS = frozenset((str, int, float, bool, type(None)))
_FIELD_NAMES: dict = {}  # dataclass -> its field names, in order


def decode(data: bytes, *expected: type, max_bytes: int = 1 << 31):
    """The message in `data`, which must be one of the `expected` classes; else ProtocolError."""
    if len(data) > max_bytes:
        raise ProtocolError(f"message of {len(data)} bytes, more than {max_bytes}")
    try:
        text = data.decode("ascii") if isinstance(data, (bytes, bytearray)) else str(data)
    except UnicodeDecodeError:
        raise ProtocolError("message is not ASCII JSON") from None
    if json_depth(text) > MAX_DEPTH:
        raise ProtocolError(f"message nested deeper than {MAX_DEPTH} levels")
    try:
        body = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"undecodable message: {str(exc)[:200]}") from None
    if not isinstance(body, dict):
        raise ProtocolError(f"message is a {type(body).__name__}, not an object")
    kind = body.pop("message", None)
    if body.pop("version", None) != PROTOCOL_VERSION:
        raise ProtocolError(f"message without protocol version {PROTOCOL_VERSION}")
    cls = next((_CLASSES[k] for k in MessageKind if k.value == kind), None)
    if cls is None or cls not in expected:
        names = ", ".join(_KINDS[c].value for c in expected)
        raise ProtocolError(f"message of kind {str(kind)[:40]!r} where {names} was expected")
    return _build(cls, body, cls.__name__)


# The records of clean exits (status 0, nothing to report), encoded once: the test process
# writes these bytes without encoding anything (each object a forked process touches costs
# it a copied page) and the worker recognises them without decoding. Anything else travels
# through encode/decode.
# CLEAN_RECORD_BYTES[wrapped]: the bytes; wrapped: the program ran in the function wrapper.
CLEAN_RECORD_BYTES = tuple(encode(TestRecord(RecordKind.OK, 0, wrapped=wrapped)) for wrapped in (False, True))
COMMON_RECORDS = {data: TestRecord(RecordKind.OK, 0, wrapped=bool(wrapped)) for wrapped, data in enumerate(CLEAN_RECORD_BYTES)}


def decode_record(data: bytes) -> TestRecord:
    """decode(data, TestRecord), at once for the common records."""
    common = COMMON_RECORDS.get(data)
    return common if common is not None else decode(data, TestRecord)


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text, without parsing it (string contents
    are skipped, so brackets inside strings do not count)."""
    if "[" not in text and "{" not in text:
        return 0
    if '"' in text:
        text = _STRING.sub("", text)
    steps = map(_BRACKET_STEP.get, _BRACKETS.findall(text))
    return max(accumulate(steps, initial=0))


# The loop unrolled: an alternation inside a repeat costs the regex engine ~100 bytes of
# backtracking state per character (700 MB for a 6 MB program), this form next to nothing.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _small_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ProtocolError(f"integer of {len(text)} digits in a message")
    return int(text)


def _no_constant(name: str):
    raise ProtocolError(f"{name} in a message")


_DECODER = json.JSONDecoder(parse_int=_small_int, parse_constant=_no_constant)  # built once: json.loads builds one per call


def _build(cls: type, body, where: str):
    return _decoder(cls)(body, where)


# Decoders are built once per class from its type hints: (field, converter, required) rows,
# each converter specialised to its hint, so decoding a message never inspects types again.
_DECODERS: dict = {}


def _decoder(cls: type):
    decoder = _DECODERS.get(cls)
    if decoder is None:
        hints = typing.get_type_hints(cls, vars(sys.modules[__name__]))
        rows = tuple((f.name, _converter(hints[f.name]), f.default is MISSING and f.default_factory is MISSING)
                     for f in fields(cls))
        decoder = _DECODERS[cls] = _object_decoder(cls, rows, frozenset(hints))
    return decoder


def _object_decoder(cls: type, rows: tuple, known: frozenset):
    def decode_object(body, where: str):
        if not isinstance(body, dict):
            raise ProtocolError(f"{where}: an object expected, got {type(body).__name__}")
        unknown = body.keys() - known
        if unknown:
            raise ProtocolError(f"{where}: unknown field {sorted(map(str, unknown))[0][:40]!r}")
        values = {}
        for name, convert, required in rows:
            if name in body:
                values[name] = convert(body[name], f"{where}.{name}")
            elif required:
                raise ProtocolError(f"{where}: missing field {name!r}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ProtocolError(f"{where}: {exc}") from None
    return decode_object


def _converter(hint):
    """A function (value, where) -> the value as `hint` says, or ProtocolError."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        convert_inner = _converter(inner)
        if type(None) not in typing.get_args(hint):
            return convert_inner
        return lambda value, where: None if value is None else convert_inner(value, where)
    if origin is tuple:
        convert_item = _converter(typing.get_args(hint)[0])

        def convert_tuple(value, where):
            if not isinstance(value, list):
                raise ProtocolError(f"{where}: a list expected, got {type(value).__name__}")
            return tuple(convert_item(v, f"{where}[{i}]") for i, v in enumerate(value))
        return convert_tuple
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        def convert_enum(value, where):
            try:
                return hint(value)
            except ValueError:
                raise ProtocolError(f"{where}: {str(value)[:40]!r} is not a {hint.__name__}") from None
        return convert_enum
    if is_dataclass(hint):
        return lambda value, where: _decoder(hint)(value, where)
    accepts = _ACCEPTS.get(hint)
    if accepts is None:
        raise TypeError(f"no protocol type for {hint!r}")
    check, cast = accepts

    def convert_plain(value, where):
        if check(value):
            return cast(value)
        raise ProtocolError(f"{where}: {getattr(hint, '__name__', hint)} expected, got {type(value).__name__}")
    return convert_plain


def _same(value):
    return value


_ACCEPTS = {  # plain hint -> (accepts the JSON value?, conversion)
    bool: (lambda v: isinstance(v, bool), _same),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), _same),
    float: (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), float),
    str: (lambda v: isinstance(v, str), _same),
    dict: (lambda v: isinstance(v, dict), _same),
}


def clean_text(text: str) -> str:
    """Text that any encoder accepts: lone surrogates become visible escapes (\\udcxx)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
