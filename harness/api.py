"""The commands as Python functions, for notebooks and scripts.

    from harness import evaluate, run, report
    refs = evaluate(solutions=True, limit=4, out="runs/refs")
    print(report(refs))

Keyword arguments are the command line's options with "-" written "_" (`timeout=2`,
`n_samples=5`, `difficulty=["interview"]`): both build the same typed options
(harness/options.py: RunOptions, EvaluateOptions, ... with their defaults) through one function,
`build_options`, so they are converted and checked by the same rules; `run` and `generate` also take a model and tokenizer you already loaded. Results
go to a run folder exactly as with the command line (`out=`: the same folder resumes).
Mistakes in the arguments are `data.errors.InputError`s (one-line messages); nothing is printed except progress bars
and log records (configure `logging` to see those).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.options import CompareOptions, Options, ReportOptions, build_options

if TYPE_CHECKING:
    from harness.storage import RunFolder


def evaluate(**options: Any) -> "RunFolder":
    """`apps-eval evaluate`: one of solutions=True, generations=FILE or run=DIR, plus its options."""
    from harness.cli import execute
    from harness.storage import load_run

    return load_run(execute(build_options("evaluate", options)))


def run(model: Any = None, tokenizer: Any = None, **options: Any) -> "RunFolder":
    """`apps-eval run`: generate, judge, summarize. `model`: a model object (with its
    `tokenizer`), or a name/folder as for --model, or None for the embedded default model."""
    from harness.cli import execute
    from harness.storage import load_run

    with _restoring(model, tokenizer):
        args, loaded = _with_model("run", model, tokenizer, options)
        return load_run(execute(args, loaded))


def generate(model: Any = None, tokenizer: Any = None, **options: Any) -> Path:
    """`apps-eval generate`: writes generations.jsonl; returns the run folder."""
    from harness.cli import execute

    with _restoring(model, tokenizer):
        args, loaded = _with_model("generate", model, tokenizer, options)
        return execute(args, loaded)


def report(run_folder: "RunFolder | str | Path", **options: Any) -> str | bytes:
    """`apps-eval report`: the tables of a run as text (bytes for the figures png, svg, pdf), also written to output=FILE."""
    return _rendered(build_options("report", {**options, "run_dir": Path(getattr(run_folder, "path", run_folder))}))


def compare(*run_folders: "RunFolder | str | Path", **options: Any) -> str | bytes:
    """`apps-eval compare`: side-by-side tables of two or more runs, also written to output=FILE."""
    return _rendered(build_options("compare", {**options, "run_dirs": [Path(getattr(r, "path", r)) for r in run_folders]}))


def _rendered(args: ReportOptions | CompareOptions) -> str | bytes:
    from harness.cli import emit, output_format, report_content

    args = replace(args, format=output_format(args.format, args.output))
    content = report_content(args)
    if args.output is not None:
        emit(content, args.output, args.format)
    return content


def _with_model(command: str, model: Any, tokenizer: Any, options: dict[str, Any]):
    if model is None or isinstance(model, (str, Path)):
        if tokenizer is not None:
            raise TypeError("a tokenizer goes with a model object, not with a model name")
        return build_options(command, {**options, "model": None if model is None else str(model)}), None
    if tokenizer is None:
        raise TypeError("pass the model's tokenizer too: run(model, tokenizer, ...)")
    from harness.generation.model_loading import from_objects

    from harness.config import ConfigError

    name = options.pop("model_name", None)
    loaded = from_objects(model, tokenizer, name)
    asked = options.get("dtype", "auto")
    if asked not in ("auto", loaded.resolved["dtype"]):  # a model object keeps its dtype
        raise ConfigError(f"{command}(dtype={asked!r}): the model object passed in is {loaded.resolved['dtype']} and keeps "
                          f"its dtype; convert it first (model.to(torch.{asked})) or leave dtype out")
    return build_options(command, {**options, "model": loaded.resolved["model"]}), loaded


class _restoring:
    """Give a caller's model and tokenizer back with their own generation settings and padding side."""

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.objects = (model, tokenizer) if hasattr(model, "generation_config") and tokenizer is not None else None

    def __enter__(self) -> None:
        if self.objects is not None:
            model, tokenizer = self.objects
            self.saved = (model.generation_config, tokenizer.padding_side, tokenizer.pad_token)

    def __exit__(self, *exc: object) -> None:
        if self.objects is not None:
            model, tokenizer = self.objects
            model.generation_config, tokenizer.padding_side, tokenizer.pad_token = self.saved
