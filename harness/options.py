"""The options of each command, defined once: typed, with defaults, help and checks.

One frozen dataclass per command (RunOptions, GenerateOptions, EvaluateOptions, ReportOptions,
CompareOptions). The command line builds its argparse options from their fields (cli.py), and
both the command line and the Python API (api.py) make an instance through `build_options`, so a
notebook gets the same conversions, checks, defaults and one-line errors as the shell.
A field's metadata (see `_opt`) holds what argparse needs: help, metavar, converter, choices, group.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping

from sandbox.records import SandboxMode

from harness.config import DEFAULT_PLAN_WINDOW
from harness.errors import ConfigError

MAX_TIMEOUT_S = 86400.0
REPORT_FORMATS = ("md", "csv", "json", "tex", "png", "svg", "pdf", "html")
BINARY_FORMATS = ("png", "svg", "pdf")


# ---- converters: text (the command line's, or str() of a Python value) -> value ---------------------


def _int_at_least(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0, "non-negative")


def positive_int(text: str) -> int:
    return _int_at_least(text, 1, "positive")


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _seconds(text: str) -> float:
    """The number in `text`, or nan (refused by every range check) when there is none."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def timeout_seconds(text: str) -> float:
    """Seconds per test: a finite number in (0, one day]; inf, nan, 0 and negatives are refused."""
    value = _seconds(text)
    if not 0 < value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(f"expected seconds in (0, {MAX_TIMEOUT_S:g}], got {text!r}")
    return value


def budget_seconds(text: str) -> float:
    """A per-program budget: 0 (none) or seconds in (0, one day]."""
    value = _seconds(text)
    if not 0 <= value <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(f"expected 0 (no budget) or seconds up to {MAX_TIMEOUT_S:g}, got {text!r}")
    return value


def _opt(default: Any, help: str, *, type: Callable[[str], Any] | None = None, metavar: str | None = None,
         choices: tuple[str, ...] | None = None, group: str | None = None, repeat: bool = False,
         positional: bool = False, nargs: str | None = None) -> Any:
    """A dataclass field that is also a command-line option (--name-with-dashes, or a positional)."""
    meta = {"help": help, "type": type, "metavar": metavar, "choices": choices, "group": group, "repeat": repeat,
            "positional": positional, "nargs": nargs}
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


# ---- option groups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataOptions:
    dataset: str | None = _opt(None, "bundled sample (default), a .jsonl/.parquet file, an APPS folder, or a hub id",
                               metavar="SPEC", group="data")
    split: str | None = _opt(None, "train or test", group="data")
    difficulty: tuple[str, ...] = _opt((), "introductory, interview or competition (repeatable)", metavar="NAME", group="data",
                                       repeat=True)
    limit: int | None = _opt(None, "first N problems after the other filters", type=positive_int, metavar="N", group="data")
    sample: int | None = _opt(None, "a seeded subset of N problems after the other filters, each difficulty keeping its share "
                                    "(seed: --seed)", type=positive_int, metavar="N", group="data")
    problems: str | None = _opt(None, "comma-separated problem ids", metavar="ID,...", group="data")
    skip_bad_rows: bool = _opt(False, "leave out dataset rows that cannot be read (listed in the run) instead of stopping",
                               group="data")


@dataclass(frozen=True)
class GenerationOptions:
    model: str | None = _opt(None, "hub id or local folder (default: the embedded offline SmolLM2-135M)", group="generation")
    revision: str | None = _opt(None, "hub branch, tag or commit", group="generation")
    dtype: str = _opt("auto", "auto: float32 on a CPU; bfloat16 on a GPU that has it, else float32",
                      choices=("auto", "float32", "bfloat16", "float16"), group="generation")
    device: str = _opt("auto", "auto, cpu, cuda or cuda:N", group="generation")
    template: str = _opt("auto", "auto (default: chat for models with a chat template, else apps), apps, apps-train, chat, "
                                 "a template FILE, or a template text with {question} {starter_code} {format}", group="generation")
    n_samples: int = _opt(1, "programs per problem (pass@k up to k=N)", type=positive_int, metavar="N", group="generation")
    batch_size: int | None = _opt(None, "sequences per generation batch (default: 16 on a GPU; on a CPU 64, fewer where their "
                                         "cache at full context would not fit in half the memory)",
                                  type=positive_int, metavar="N", group="generation")
    max_new_tokens: int = _opt(512, "tokens per program at most", type=positive_int, metavar="N", group="generation")
    temperature: float = _opt(0.0, "0 = greedy", type=finite_float, group="generation")
    top_p: float = _opt(1.0, "nucleus sampling mass", type=finite_float, group="generation")
    num_beams: int = _opt(1, "beam search width", type=positive_int, metavar="N", group="generation")
    seed: int = _opt(0, "sampling seed (each problem and sample has its own stream); also seeds --sample", type=int,
                     group="generation")
    stop: tuple[str, ...] | None = _opt(None, "stop string (repeatable; default: \\nQUESTION \\nANSWER \\n--- for APPS templates, "
                                              "none for chat)", group="generation", repeat=True)
    plan_window: int = _opt(DEFAULT_PLAN_WINDOW, "problems whose prompts are built and sorted by length together, the next "
                                                 "window's only when decoding reaches it (0: the whole selection at once); "
                                                 "recorded, and a resumed run keeps its folder's", type=non_negative_int,
                            metavar="N", group="generation")


@dataclass(frozen=True)
class ExecutionOptions:
    workers: int | None = _opt(None, "parallel programs (default: number of cores; never more than the programs to judge)",
                               type=positive_int, metavar="N", group="execution")
    timeout: float = _opt(4.0, "CPU seconds per test, of the program's whole process tree (threads and children included)",
                          type=timeout_seconds, metavar="SECONDS", group="execution")
    wall_timeout: float | None = _opt(None, "wall-clock seconds per test, for programs that sleep or block (default: 5 x --timeout)",
                                      type=timeout_seconds, metavar="SECONDS", group="execution")
    program_cpu_budget: float | None = _opt(
        None, "CPU seconds a program's tests may use in all: once its tests (in order) used them, the rest are timeouts, "
              "not run (default: 3 x --timeout; 0: no budget)", type=budget_seconds, metavar="SECONDS", group="execution")
    program_wall_budget: float | None = _opt(
        None, "likewise in wall-clock seconds, for programs that sleep or block (default: 2 x --wall-timeout; 0: no budget)",
        type=budget_seconds, metavar="SECONDS", group="execution")
    stop_at_first_failure: bool = _opt(False, "stop a program at its first failing test: strict accuracy and pass@k only, the "
                                              "test-pass rate is not computed (part of the run's settings: a resume must use it too)",
                                       group="execution")
    sandbox: str = _opt(SandboxMode.FULL.value, "full (default): refuse to run where candidates cannot be fully isolated; weak: "
                                                "judge with whatever isolation this machine allows (recorded in config.json and "
                                                "every report)", choices=tuple(m.value for m in SandboxMode), group="execution")
    memory_mb: int = _opt(2048, "address-space limit per program, MiB", type=positive_int, metavar="MIB", group="execution")
    max_output_kb: int = _opt(4096, "stdout cap per test, KiB", type=positive_int, metavar="KIB", group="execution")


@dataclass(frozen=True)
class ClusterOptions:
    executor: str = _opt("local", "local: this machine's sandbox workers; ray: a Ray cluster (one sandbox actor per node for "
                                  "judging, one model replica per GPU for generation)", choices=("local", "ray"), group="cluster")
    ray_address: str | None = _opt(None, "the Ray cluster to join (default: start a local one on 127.0.0.1)", metavar="HOST:PORT",
                                   group="cluster")
    ray_gen_cpus: int | None = _opt(None, "CPU models: one replica per node with N CPUs, using them (default: one replica per GPU)",
                                    type=positive_int, metavar="N", group="cluster")


@dataclass(frozen=True)
class JudgingClusterOptions(ClusterOptions):
    ray_workers: int | None = _opt(None, "sandbox workers per actor (default: the CPUs the actor is given)", type=positive_int,
                                   metavar="N", group="cluster")
    ray_cpus_per_actor: int | None = _opt(None, "one sandbox actor per N CPUs of each node, each with N workers (default: one "
                                                "actor per node)", type=positive_int, metavar="N", group="cluster")


@dataclass(frozen=True)
class OutOptions:
    out: Path | None = _opt(None, "run folder (default: runs/<command>-<settings hash>); the same --out resumes", type=Path,
                            metavar="DIR")


@dataclass(frozen=True)
class ReportOutputOptions:
    format: str | None = _opt(None, "md (Markdown), csv, json, tex (a booktabs table), png, svg or pdf (figures; svg and pdf "
                                    "are vector), html (one offline page to browse the problems) (default: the --output name's extension if it is one of these, else md)",
                              choices=REPORT_FORMATS)
    output: Path | None = _opt(None, "write to FILE instead of stdout (required for png, svg, pdf)", type=Path, metavar="FILE")
    valid_only: str | None = _opt(None, "validity.json (or a run folder holding one): score only valid problems", metavar="MASK")
    details: bool = _opt(False, "list per-problem details")
    metrics: str | None = _opt(None, "the columns (and figure bars), in order: problems, samples, strict, test_pass, pass@K, "
                                     "apps_strict, apps_test_pass, verdicts, similarity, copy_rate, strict_excl_copies (default: all for md/csv, a "
                                     "page-wide set for tex, strict,test_pass for figures; json always has everything)",
                               metavar="LIST")
    notes: str = _opt("full", "the notes under a table: full (every setting), short (one line per run), none",
                      choices=("full", "short", "none"))


# ---- the commands -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions(OutOptions, JudgingClusterOptions, ExecutionOptions, GenerationOptions, DataOptions):
    command: ClassVar[str] = "run"


@dataclass(frozen=True)
class GenerateOptions(OutOptions, ClusterOptions, GenerationOptions, DataOptions):
    command: ClassVar[str] = "generate"


@dataclass(frozen=True)
class EvaluateOptions(OutOptions, JudgingClusterOptions, ExecutionOptions, DataOptions):
    command: ClassVar[str] = "evaluate"
    solutions: bool = _opt(False, "judge the dataset's own reference solutions", group="source")
    generations: Path | None = _opt(None, "a programs file (accepted shapes below)", type=Path, metavar="FILE", group="source")
    run: Path | None = _opt(None, "a run folder holding generations.jsonl (made by generate or run); its recorded dataset and "
                                  "model are kept; judged in place unless --out is given", type=Path, metavar="DIR", group="source")
    max_solutions: int | None = _opt(None, "with --solutions: first K per problem", type=positive_int, metavar="K")
    seed: int = _opt(0, "seed of --sample", type=int)
    rejudge: bool = _opt(False, "with --run: judge every program again in place (e.g. new limits); the previous results.jsonl "
                                "is kept as results.previous-N.jsonl")
    only_given_problems: bool = _opt(False, "with --generations: score only the problems the file has programs for (default: "
                                            "selected problems without a program count as unsolved)")

    def __post_init__(self) -> None:
        if sum(bool(x) for x in (self.solutions, self.generations, self.run)) != 1:
            raise ConfigError("evaluate needs exactly one of solutions=True, generations=FILE, run=DIR "
                              "(on the command line: --solutions, --generations FILE, --run DIR)")


@dataclass(frozen=True)
class ReportOptions(ReportOutputOptions):
    command: ClassVar[str] = "report"
    run_dir: Path = _opt(Path("."), "the run folder", type=Path, positional=True)
    label: str | None = _opt(None, "the run's name, shown instead of its folder and its model's local path", metavar="NAME")


@dataclass(frozen=True)
class CompareOptions(ReportOutputOptions):
    command: ClassVar[str] = "compare"
    run_dirs: tuple[Path, ...] = _opt((), "run folders (at least two in all, with those given by --label)", type=Path,
                                      positional=True, nargs="*")
    label: tuple[str, ...] = _opt((), "name the run in DIR (added to the runs if not listed); repeatable", metavar="NAME=DIR",
                                  repeat=True)
    table: str = _opt("full", "full: every table; runs: only the main table, one row per run", choices=("full", "runs"))


COMMAND_OPTIONS: dict[str, type] = {c.command: c for c in (RunOptions, GenerateOptions, EvaluateOptions, ReportOptions, CompareOptions)}
Options = RunOptions | GenerateOptions | EvaluateOptions | ReportOptions | CompareOptions


# ---- one way in ---------------------------------------------------------------------------------------


def build_options(command: str, values: Mapping[str, Any]) -> Options:
    """The typed options of `command` from `values` (field name -> value; absent: the default), converted and
    checked as the command line converts and checks them. Unknown names: TypeError; bad values: ConfigError
    naming the option and the value."""
    cls = COMMAND_OPTIONS[command]
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise TypeError(f"{command}() got unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    converted = {}
    for name, value in values.items():
        try:
            converted[name] = _convert(known[name], value)
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            raise ConfigError(f"{command}({name}={value!r}): {exc}") from None
    return cls(**converted)


def _convert(f: Any, value: Any) -> Any:
    meta = f.metadata
    if value is None:
        return None
    if f.type in (bool, "bool"):
        if not isinstance(value, bool):
            raise TypeError(f"expected True or False, got {type(value).__name__}")
        return value
    if f.name == "problems" and not isinstance(value, str):
        return ",".join(map(str, value))
    if meta["repeat"] or meta["nargs"]:
        items = [value] if isinstance(value, (str, Path)) else list(value)
        return tuple(_one(meta, item) for item in items)
    return _one(meta, value)


def _one(meta: Mapping[str, Any], value: Any) -> Any:
    convert = meta["type"]
    if isinstance(value, bool) and convert not in (None, str):
        raise TypeError("expected a number or text, got a boolean")
    converted = convert(value if isinstance(value, str) else str(value)) if convert else value
    if meta["choices"] is not None and converted not in meta["choices"]:
        raise ValueError(f"expected one of {', '.join(map(str, meta['choices']))}")
    return converted


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """The command's options on its argparse parser, grouped as the dataclass groups them."""
    groups: dict[str | None, Any] = {None: parser}
    for f in fields(cls):
        meta = f.metadata
        group = meta["group"]
        if group not in groups:
            groups[group] = (parser.add_mutually_exclusive_group(required=True) if group == "source"
                             else parser.add_argument_group(group))
        target = groups[group]
        default = f.default if f.default is not MISSING else f.default_factory()
        if meta["positional"]:
            kwargs = {"type": meta["type"], "help": meta["help"]} | ({"nargs": meta["nargs"]} if meta["nargs"] else {})
            target.add_argument(f.name, **kwargs)
            continue
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            target.add_argument(flag, action="store_true", help=meta["help"])
            continue
        kwargs = {"help": meta["help"], "metavar": meta["metavar"], "type": meta["type"], "choices": meta["choices"]}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if meta["repeat"]:
            target.add_argument(flag, action="append", default=None if default is None else list(default), **kwargs)
        else:
            target.add_argument(flag, default=default, **kwargs)


def from_namespace(args: argparse.Namespace) -> Options:
    """The command line's parsed arguments as the command's typed options (through build_options, as the API)."""
    cls = COMMAND_OPTIONS[args.command]
    return build_options(args.command, {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)})
