"""Command line: argparse (built from harness/options.py) -> typed options -> typed configs -> pipeline.
The only place that configures logging."""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from data.problem import ProblemFormatError
from sandbox.records import Limits, SandboxMode
from sandbox import SandboxUnavailable

from harness.config import ClusterConfig, DataConfig, ExecutionConfig, GenerationConfig
from harness.errors import ConfigError, InputError
from harness.reporting.escaping import visible_controls
from harness.options import (
    BINARY_FORMATS, COMMAND_OPTIONS, REPORT_FORMATS, ClusterOptions, CompareOptions, DataOptions, EvaluateOptions, ExecutionOptions,
    GenerateOptions, GenerationOptions, JudgingClusterOptions, Options, ReportOptions, RunOptions, add_arguments, from_namespace,
)

log = logging.getLogger("apps-eval")

COMMANDS = ("run", "generate", "evaluate", "report", "compare")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the option, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


EXAMPLES = {
    "run": """examples:
  apps-eval run --limit 4                                    # the default model on 4 sample problems
  apps-eval run --model ./my-checkpoint --n-samples 5 --temperature 0.6 --out runs/mine
  apps-eval run --model org/name --dataset codeparrot/apps --split test --difficulty interview""",
    "generate": """examples:
  apps-eval generate --model ./my-checkpoint --out runs/gen      # then: apps-eval evaluate --run runs/gen""",
    "evaluate": """examples:
  apps-eval evaluate --solutions --max-solutions 5 --out runs/refs   # the dataset's reference solutions
  apps-eval evaluate --generations programs.jsonl --out runs/mine     # any accepted programs file (below)
  apps-eval evaluate --run runs/gen --timeout 10                      # the programs of a `generate` run
  apps-eval evaluate --run runs/a --out runs/a-t10 --timeout 10       # same programs, new limits, new folder
  apps-eval evaluate --run runs/a --rejudge --timeout 10              # in place; old results kept

programs files (--generations; the shape is detected from the content):
  apps-eval JSONL: {"problem_id", "sample_index"?, "code"} per line, or a JSON array of such rows;
  the APPS repository's {"<index>": [code, ...]} (index = position in the dataset);
  bigcode-evaluation-harness's [[code, ...], ...] in dataset order;
  EvalPlus-style JSONL {"task_id", "solution" | "completion"}.
  A fenced ``` block in a program is replaced by its content.""",
    "report": """examples:
  apps-eval report runs/mine                       # Markdown to stdout
  apps-eval report runs/mine --label Mine --output table.tex     # booktabs; the format follows the name
  apps-eval report runs/mine --output figure.pdf                 # also .svg, .png; pass@k curve when n > 1
  apps-eval report runs/mine --metrics strict,pass@1,pass@10,copy_rate --notes short
  apps-eval report runs/mine --valid-only runs/refs   # only problems whose reference solutions pass""",
    "compare": """examples:
  apps-eval compare runs/a runs/b --details
  apps-eval compare runs/a runs/b --output delta.svg            # vector; warnings printed under the bars
  apps-eval compare --label Base=runs/a --label Tuned=runs/b --label Big=runs/c --table runs --format tex""",
}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; every option's default shown unless it is None/False or already said."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        unset = default is None or default is False or default == [] or default == () or default == argparse.SUPPRESS
        if "default" in text or unset or not action.option_strings:
            return text
        shown = ", ".join(default) if isinstance(default, (list, tuple)) else default
        return f"{text} (default: {shown})" if text else f"default: {shown}"


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("apps-eval")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _add_verbose(p: argparse.ArgumentParser, top_level: bool = False) -> None:
    """-v/--verbose on the top parser and every command, so it works anywhere on the line."""
    p.add_argument(
        "-v", "--verbose", action="store_true", default=False if top_level else argparse.SUPPRESS,
        help="debug logging and tracebacks",
    )


def _command(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES.get(name), formatter_class=_HelpFormatter)
    _add_verbose(p)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="apps-eval", description="Generate, judge and report APPS programs.", formatter_class=_HelpFormatter,
        epilog="Run `apps-eval COMMAND --help` for a command's options, defaults and examples. "
        "Interface reference: docs/interface.md.",
    )
    parser.add_argument("--version", action="version", version=f"apps-eval {_version()}")
    _add_verbose(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMAND_HELP.items():
        add_arguments(_command(sub, name, help_text), COMMAND_OPTIONS[name])
    return parser


COMMAND_HELP = {
    "run": "generate + evaluate + report (the main job)",
    "generate": "only generation: writes generations.jsonl into --out",
    "evaluate": "judge programs from --generations, --run or the reference --solutions",
    "report": "result tables of a run",
    "compare": "side-by-side tables of runs with deltas and paired tests (the first run is the baseline)",
}


def data_config(args: DataOptions) -> DataConfig:
    ids = tuple(x.strip() for x in (args.problems or "").split(",") if x.strip())
    return DataConfig(args.dataset, args.split, tuple(args.difficulty), args.limit, ids, args.skip_bad_rows,
                      args.sample, args.seed if args.sample else 0)


def execution_config(args: ExecutionOptions | JudgingClusterOptions) -> ExecutionConfig:
    workers = args.workers or len(os.sched_getaffinity(0))
    try:
        limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_output_bytes=args.max_output_kb * 1024,
                        wall_timeout_s=args.wall_timeout, program_cpu_s=args.program_cpu_budget,
                        program_wall_s=args.program_wall_budget)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return ExecutionConfig(limits=limits, workers=workers, sandbox=SandboxMode(args.sandbox), cluster=cluster_config(args),
                           stop_at_first_failure=args.stop_at_first_failure)


def cluster_config(args: ClusterOptions) -> ClusterConfig:
    return ClusterConfig(executor=args.executor, address=args.ray_address,
                         workers_per_node=getattr(args, "ray_workers", None), gen_cpus=args.ray_gen_cpus,
                         cpus_per_actor=getattr(args, "ray_cpus_per_actor", None))


def generation_config(args: GenerationOptions) -> GenerationConfig:
    return GenerationConfig(
        model=args.model,
        revision=args.revision,
        dtype=args.dtype,
        device=args.device,
        template=args.template,
        n_samples=args.n_samples,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        num_beams=args.num_beams,
        seed=args.seed,
        stop=tuple(args.stop) if args.stop else None,
        plan_window=args.plan_window or None,
    )


def default_out(command: str, *parts: object) -> Path:
    """Same settings -> same folder, so re-running a command resumes it."""
    text = json.dumps([repr(p) for p in parts], sort_keys=True)
    return Path("runs") / f"{command}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def emit(content: str | bytes, output: Path | None, fmt: str) -> None:
    if output is None:
        if isinstance(content, bytes):
            raise ConfigError(f"--format {fmt} writes binary data: give --output FILE")
        content = visible_controls(content)  # no terminal control sequence from any text in a report
        sys.stdout.write(content if content.endswith("\n") else content + "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            output.write_bytes(content)
        else:
            output.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--output {output}: cannot write ({exc.strerror or exc})") from None
    log.info("wrote %s", output)


def _show_run(out: Path) -> None:
    from harness.finished_run import store_report, stored_report

    text = stored_report(out)  # the run's files are as when it was last rendered: the same text
    if text is None:
        from harness.reporting.report import render_report
        from harness.storage import load_run

        text = render_report(load_run(out), "md")
        store_report(out, text)
    emit(text, None, "md")
    log.info("run folder: %s", out)


def output_format(fmt: str | None, output: Path | None) -> str:
    """--format, else the --output name's extension, else md; a known extension that says otherwise is an error."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    by_name = suffix if suffix in REPORT_FORMATS else None
    if fmt is not None and by_name is not None and by_name != fmt:
        raise ConfigError(f"--format {fmt} but --output {output} names {by_name}: make them agree (or leave --format out)")
    return fmt or by_name or "md"


def report_content(args: ReportOptions | CompareOptions) -> str | bytes:
    """What `report` prints (or `compare`, for args.command == "compare"): text, or figure bytes."""
    from harness.reporting.partial import load_run_so_far
    from harness.reporting.validity import load_mask

    mask = load_mask(args.valid_only) if args.valid_only else None
    if args.command == "report":
        from harness.reporting.report import render_report

        return render_report(load_run_so_far(args.run_dir), args.format, valid_mask=mask, details=args.details,
                             metrics=args.metrics, notes=args.notes, label=args.label)
    from harness.reporting.comparison import render_comparison

    dirs, labels = compare_runs(args.run_dirs, args.label)
    runs = [load_run_so_far(d) for d in dirs]
    try:
        return render_comparison(runs, args.format, valid_mask=mask, details=args.details, labels=labels, table=args.table,
                                 metrics=args.metrics, notes=args.notes)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise ConfigError(str(exc)) from None


def compare_runs(run_dirs: Sequence[Path], label_args: Sequence[str]) -> tuple[list[Path], list[str | None]]:
    """The run folders of `compare` in order, with their --label names (None: the folder name)."""
    dirs = list(run_dirs)
    names: dict[Path, str] = {}
    for spec in label_args:
        name, sep, folder = spec.partition("=")
        if not sep or not name.strip() or not folder:
            raise ConfigError(f"--label {spec!r}: expected NAME=DIR")
        path = Path(folder)
        key = next((d for d in dirs if d.resolve() == path.resolve()), None)
        if key is None:
            dirs.append(path)
            key = path
        if key in names:
            raise ConfigError(f"--label {spec!r}: {folder} already has the label {names[key]!r}")
        names[key] = name.strip()
    if len(dirs) < 2:
        raise ConfigError("compare needs at least two run folders")
    return dirs, [names.get(d) for d in dirs]


def _report(args: ReportOptions | CompareOptions) -> None:
    args = replace(args, format=output_format(args.format, args.output))
    emit(report_content(args), args.output, args.format)



def _dispatch(args: Options, argv: tuple[str, ...]) -> None:
    if isinstance(args, (ReportOptions, CompareOptions)):
        return _report(args)
    out = execute(args, command_line=argv)
    if args.command != "generate":
        _show_run(out)
    return None


def execute(args: RunOptions | GenerateOptions | EvaluateOptions, loaded: object = None, command_line: Sequence[str] = ()) -> Path:
    """Run `generate`, `run` or `evaluate` with these options; returns the run folder. `loaded`: a
    LoadedModel the caller already has (the Python API) for the commands that generate;
    `command_line`: the CLI arguments, recorded in the run."""
    from harness import pipeline

    data_cfg = data_config(args)
    if args.command == "generate":
        gen = generation_config(args)
        out = args.out or default_out("generate", data_cfg, gen)
        count = pipeline.generate(data_cfg, gen, out, loaded, command_line=command_line, cluster=cluster_config(args))
        log.info("%d programs in %s", count, out / "generations.jsonl")
        return out
    execution = execution_config(args)
    if args.command == "run":
        gen = generation_config(args)
        out = args.out or default_out("run", data_cfg, gen, execution.limits,
                                      *(["stop-at-first-failure"] if execution.stop_at_first_failure else []))
        pipeline.run(data_cfg, gen, execution, out, loaded, command_line=command_line)
    elif args.run is not None:
        out = args.out or args.run
        given = data_cfg if data_cfg != DataConfig() else None  # None: the dataset DIR recorded
        pipeline.evaluate_run_folder(args.run, execution, out, data_cfg=given, rejudge=args.rejudge, command_line=command_line)
    else:
        if args.rejudge:
            raise ConfigError("--rejudge needs --run DIR")
        if args.only_given_problems and not args.generations:
            raise ConfigError("--only-given-problems needs --generations FILE")
        source = pipeline.ProgramSource(args.solutions, args.max_solutions, args.generations)
        out = args.out or default_out("evaluate", data_cfg, source, execution.limits, *([True] if args.only_given_problems else []),
                                      *(["stop-at-first-failure"] if execution.stop_at_first_failure else []))
        pipeline.evaluate(data_cfg, execution, source, out, only_given_problems=args.only_given_problems, command_line=command_line)
    return out


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class _PrintedOnce(logging.Filter):
    """Drop records a library logger has already printed through its own handler (huggingface_hub has one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger is not logging.root:
            if logger.handlers:
                return False
            if not logger.propagate:
                break
            logger = logger.parent
        return True


def configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("apps-eval: %(message)s"))
    handler.addFilter(_PrintedOnce())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])


def _error_line(exc: InputError) -> str:
    line = f"apps-eval: error: {_one_line(exc)}"
    if isinstance(exc, ProblemFormatError):
        line += " (fix the row, or pass --skip-bad-rows to leave such rows out, listed in the run)"
    return line


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's or `kill`'s stop): unwound exactly like Ctrl-C, so finished work is saved."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


class _SigtermAsInterrupt:
    """While a command runs, SIGTERM raises Terminated in the main thread; the previous handler comes back after."""

    def __enter__(self) -> None:
        try:
            self.previous = signal.signal(signal.SIGTERM, _raise_terminated)
        except ValueError:  # not the main thread: signals cannot be handled here
            self.previous = None

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


INTERRUPTED_STATUS = 128 + signal.SIGINT
TERMINATED_STATUS = 128 + signal.SIGTERM


def main(argv: Sequence[str] | None = None) -> int:
    argv = tuple(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        with _SigtermAsInterrupt():
            _dispatch(from_namespace(args), argv)
    except InputError as exc:
        print(_error_line(exc), file=sys.stderr)
        return 1
    except SandboxUnavailable as exc:
        print(f"apps-eval: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C or SIGTERM must not add a traceback
            signal.signal(sig, signal.SIG_IGN)
        what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"apps-eval: {what}; finished work is saved: rerun the same command (same --out) to resume", file=sys.stderr)
        return TERMINATED_STATUS if isinstance(exc, Terminated) else INTERRUPTED_STATUS
    except Exception as exc:
        if args.verbose:
            raise
        print(f"apps-eval: internal error: {_one_line(exc)[:500]} (rerun with -v for the traceback)", file=sys.stderr)
        return 1
    return 0
