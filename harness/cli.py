"""Command line: argparse -> typed configs -> pipeline. The only place that configures logging."""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from data.problem import DataError
from sandbox.records import Limits

from harness.config import DEFAULT_STOP, ConfigError, DataConfig, ExecutionConfig, GenerationConfig

log = logging.getLogger("apps-eval")

COMMANDS = ("run", "generate", "evaluate", "report", "compare")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the option, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _add_data_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default=None, help="bundled sample (default), a .jsonl/.parquet file, an APPS folder, or a hub id")
    g.add_argument("--split", default=None, help="train or test")
    g.add_argument("--difficulty", action="append", default=[], help="introductory, interview or competition (repeatable)")
    g.add_argument("--limit", type=_positive_int, default=None, help="first N problems after the other filters")
    g.add_argument("--problems", default=None, help="comma-separated problem ids")


def _add_execution_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("execution")
    g.add_argument("--workers", type=_positive_int, default=None, help="parallel programs (default: number of cores)")
    g.add_argument("--timeout", type=_positive_float, default=4.0, help="wall-clock seconds per test (default 4)")
    g.add_argument("--memory-mb", type=_positive_int, default=2048, help="address-space limit per program (default 2048)")
    g.add_argument("--max-output-kb", type=_positive_int, default=4096, help="stdout cap per test (default 4096 KiB)")


def _add_generation_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("generation")
    g.add_argument("--model", default=None, help="hub id or local folder (default: the embedded offline SmolLM2-135M)")
    g.add_argument("--revision", default=None)
    g.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    g.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    g.add_argument("--template", default="apps", help="apps, apps-train, or a template text with {question} {starter_code} {format}")
    g.add_argument("--n-samples", type=_positive_int, default=1)
    g.add_argument("--batch-size", type=_positive_int, default=16)
    g.add_argument("--max-new-tokens", type=_positive_int, default=512)
    g.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--num-beams", type=_positive_int, default=1)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--stop", action="append", default=None, help="stop string (repeatable; default: \\nQUESTION \\nANSWER \\n---)")


def _add_out(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<command>-<settings hash>); the same --out resumes")


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", default="md", choices=["md", "csv", "json", "tex", "png"])
    p.add_argument("--output", type=Path, default=None, help="write to FILE instead of stdout (required for png)")
    p.add_argument("--valid-only", default=None, metavar="MASK", help="validity.json (or a run folder holding one): score only valid problems")
    p.add_argument("--details", action="store_true", help="list per-problem details")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="apps-eval", description="Generate, judge and report APPS programs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("run", help="generate + evaluate + report (the main job)")
    _add_data_options(p), _add_generation_options(p), _add_execution_options(p), _add_out(p)

    p = sub.add_parser("generate", help="only generation: writes generations.jsonl into --out")
    _add_data_options(p), _add_generation_options(p), _add_out(p)

    p = sub.add_parser("evaluate", help="judge programs from --generations, --run or the reference --solutions")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--solutions", action="store_true", help="judge the dataset's own reference solutions")
    src.add_argument("--generations", type=Path, help="JSONL of {problem_id, sample_index?, code}")
    src.add_argument("--run", type=Path, help="a run folder made by `generate`")
    p.add_argument("--max-solutions", type=_positive_int, default=None, help="with --solutions: first K per problem")
    _add_data_options(p), _add_execution_options(p), _add_out(p)

    p = sub.add_parser("report", help="result tables of a run")
    p.add_argument("run_dir", type=Path)
    _add_report_options(p)

    p = sub.add_parser("compare", help="side-by-side tables of runs with deltas and paired tests")
    p.add_argument("run_dirs", type=Path, nargs="+")
    _add_report_options(p)
    return parser


def data_config(args: argparse.Namespace) -> DataConfig:
    ids = tuple(x.strip() for x in (args.problems or "").split(",") if x.strip())
    return DataConfig(args.dataset, args.split, tuple(args.difficulty), args.limit, ids)


def execution_config(args: argparse.Namespace) -> ExecutionConfig:
    workers = args.workers or len(os.sched_getaffinity(0))
    try:
        limits = Limits(timeout_s=args.timeout, memory_mb=args.memory_mb, max_output_bytes=args.max_output_kb * 1024)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return ExecutionConfig(limits=limits, workers=workers)


def generation_config(args: argparse.Namespace) -> GenerationConfig:
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
        stop=tuple(args.stop) if args.stop else DEFAULT_STOP,
    )


def default_out(command: str, *parts: object) -> Path:
    """Same settings -> same folder, so re-running a command resumes it."""
    text = json.dumps([repr(p) for p in parts], sort_keys=True)
    return Path("runs") / f"{command}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _emit(content: str | bytes, output: Path | None, fmt: str) -> None:
    if output is None:
        if isinstance(content, bytes):
            raise ConfigError(f"--format {fmt} writes binary data: give --output FILE")
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
    from harness.reporting.report import render_report
    from harness.storage import load_run

    _emit(render_report(load_run(out), "md"), None, "md")
    log.info("run folder: %s", out)


def _report(args: argparse.Namespace) -> None:
    from harness.reporting.report import render_report
    from harness.storage import load_run
    from harness.reporting.validity import load_mask

    mask = load_mask(args.valid_only) if args.valid_only else None
    _emit(render_report(load_run(args.run_dir), args.format, valid_mask=mask, details=args.details), args.output, args.format)


def _compare(args: argparse.Namespace) -> None:
    from harness.reporting.comparison import render_comparison
    from harness.storage import load_run

    from harness.reporting.validity import load_mask

    if len(args.run_dirs) < 2:
        raise ConfigError("compare needs at least two run folders")
    mask = load_mask(args.valid_only) if args.valid_only else None
    runs = [load_run(d) for d in args.run_dirs]
    _emit(render_comparison(runs, args.format, valid_mask=mask, details=args.details), args.output, args.format)


def _dispatch(args: argparse.Namespace) -> None:
    from harness import pipeline

    if args.command == "report":
        return _report(args)
    if args.command == "compare":
        return _compare(args)
    data_cfg = data_config(args)
    if args.command == "generate":
        gen = generation_config(args)
        out = args.out or default_out("generate", data_cfg, gen)
        count = pipeline.generate(data_cfg, gen, out)
        log.info("%d programs in %s", count, out / "generations.jsonl")
        return None
    execution = execution_config(args)
    if args.command == "run":
        gen = generation_config(args)
        out = args.out or default_out("run", data_cfg, gen, execution.limits)
        pipeline.run(data_cfg, gen, execution, out)
    elif args.run is not None:
        out = args.out or args.run
        pipeline.evaluate_run_folder(args.run, data_cfg, execution, out)
    else:
        source = pipeline.ProgramSource(args.solutions, args.max_solutions, args.generations)
        out = args.out or default_out("evaluate", data_cfg, source, execution.limits)
        pipeline.evaluate(data_cfg, execution, source, out)
    _show_run(out)
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="apps-eval: %(message)s",
        stream=sys.stderr,
    )
    try:
        _dispatch(args)
    except DataError as exc:
        print(f"apps-eval: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("apps-eval: interrupted; finished work is saved: rerun the same command (same --out) to resume", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"apps-eval: internal error: {_one_line(exc)[:500]} (rerun with -v for the traceback)", file=sys.stderr)
        return 1
    return 0
