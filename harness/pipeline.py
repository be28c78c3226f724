"""The commands, as straight lines: load -> (generate) -> evaluate -> summarize -> write."""
from __future__ import annotations

import functools
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from tqdm import tqdm

from data import Dataset, load_dataset, problem_order
from data.problem import Problem
from sandbox import Executor, Verdict

from harness.config import ConfigError, DataConfig, ExecutionConfig, GenerationConfig
from harness.evaluation import Evaluation
from harness.program_files import read_programs_file
from harness.reporting.metrics import summarize
from harness.records import Candidate, RunSummary, SampleResult
from harness.run_folder import COMPARATORS, open_run_folder, update_config
from harness.storage import (
    CONFIG_FILE,
    GENERATIONS_FILE,
    RESULTS_FILE,
    SUMMARY_FILE,
    VALIDITY_FILE,
    JsonlAppender,
    RunFolderError,
    read_candidates,
    read_json,
    read_results,
    write_json_atomic,
)

if TYPE_CHECKING:
    from harness.generation.model_loading import LoadedModel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProgramSource:
    """Where `evaluate` takes its programs from: exactly one of the three."""

    solutions: bool = False
    max_solutions: int | None = None
    generations: Path | None = None

    @property
    def name(self) -> str:
        return "solutions" if self.solutions else "generations-file"


def _dataset_record(cfg: DataConfig, dataset: Dataset) -> dict:
    return {
        **cfg.to_json(),
        "fingerprint": dataset.fingerprint,
        "problems": len(dataset.problems),
        "skipped": {s.problem_id: s.reason for s in dataset.skipped},
    }


def _execution_record(cfg: ExecutionConfig) -> dict:
    return cfg.to_json()


def _load(cfg: DataConfig) -> Dataset:
    dataset = load_dataset(
        cfg.spec, split=cfg.split, difficulties=cfg.difficulties, limit=cfg.limit, problem_ids=cfg.problem_ids,
        skip_bad_rows=cfg.skip_bad_rows,
    )
    for skipped in dataset.skipped:
        log.warning("problem %s excluded: %s", skipped.problem_id, skipped.reason)
    if not dataset.problems:
        raise ConfigError(f"no problems with tests selected from {dataset.source}")
    log.info("dataset %s: %d problems (fingerprint %s)", dataset.source, len(dataset.problems), dataset.fingerprint[:12])
    return dataset


def _filtered(cfg: DataConfig) -> bool:
    return bool(cfg.split or cfg.difficulties or cfg.limit or cfg.problem_ids)


def reference_candidates(dataset: Dataset, max_solutions: int | None) -> list[Candidate]:
    out = []
    for problem in dataset.problems:
        for index, code in enumerate(problem.solutions[:max_solutions]):
            out.append(Candidate(problem.problem_id, index, code))
    return out


def _select_candidates(candidates: list[Candidate], dataset: Dataset, cfg: DataConfig, path: Path) -> list[Candidate]:
    """Keep candidates of selected problems; an id unknown to an unfiltered dataset is an error."""
    known = dataset.by_id()
    skipped = {s.problem_id for s in dataset.skipped}
    kept, outside = [], 0
    for cand in candidates:
        if cand.problem_id in known:
            kept.append(cand)
        elif cand.problem_id in skipped or _filtered(cfg):
            outside += 1
        else:
            example = next(iter(known), None)
            raise RunFolderError(
                f"{path}: program for unknown problem {cand.problem_id!r} (not in {dataset.source}"
                + (f"; its ids look like {example!r})" if example else ")")
            )
    if outside:
        log.warning("%d programs belong to problems outside the selection or without tests; not judged", outside)
    return kept


class _ResultWriter:
    """Appends results and advances the progress bar; called under the evaluation lock."""

    def __init__(self, out: Path, total: int, initial: int) -> None:
        self.appender = JsonlAppender(out / RESULTS_FILE)
        self.bar = tqdm(total=total, initial=initial, unit="prog", desc="judging", dynamic_ncols=True, file=sys.stderr)

    def __call__(self, result: SampleResult) -> None:
        self.appender.append(result.to_json())
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
        self.appender.close()


def _judge(out: Path, dataset: Dataset, execution: ExecutionConfig, batches: Iterable[Sequence[Candidate]], total: int) -> None:
    """Judge everything not already in results.jsonl; batches may still be arriving (run)."""
    done = {r.key for r in read_results(out / RESULTS_FILE) if r.verdict is not Verdict.HARNESS_ERROR}
    writer = _ResultWriter(out, total, len(done))
    workers = max(1, min(execution.workers, total - len(done)))  # an idle worker is only a cost
    try:
        with Executor(execution.limits, workers, execution.sandbox) as executor:
            update_config(out, isolation=executor.isolation, sandbox=executor.sandbox.to_json())
            evaluation = Evaluation(executor, dataset.by_id(), writer)
            try:
                for batch in batches:
                    evaluation.submit_all(c for c in batch if (c.problem_id, c.sample_index) not in done)
                evaluation.wait()
            except BaseException:
                evaluation.stop()
                raise
    finally:
        writer.close()


def _finish(out: Path, dataset: Dataset, keys: set[tuple[str, int]], truncated: int = 0) -> RunSummary:
    results = [r for r in read_results(out / RESULTS_FILE) if r.key in keys]
    missing = len(keys) - len(results)
    if missing:
        raise RunFolderError(f"{out / RESULTS_FILE}: {missing} programs have no result; rerun to resume")
    excluded = {s.problem_id: s.reason for s in dataset.skipped}
    summary = summarize(sorted(results, key=lambda r: r.key), excluded, truncated)
    write_json_atomic(out / SUMMARY_FILE, summary.to_json())
    return summary


def evaluate(data_cfg: DataConfig, execution: ExecutionConfig, source: ProgramSource, out: Path) -> RunSummary:
    dataset = _load(data_cfg)
    programs_format = None
    if source.solutions:
        candidates = reference_candidates(dataset, source.max_solutions)
    else:
        assert source.generations is not None
        programs = read_programs_file(source.generations)
        programs_format = programs.format.value
        log.info("programs file %s: %s format, %d programs", source.generations, programs_format, len(programs.rows))
        order = functools.partial(problem_order, data_cfg.spec, split=data_cfg.split)  # read for positional files only
        candidates = _select_candidates(programs.candidates(order), dataset, data_cfg, source.generations)
    if not candidates:
        raise ConfigError("no programs to judge in the selected problems")
    record = {
        "command": "evaluate",
        "source": source.name,
        "programs": str(source.generations) if source.generations else None,
        "programs_format": programs_format,
        "dataset": _dataset_record(data_cfg, dataset),
        "generation": None,
        "execution": _execution_record(execution),
        "comparator": COMPARATORS,
    }
    open_run_folder(out, record)
    _judge(out, dataset, execution, [candidates], len(candidates))
    summary = _finish(out, dataset, {(c.problem_id, c.sample_index) for c in candidates})
    if source.solutions:
        _write_validity(out, dataset)
    return summary


def _write_validity(out: Path, dataset: Dataset) -> None:
    from harness.reporting.validity import validity_from_results, write_validity

    results = read_results(out / RESULTS_FILE)
    mask = validity_from_results(results, {s.problem_id: s.reason for s in dataset.skipped})
    write_validity(out / VALIDITY_FILE, mask)


def _generation_record(gen: GenerationConfig) -> dict:
    from harness.generation.prompting import template_text

    return {**gen.to_json(), "template_text": template_text(gen.template)}


def _generate_batches(
    out: Path, problems: Sequence[Problem], gen: GenerationConfig, preloaded: "LoadedModel | None" = None
) -> Iterator[list[Candidate]]:
    """Generate what generations.jsonl lacks, appending each batch as it finishes.

    Yields every candidate of the run: first those already on file, then new batches.
    """
    from harness.generation.generator import Generator
    from harness.generation.model_loading import load_model

    path = out / GENERATIONS_FILE
    existing = read_candidates(path, repair=True) if path.exists() else []
    wanted = {(p.problem_id, i) for p in problems for i in range(gen.n_samples)}
    existing = [c for c in existing if (c.problem_id, c.sample_index) in wanted]
    if existing:
        yield existing
    done = {(c.problem_id, c.sample_index) for c in existing}
    if done >= wanted:
        return
    loaded = preloaded or load_model(gen)
    update_config(out, model=loaded.resolved)
    with JsonlAppender(path) as appender:
        for batch in Generator(loaded, gen).generate(problems, done):
            for cand in batch:
                appender.append(cand.to_json())
            yield batch


def _open_generation_run(command: str, data_cfg: DataConfig, gen: GenerationConfig, execution: ExecutionConfig | None, out: Path) -> Dataset:
    dataset = _load(data_cfg)
    record = {
        "command": command,
        "source": "generated",
        "dataset": _dataset_record(data_cfg, dataset),
        "generation": _generation_record(gen),
        "execution": _execution_record(execution) if execution else None,
        "comparator": COMPARATORS if execution else None,
    }
    open_run_folder(out, record)
    return dataset


def generate(data_cfg: DataConfig, gen: GenerationConfig, out: Path, loaded: "LoadedModel | None" = None) -> int:
    """`loaded`: a model the caller already loaded (the Python API), instead of loading gen.model."""
    dataset = _open_generation_run("generate", data_cfg, gen, None, out)
    return sum(len(batch) for batch in _generate_batches(out, dataset.problems, gen, loaded))


def run(
    data_cfg: DataConfig, gen: GenerationConfig, execution: ExecutionConfig, out: Path, loaded: "LoadedModel | None" = None
) -> RunSummary:
    """Generate and judge at once: each finished batch goes to the executor while the next is generated.

    `loaded`: a model the caller already loaded (the Python API), instead of loading gen.model."""
    dataset = _open_generation_run("run", data_cfg, gen, execution, out)
    total = len(dataset.problems) * gen.n_samples
    seen: list[Candidate] = []

    def batches() -> Iterator[list[Candidate]]:
        for batch in _generate_batches(out, dataset.problems, gen, loaded):
            seen.extend(batch)
            yield batch

    _judge(out, dataset, execution, batches(), total)
    truncated = sum(c.prompt_truncated for c in seen)
    return _finish(out, dataset, {(c.problem_id, c.sample_index) for c in seen}, truncated)


def evaluate_run_folder(run_dir: Path, data_cfg: DataConfig, execution: ExecutionConfig, out: Path) -> RunSummary:
    """`evaluate --run DIR`: judge the generations.jsonl of an earlier `generate`, by default in DIR itself."""
    path = run_dir / GENERATIONS_FILE
    if not path.is_file():
        raise RunFolderError(f"{run_dir}: no {GENERATIONS_FILE} in this run folder")
    if out.resolve() != run_dir.resolve():
        return evaluate(data_cfg, execution, ProgramSource(generations=path), out)
    dataset = _load(data_cfg)
    stored = read_json(out / CONFIG_FILE)
    if (stored.get("dataset") or {}).get("fingerprint") != dataset.fingerprint:
        raise ConfigError(f"{run_dir}: its programs were generated for another problem set; pass the same --dataset and filters")
    if stored.get("execution") is None:
        update_config(out, execution=_execution_record(execution), comparator=COMPARATORS)
    else:
        open_run_folder(out, {**stored, "execution": _execution_record(execution), "comparator": COMPARATORS})
    candidates = _select_candidates(read_candidates(path, repair=True), dataset, data_cfg, path)
    _judge(out, dataset, execution, [candidates], len(candidates))
    truncated = sum(c.prompt_truncated for c in candidates)
    return _finish(out, dataset, {(c.problem_id, c.sample_index) for c in candidates}, truncated)
