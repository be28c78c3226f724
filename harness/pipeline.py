"""The commands, as straight lines: load -> (generate) -> evaluate -> summarize -> write."""
from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from data import Dataset, fingerprint, load_dataset, problem_order
from data.sampling import stratified_sample
from data.problem import Problem
from sandbox import Verdict

from harness.config import ClusterConfig, DataConfig, ExecutionConfig, GenerationConfig
from harness.errors import ConfigError, RunFolderError
from harness.evaluation import Evaluation
from harness.finished_run import inputs_key, is_finished, write_stamp
from harness.execution import ExecutorBackend, LazyBackend, open_backend
from harness.execution.records import ExecutorRecord
from harness.program_files import read_programs_file
from harness.progress import BusyClock, Progress
from harness.record_codec import encode
from harness.reporting.memorization import ReferenceIndex, ReferenceMatch
from harness.timings import StageTimer, log_timings
from harness.reporting.metrics import summarize
from harness.records import Candidate, RunSummary, SampleResult
from harness.run_folder import OpenRunFolder, open_run_folder, refusal
from harness.run_record import (
    Command, DatasetRecord, IsolationRecord, ModelRecord, ProgramSource as SourceKind, ProgramsRecord, PromptRecord, RunRecord,
)
from harness.storage import (
    CONFIG_FILE,
    GENERATIONS_FILE,
    RESULTS_FILE,
    SUMMARY_FILE,
    VALIDITY_FILE,
    JsonlAppender,
    read_candidates,
    read_record,
    read_results,
    read_summary,
    write_json_atomic,
)

if TYPE_CHECKING:
    from harness.generation.model_loading import LoadedModel
    from harness.generation.prompting import PromptTemplate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProgramSource:
    """Where `evaluate` takes its programs from: the reference solutions or a generations file."""

    solutions: bool = False
    max_solutions: int | None = None
    generations: Path | None = None

    def record(self, only_given_problems: bool = False, file_format: str | None = None) -> ProgramsRecord:
        if self.solutions:
            return ProgramsRecord(SourceKind.SOLUTIONS, max_solutions=self.max_solutions)
        return ProgramsRecord(SourceKind.GENERATIONS_FILE, path=str(self.generations), format=file_format,
                              only_given_problems=only_given_problems)


def _load(cfg: DataConfig) -> Dataset:
    dataset = load_dataset(
        cfg.spec, split=cfg.split, difficulties=cfg.difficulties, limit=cfg.limit, problem_ids=cfg.problem_ids,
        skip_bad_rows=cfg.skip_bad_rows,
    )
    if cfg.sample is not None:
        chosen = stratified_sample(dataset.problems, cfg.sample, cfg.sample_seed)
        dataset = replace(dataset, problems=tuple(chosen), fingerprint=fingerprint(chosen))
    for skipped in dataset.skipped:
        log.warning("problem %s excluded: %s", skipped.problem_id, skipped.reason)
    if not dataset.problems:
        raise ConfigError(f"no problems with tests selected from {dataset.source}")
    log.info("dataset %s: %d problems (fingerprint %s)", dataset.source, len(dataset.problems), dataset.fingerprint[:12])
    return dataset


def _filtered(cfg: DataConfig) -> bool:
    return bool(cfg.split or cfg.difficulties or cfg.limit or cfg.problem_ids or cfg.sample)


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


def _missing_problems(dataset: Dataset, candidates: Sequence[Candidate], only_given: bool, path: Path) -> dict[str, str]:
    """Selected problems without any program: scored as unsolved (problem_id -> difficulty), unless only_given."""
    given = {c.problem_id for c in candidates}
    missing = {p.problem_id: p.difficulty.value for p in dataset.problems if p.problem_id not in given}
    if not missing:
        return {}
    if only_given:
        log.warning("%d selected problems have no program in %s; left out (--only-given-problems)", len(missing), path)
        return {}
    log.warning("%d selected problems have no program in %s; they count as unsolved (see summary.json run.missing_problems; "
                "--only-given-problems leaves them out)", len(missing), path)
    return missing


class _ResultWriter:
    """Appends results and advances the judging bar; called under the evaluation lock.

    The bar appears when the first program arrives; its ETA counts judging time only (clock).
    """

    def __init__(self, out: Path, total: int, initial: int, clock: BusyClock) -> None:
        self.appender = JsonlAppender(out / RESULTS_FILE)
        self.matches: dict[tuple[str, int], ReferenceMatch] = {}  # nearest reference solution, by program
        self.total, self.initial, self.clock = total, initial, clock
        self.bar: Progress | None = None
        self.first_arrival: float | None = None
        self.last_result: float | None = None
        self.programs = self.test_runs = 0

    def arrived(self, count: int) -> None:
        if count and self.bar is None:
            self.first_arrival = time.perf_counter()
            self.bar = Progress("judging", self.total, unit="program", initial=self.initial, clock=self.clock)
        self.clock.arrived(count)

    def __call__(self, result: SampleResult) -> None:
        match = self.matches.pop(result.key, None)
        if match is not None:
            result = replace(result, reference_similarity=match)
        self.appender.append(result.to_json())
        self.programs += 1
        self.test_runs += len(result.tests)
        self.last_result = time.perf_counter()
        self.clock.done(1)
        if self.bar is not None:
            self.bar.update(1, f"{self.programs / max(self.clock.seconds(), 1e-9):.2f} programs/s")

    def close(self, timer: StageTimer | None) -> None:
        if self.bar is not None:
            self.bar.close()
        self.appender.close()
        if timer is not None and self.first_arrival is not None and self.last_result is not None:
            timer.judged(self.last_result - self.first_arrival, self.clock.seconds(), self.programs, self.test_runs)


def _judge(
    folder: OpenRunFolder, dataset: Dataset, execution: ExecutionConfig, batches: Iterable[Sequence[Candidate]], total: int,
    timer: StageTimer | None = None, clock: BusyClock | None = None, references: ReferenceIndex | None = None,
) -> None:
    """Judge everything not already in results.jsonl; batches may still be arriving (run).

    `references`: each row gets its program's nearest reference solution (None: judging the references themselves)."""
    out = folder.path
    done = {r.key for r in read_results(out / RESULTS_FILE) if r.verdict is not Verdict.HARNESS_ERROR}
    writer = _ResultWriter(out, total, len(done), clock or BusyClock())
    workers = max(1, min(execution.workers, total - len(done)))  # an idle worker is only a cost
    try:
        with LazyBackend(lambda: open_backend(execution, workers), lambda b: _record_backend(folder, b)) as executor:
            evaluation = Evaluation(executor, dataset.by_id(), writer,
                                    stop_at_first_failure=execution.stop_at_first_failure)
            try:
                for batch in batches:
                    todo = [c for c in batch if (c.problem_id, c.sample_index) not in done]
                    writer.arrived(len(todo))
                    for candidate in todo:
                        match = references.match(candidate) if references is not None else None
                        if match is not None:  # set before submit, so before its result can arrive
                            writer.matches[(candidate.problem_id, candidate.sample_index)] = match
                        evaluation.submit(candidate)
                evaluation.wait()
            except BaseException:
                evaluation.stop()
                raise
    finally:
        writer.close(timer)


def _record_backend(folder: OpenRunFolder, backend: ExecutorBackend) -> None:
    """The record learns the isolation (and, on a cluster, which nodes ran): when the backend is up, and at its close."""
    folder.set_isolation(IsolationRecord.from_sandbox(backend.isolation), backend.sandbox)
    folder.set_executor(backend.record() if hasattr(backend, "record") else ExecutorRecord("local"))


def generation_threads(workers: int, judging: BusyClock) -> Callable[[], int]:
    """torch threads for generation: all cores, less the judging workers while judging has programs in hand."""
    cores = len(os.sched_getaffinity(0))

    def threads() -> int:
        busy = min(workers, judging.open_count())
        return max(1, cores - busy)

    return threads


def _finish(folder: OpenRunFolder, dataset: Dataset, candidates: Sequence[Candidate], truncated: int = 0,
            missing: dict[str, str] | None = None, timer: StageTimer | None = None, references: bool = True,
            inputs: str = "") -> RunSummary:
    """summary.json of the candidates' results; references False: no similarity to reference solutions (they are them).

    `inputs`: the key of what chose the candidates (finish.json), so that rerunning finds nothing to do at once."""
    out = folder.path
    keys = {(c.problem_id, c.sample_index) for c in candidates}
    results = [r for r in read_results(out / RESULTS_FILE) if r.key in keys]
    unjudged = len(keys) - len(results)
    if unjudged:
        raise RunFolderError(f"{out / RESULTS_FILE}: {unjudged} programs have no result; rerun to resume")
    excluded = {s.problem_id: s.reason for s in dataset.skipped}
    if references:  # rows written before results carried it (older versions) get it for the summary
        index, by_key = ReferenceIndex(dataset.by_id()), {(c.problem_id, c.sample_index): c for c in candidates}
        results = [r if r.reference_similarity is not None else replace(r, reference_similarity=index.match(by_key[r.key]))
                   for r in results]
    timings = timer.record() if timer is not None else None
    summary = summarize(sorted(results, key=lambda r: r.key), excluded, truncated, missing=missing or {},
                        only_given_problems=folder.record.programs.only_given_problems, timings=timings)
    write_json_atomic(out / SUMMARY_FILE, summary.to_json())
    folder.finish()
    write_stamp(out, inputs)
    if timings is not None:
        log_timings(timings)
    return summary


def evaluate(data_cfg: DataConfig, execution: ExecutionConfig, source: ProgramSource, out: Path,
             *, only_given_problems: bool = False, command_line: Sequence[str] = ()) -> RunSummary:
    dataset = _load(data_cfg)
    settings = RunRecord(Command.EVALUATE, source.record(only_given_problems), DatasetRecord.of(data_cfg, dataset),
                         command_line=tuple(command_line)).with_execution(execution)
    inputs = inputs_key({"identity": settings.identity(), "programs": encode(settings.programs), "data": encode(data_cfg)},
                        source.generations)
    finished = _finished_summary(out, settings, inputs)
    if finished is not None:
        return finished
    programs_format = None
    missing: dict[str, str] = {}
    if source.solutions:
        candidates = reference_candidates(dataset, source.max_solutions)
    else:
        assert source.generations is not None
        programs = read_programs_file(source.generations)
        programs_format = programs.format.value
        log.info("programs file %s: %s format, %d programs", source.generations, programs_format, len(programs.rows))
        order = functools.partial(problem_order, data_cfg.spec, split=data_cfg.split)  # read for positional files only
        candidates = _select_candidates(programs.candidates(order), dataset, data_cfg, source.generations)
        missing = _missing_problems(dataset, candidates, only_given_problems, source.generations)
    if not candidates:
        raise ConfigError("no programs to judge in the selected problems")
    record = RunRecord(Command.EVALUATE, source.record(only_given_problems, programs_format), DatasetRecord.of(data_cfg, dataset),
                       command_line=tuple(command_line)).with_execution(execution)
    with open_run_folder(out, record) as folder:
        timer = StageTimer()
        _judge(folder, dataset, execution, [candidates], len(candidates), timer,
               references=None if source.solutions else ReferenceIndex(dataset.by_id()))
        summary = _finish(folder, dataset, candidates, missing=missing, timer=timer, references=not source.solutions,
                          inputs=inputs)
        if source.solutions:
            _write_validity(out, dataset)
            write_stamp(out, inputs)
    return summary


def _finished_summary(out: Path, settings: RunRecord, inputs: str) -> RunSummary | None:
    """The summary of a run in `out` that finished with these inputs and is untouched since (nothing to do), else None."""
    if not is_finished(out, inputs):
        return None
    with open_run_folder(out, settings) as folder:  # the lock: no other command is writing there meanwhile
        if not is_finished(out, inputs):
            return None
        log.info("--out %s: this run is finished and unchanged since; nothing left to judge", folder.path)
        return read_summary(out / SUMMARY_FILE)


def _write_validity(out: Path, dataset: Dataset) -> None:
    from harness.reporting.validity import validity_from_results, write_validity

    results = read_results(out / RESULTS_FILE)
    without = [p.problem_id for p in dataset.problems if not p.solutions]
    mask = validity_from_results(results, {s.problem_id: s.reason for s in dataset.skipped}, dataset.fingerprint, without)
    write_validity(out / VALIDITY_FILE, mask)


def _record_prompt(folder: OpenRunFolder, template: "PromptTemplate", stops: tuple[str, ...]) -> None:
    """config.json "prompt": the template actually used; a resumed run must use the same one."""
    _record_prompt_record(folder, PromptRecord.of(template, stops))


def _record_prompt_record(folder: OpenRunFolder, prompt: PromptRecord) -> None:
    stored = folder.record.prompt
    if stored is not None and stored != prompt:
        raise ConfigError(
            f"--out {folder.path} holds a run generated with another prompt template ({stored.name!r}, {stored.kind!r}, "
            f"now {prompt.name!r}, {prompt.kind!r}); use another --out to start a new run"
        )
    folder.set_prompt(prompt)


def _generate_batches(folder: OpenRunFolder, problems: Sequence[Problem], gen: GenerationConfig, timings: StageTimer,
                      threads: Callable[[], int] | None = None, preloaded: "LoadedModel | None" = None,
                      cluster: ClusterConfig | None = None
                      ) -> Iterator[list[Candidate]]:
    """Generate what generations.jsonl lacks, appending each batch as it finishes.

    Yields every candidate of the run: first those already on file, then new batches.
    threads: the torch CPU threads to use from now on (asked again as generation goes).
    """
    path = folder.path / GENERATIONS_FILE
    existing = read_candidates(path, repair=True) if path.exists() else []
    wanted = {(p.problem_id, i) for p in problems for i in range(gen.n_samples)}
    existing = [c for c in existing if (c.problem_id, c.sample_index) in wanted]
    if existing:
        yield existing
    done = {(c.problem_id, c.sample_index) for c in existing}
    if done >= wanted:
        return
    with JsonlAppender(path) as appender, timings.stage("generation"):
        for batch in _new_batches(folder, problems, gen, done, preloaded, cluster, timings, threads):
            for cand in batch:
                appender.append(cand.to_json())
            yield batch


def _new_batches(folder: OpenRunFolder, problems: Sequence[Problem], gen: GenerationConfig, done: set,
                 preloaded: "LoadedModel | None", cluster: ClusterConfig | None, timings: StageTimer,
                 threads: Callable[[], int] | None) -> Iterator[list[Candidate]]:
    """The batches not in `done`: from one local model, or from model replicas on a Ray cluster."""
    def record_model(resolved: dict) -> None:
        folder.set_model(ModelRecord.from_resolved(resolved))

    if cluster is not None and cluster.ray and preloaded is None:
        from harness.execution.ray_generation import generate_on_ray

        from harness.generation.generator import GenerationStats

        timings.generation = GenerationStats()
        yield from generate_on_ray(gen, problems, done, cluster, record_model,
                                   lambda prompt: _record_prompt_record(folder, prompt), timings.generation)
        return
    from harness.generation.generator import Generator
    from harness.generation.model_loading import load_model

    with timings.stage("model_load"):
        loaded = preloaded or load_model(gen)
    record_model(loaded.resolved)
    generator = Generator(loaded, gen, threads=threads)
    _record_prompt(folder, generator.template, generator.stops)
    yield from generator.generate(problems, done)
    timings.generation = generator.stats


def _open_generation_run(command: Command, data_cfg: DataConfig, gen: GenerationConfig, execution: ExecutionConfig | None,
                         out: Path, command_line: Sequence[str]) -> tuple[Dataset, OpenRunFolder]:
    dataset = _load(data_cfg)
    record = RunRecord.for_generation(command, DatasetRecord.of(data_cfg, dataset), gen, execution, tuple(command_line))
    return dataset, open_run_folder(out, record)


def generate(data_cfg: DataConfig, gen: GenerationConfig, out: Path, loaded: "LoadedModel | None" = None,
             *, command_line: Sequence[str] = (), cluster: ClusterConfig | None = None) -> int:
    """`loaded`: a model the caller already loaded (the Python API), instead of loading gen.model.
    `cluster`: with executor ray, model replicas on a Ray cluster generate (data-parallel)."""
    dataset, folder = _open_generation_run(Command.GENERATE, data_cfg, gen, None, out, command_line)
    timer = StageTimer()
    with folder:
        count = sum(len(batch) for batch in _generate_batches(folder, dataset.problems, gen, timer, preloaded=loaded, cluster=cluster))
        folder.finish()
    log_timings(timer.record())
    return count


def run(data_cfg: DataConfig, gen: GenerationConfig, execution: ExecutionConfig, out: Path,
        loaded: "LoadedModel | None" = None, *, command_line: Sequence[str] = ()) -> RunSummary:
    """Generate and judge at once: each finished batch goes to the executor while the next is generated.

    `loaded`: a model the caller already loaded (the Python API), instead of loading gen.model."""
    dataset, folder = _open_generation_run(Command.RUN, data_cfg, gen, execution, out, command_line)
    total = len(dataset.problems) * gen.n_samples
    seen: list[Candidate] = []
    timer = StageTimer()
    clock = BusyClock()
    threads = generation_threads(execution.workers, clock)

    def batches() -> Iterator[list[Candidate]]:
        for batch in _generate_batches(folder, dataset.problems, gen, timer, threads, loaded, execution.cluster):
            seen.extend(batch)
            yield batch

    with folder:
        # The executor's workers start inside _judge before the first batch is asked for, so before the model loads.
        _judge(folder, dataset, execution, batches(), total, timer, clock, ReferenceIndex(dataset.by_id()))
        truncated = sum(c.prompt_truncated for c in seen)
        return _finish(folder, dataset, seen, truncated, timer=timer)


PREVIOUS_RESULTS = "results.previous-{n}.jsonl"


def _keep_previous_results(out: Path) -> Path | None:
    """--rejudge: move results.jsonl aside (results.previous-N.jsonl, N = 1, 2, ...) and return where."""
    current = out / RESULTS_FILE
    if not current.exists():
        return None
    n = 1
    while (out / PREVIOUS_RESULTS.format(n=n)).exists():
        n += 1
    kept = out / PREVIOUS_RESULTS.format(n=n)
    os.rename(current, kept)
    return kept


def _run_folder_dataset(run_dir: Path, stored: RunRecord, data_cfg: DataConfig | None) -> tuple[Dataset, DataConfig]:
    """The problems DIR's programs were generated for: from DIR's record unless dataset options were given."""
    cfg = data_cfg if data_cfg is not None else stored.dataset.data_config()
    dataset = _load(cfg)
    if dataset.fingerprint != stored.dataset.fingerprint:
        raise ConfigError(
            f"{run_dir}: its programs were generated for another problem set (fingerprint {stored.dataset.fingerprint[:12]} "
            f"of {stored.dataset.spec}, now {dataset.fingerprint[:12]}); leave out --dataset and the filters to use the recorded ones"
        )
    return dataset, cfg


def evaluate_run_folder(run_dir: Path, execution: ExecutionConfig, out: Path | None = None, *,
                        data_cfg: DataConfig | None = None, rejudge: bool = False, command_line: Sequence[str] = ()) -> RunSummary:
    """`evaluate --run DIR`: judge the generations.jsonl of an earlier run folder.

    With out = DIR (the default) it completes DIR's judging; `rejudge` judges everything
    again in place (new limits allowed), keeping the previous results file. Another `out`
    gets a new run folder that keeps DIR's dataset, model, template and decoding record.
    """
    path = run_dir / GENERATIONS_FILE
    if not path.is_file():
        raise RunFolderError(f"{run_dir}: no {GENERATIONS_FILE} in this run folder")
    stored = read_record(run_dir / CONFIG_FILE)
    out = out or run_dir
    in_place = out.resolve() == run_dir.resolve()
    if rejudge and not in_place:
        raise ConfigError("--rejudge re-judges the --run folder in place; leave out --out (or give the same folder)")
    dataset, cfg = _run_folder_dataset(run_dir, stored, data_cfg)
    candidates = _select_candidates(read_candidates(path, repair=in_place), dataset, cfg, path)
    if in_place:
        folder = open_run_folder(out, replace(stored, command_line=tuple(command_line)), check=False)
        try:
            _prepare_in_place(folder, execution, rejudge)
        except BaseException:
            folder.close()
            raise
    else:
        record = RunRecord(
            Command.EVALUATE, ProgramsRecord(SourceKind.GENERATED, path=str(path), from_run=str(run_dir)),
            stored.dataset, generation=stored.generation, model=stored.model, prompt=stored.prompt,
            command_line=tuple(command_line),
        ).with_execution(execution)
        folder = open_run_folder(out, record)
    with folder:
        timer = StageTimer()
        _judge(folder, dataset, execution, [candidates], len(candidates), timer, references=ReferenceIndex(dataset.by_id()))
        truncated = sum(c.prompt_truncated for c in candidates)
        missing = _missing_problems(dataset, candidates, False, path)
        return _finish(folder, dataset, candidates, truncated, missing, timer)


def _prepare_in_place(folder: OpenRunFolder, execution: ExecutionConfig, rejudge: bool) -> None:
    stored = folder.record
    if rejudge:
        kept = _keep_previous_results(folder.path)
        if kept is not None:
            log.info("previous results kept in %s", kept)
        folder.set_execution(execution)
    elif stored.execution is None:
        folder.set_execution(execution)
    else:
        why = refusal(folder.path, stored, stored.with_execution(execution))
        if why is not None:
            raise ConfigError(why.replace("use another --out", "use --rejudge to judge again in place, or another --out"))
