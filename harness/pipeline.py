"""The commands, as straight lines: load -> (generate) -> evaluate -> summarize -> write."""
from __future__ import annotations

import functools
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from data import ProblemIndex, combine_digests, open_dataset, problem_order
from data.loader import LightProblems
from data.legacy import legacy_fingerprint, legacy_ids
from data.sampling import stratified_sample
from sandbox import Verdict

from harness.config import ClusterConfig, DataConfig, ExecutionConfig, GenerationConfig
from harness.errors import ConfigError, ProgramsFileError, RunFolderError
from harness.evaluation import Evaluation
from harness.problem_feed import ProblemCache, ProblemFeed
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
    PROMPTS_FILE,
    RESULTS_FILE,
    SUMMARY_FILE,
    VALIDITY_FILE,
    JsonlAppender,
    iter_jsonl,
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


def _load(cfg: DataConfig) -> ProblemIndex:
    """The selected problems as refs (data.ProblemIndex): read in one streaming pass, never all in memory."""
    dataset = open_dataset(
        cfg.spec, split=cfg.split, difficulties=cfg.difficulties, limit=cfg.limit, problem_ids=cfg.problem_ids,
        skip_bad_rows=cfg.skip_bad_rows,
    )
    if cfg.sample is not None:
        chosen = stratified_sample(dataset.refs, cfg.sample, cfg.sample_seed)
        dataset = replace(dataset, refs=tuple(chosen), fingerprint=combine_digests((r.own_id, r.digest) for r in chosen))
    for skipped in dataset.skipped:
        log.warning("problem %s excluded: %s", skipped.problem_id, skipped.reason)
    if not len(dataset):
        raise ConfigError(f"no problems with tests selected from {dataset.source}")
    log.info("dataset %s: %d problems (fingerprint %s)", dataset.source, len(dataset), dataset.fingerprint[:12])
    return dataset


def _filtered(cfg: DataConfig) -> bool:
    return bool(cfg.split or cfg.difficulties or cfg.limit or cfg.problem_ids or cfg.sample)


def reference_keys(dataset: ProblemIndex, max_solutions: int | None) -> list[tuple[str, int]]:
    """(problem id, solution index) of the reference solutions `evaluate --solutions` judges."""
    return [(r.problem_id, i) for r in dataset.refs for i in range(min(r.solutions, max_solutions if max_solutions is not None else r.solutions))]


def reference_batches(dataset: ProblemIndex, max_solutions: int | None) -> Iterator[list[Candidate]]:
    """The reference solutions as candidates, one problem at a time (read as judging goes)."""
    for ref in dataset.refs:
        if ref.solutions:
            yield [Candidate(ref.problem_id, i, code) for i, code in enumerate(dataset.solutions(ref)[:max_solutions])]


def _select_candidates(candidates: list[Candidate], dataset: ProblemIndex, cfg: DataConfig, path: Path) -> list[Candidate]:
    """Keep candidates of selected problems, their ids written in any form data/ids.py accepts (the
    dataset's own id where it names one problem); an id unknown to an unfiltered dataset is an error."""
    resolver = dataset.resolver()
    selected = {r.problem_id for r in dataset.refs}
    kept, outside, seen = [], 0, set()
    for cand in candidates:
        try:
            pid = resolver.resolve(cand.problem_id)
        except LookupError as error:
            raise ProgramsFileError(f"{path}: {error}") from None
        if pid in selected:
            if (pid, cand.sample_index) in seen:
                raise ProgramsFileError(f"{path}: problem {pid} sample {cand.sample_index} is given twice "
                                        f"(once as {cand.problem_id!r})")
            seen.add((pid, cand.sample_index))
            kept.append(cand if pid == cand.problem_id else replace(cand, problem_id=pid))
        elif pid is not None or _filtered(cfg):
            outside += 1
        else:
            raise RunFolderError(f"{path}: program for unknown problem {cand.problem_id!r} ({resolver.expected()})")
    if outside:
        log.warning("%d programs belong to problems outside the selection or without tests; not judged", outside)
    return kept


def _nothing_to_judge(candidates: Sequence[Candidate], dataset: ProblemIndex, path: Path | None) -> ConfigError:
    """Why no program is left: which ids the file gave and which the selection expects."""
    if path is None or not candidates:
        return ConfigError("no programs to judge in the selected problems" + (f" ({path} holds none)" if path else ""))
    given = sorted({c.problem_id for c in candidates})[:3]
    return ConfigError(
        f"no programs to judge: none of the {len(candidates)} programs in {path} is for a selected problem "
        f"(it names {', '.join(map(repr, given))}; the selection's {dataset.resolver().expected()})"
    )


def _missing_problems(dataset: ProblemIndex, candidates: Sequence[Candidate], only_given: bool, path: Path) -> dict[str, str]:
    """Selected problems without any program: scored as unsolved (problem_id -> difficulty), unless only_given."""
    given = {c.problem_id for c in candidates}
    missing = {r.problem_id: r.difficulty.value for r in dataset.refs if r.problem_id not in given}
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


def feed_window(execution: ExecutionConfig, workers: int) -> int | None:
    """Programs in flight at most (their problems are what the harness holds): enough to keep every
    worker busy with the next program ready; on a cluster the Ray driver's own bound applies."""
    if execution.cluster.executor == "ray":
        return None
    return FEED_PER_WORKER * workers + FEED_SPARE


FEED_PER_WORKER, FEED_SPARE = 4, 8
# Characters of test data held for programs in flight (one problem may exceed it alone): enough for
# dozens of typical APPS problems; a cluster keeps more programs in flight.
FEED_BUDGET, FEED_BUDGET_RAY = 16 << 20, 64 << 20


def _judge(
    folder: OpenRunFolder, dataset: ProblemIndex, execution: ExecutionConfig, batches: Iterable[Sequence[Candidate]],
    total: int, timer: StageTimer | None = None, clock: BusyClock | None = None, references: bool = False,
) -> None:
    """Judge everything not already in results.jsonl; batches may still be arriving (run).

    Candidates queue in a ProblemFeed; each problem is read when its first program starts and
    dropped after its last one's result, so memory does not grow with the dataset.
    `references`: each row gets its program's nearest reference solution (False: judging the references themselves)."""
    out = folder.path
    done = {r.key for r in read_results(out / RESULTS_FILE) if r.verdict is not Verdict.HARNESS_ERROR}
    writer = _ResultWriter(out, total, len(done), clock or BusyClock())
    workers = max(1, min(execution.workers, total - len(done)))  # an idle worker is only a cost
    cache = ProblemCache(dataset)
    feed: ProblemFeed | None = None

    def record(result: SampleResult) -> None:
        writer(result)
        assert feed is not None
        feed.done(result.problem_id)

    try:
        with LazyBackend(lambda: open_backend(execution, workers), lambda b: _record_backend(folder, b)) as executor:
            evaluation = Evaluation(executor, cache, record, stop_at_first_failure=execution.stop_at_first_failure)

            def submit(candidate: Candidate) -> None:
                if references:  # matched while its problem (and so its reference solutions) is held
                    index = cache.attached(candidate.problem_id, lambda problem: ReferenceIndex({problem.problem_id: problem}))
                    match = index.match(candidate)
                    if match is not None:  # set before submit, so before its result can arrive
                        writer.matches[(candidate.problem_id, candidate.sample_index)] = match
                evaluation.submit(candidate)

            feed = ProblemFeed(cache, submit, evaluation.failed, feed_window(execution, workers),
                               FEED_BUDGET_RAY if execution.cluster.executor == "ray" else FEED_BUDGET)
            try:
                for batch in batches:
                    todo = [c for c in batch if (c.problem_id, c.sample_index) not in done]
                    writer.arrived(len(todo))
                    feed.put(todo)
                feed.drain()
                evaluation.wait()
            except BaseException:
                feed.stop()
                evaluation.stop()
                raise
            finally:
                feed.stop()
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


def _with_reference_matches(dataset: ProblemIndex, results: list[SampleResult],
                            candidates: Iterable[Candidate]) -> list[SampleResult]:
    """Rows without their nearest reference solution (written by older versions) get it, one problem's
    solutions in memory at a time."""
    lacking = {r.key for r in results if r.reference_similarity is None}
    if not lacking:
        return results
    by_problem: dict[str, list[Candidate]] = {}
    for cand in candidates:
        if (cand.problem_id, cand.sample_index) in lacking:
            by_problem.setdefault(cand.problem_id, []).append(cand)
    matches: dict[tuple[str, int], ReferenceMatch | None] = {}
    for ref in dataset.refs:
        group = by_problem.get(ref.problem_id)
        if group:
            index = ReferenceIndex({ref.problem_id: _Solutions(dataset.solutions(ref) if ref.solutions else ())})
            matches.update({(c.problem_id, c.sample_index): index.match(c) for c in group})
    return [replace(r, reference_similarity=matches.get(r.key)) if r.key in lacking else r for r in results]


@dataclass(frozen=True, slots=True)
class _Solutions:
    solutions: tuple[str, ...]


def _finish(folder: OpenRunFolder, dataset: ProblemIndex, candidates: Sequence[Candidate] | None, truncated: int = 0,
            missing: dict[str, str] | None = None, timer: StageTimer | None = None, references: bool = True,
            inputs: str = "", keys: Iterable[tuple[str, int]] = ()) -> RunSummary:
    """summary.json of the candidates' results (or, with candidates None, those of `keys`); references
    False: no similarity to reference solutions (they are them).

    `inputs`: the key of what chose the candidates (finish.json), so that rerunning finds nothing to do at once."""
    out = folder.path
    keys = set(keys) if candidates is None else {(c.problem_id, c.sample_index) for c in candidates}
    results = [r for r in read_results(out / RESULTS_FILE) if r.key in keys]
    unjudged = len(keys) - len(results)
    if unjudged:
        raise RunFolderError(f"{out / RESULTS_FILE}: {unjudged} programs have no result; rerun to resume")
    excluded = {s.problem_id: s.reason for s in dataset.skipped}
    if references:  # rows written before results carried it (older versions) get it for the summary
        results = _with_reference_matches(dataset, results, candidates or ())
    timings = timer.record() if timer is not None else None
    generated = any(c.finish_reason is not None for c in candidates or ())  # None: reference solutions
    cut = {(c.problem_id, c.sample_index) for c in candidates if c.finish_reason == "length"} if generated else None
    summary = summarize(sorted(results, key=lambda r: r.key), excluded, truncated, missing=missing or {},
                        only_given_problems=folder.record.programs.only_given_problems, timings=timings,
                        cut_at_token_limit=cut)
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
    if source.solutions:
        return _evaluate_solutions(dataset, data_cfg, execution, source, out, inputs, command_line)
    assert source.generations is not None
    programs = read_programs_file(source.generations)
    log.info("programs file %s: %s format, %d programs", source.generations, programs.format.value, len(programs.rows))
    order = functools.partial(problem_order, data_cfg.spec, split=data_cfg.split)  # read for positional files only
    given = programs.candidates(order)
    candidates = _select_candidates(given, dataset, data_cfg, source.generations)
    if not candidates:
        raise _nothing_to_judge(given, dataset, source.generations)
    missing = _missing_problems(dataset, candidates, only_given_problems, source.generations)
    record = RunRecord(Command.EVALUATE, source.record(only_given_problems, programs.format.value),
                       DatasetRecord.of(data_cfg, dataset), command_line=tuple(command_line)).with_execution(execution)
    with open_run_folder(out, record) as folder:
        timer = StageTimer()
        _judge(folder, dataset, execution, [candidates], len(candidates), timer, references=True)
        return _finish(folder, dataset, candidates, missing=missing, timer=timer, inputs=inputs)


def _evaluate_solutions(dataset: ProblemIndex, data_cfg: DataConfig, execution: ExecutionConfig, source: ProgramSource,
                        out: Path, inputs: str, command_line: Sequence[str]) -> RunSummary:
    """`evaluate --solutions`: each problem's reference solutions are read as judging reaches it."""
    keys = reference_keys(dataset, source.max_solutions)
    if not keys:
        raise ConfigError("no programs to judge: the selected problems have no reference solutions")
    record = RunRecord(Command.EVALUATE, source.record(), DatasetRecord.of(data_cfg, dataset),
                       command_line=tuple(command_line)).with_execution(execution)
    with open_run_folder(out, record) as folder:
        timer = StageTimer()
        _judge(folder, dataset, execution, reference_batches(dataset, source.max_solutions), len(keys), timer)
        summary = _finish(folder, dataset, None, timer=timer, references=False, inputs=inputs, keys=keys)
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


def _write_validity(out: Path, dataset: ProblemIndex) -> None:
    from harness.reporting.validity import validity_from_results, write_validity

    results = read_results(out / RESULTS_FILE)
    without = [r.problem_id for r in dataset.refs if not r.solutions]
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


def _generate_batches(folder: OpenRunFolder, problems: LightProblems, gen: GenerationConfig, timings: StageTimer,
                      threads: Callable[[], int] | None = None, preloaded: "LoadedModel | None" = None,
                      cluster: ClusterConfig | None = None
                      ) -> Iterator[list[Candidate]]:
    """Generate what generations.jsonl lacks, appending each batch as it finishes.

    Yields every candidate of the run: first those already on file, then new batches.
    threads: the torch CPU threads to use from now on (asked again as generation goes).
    problems are read (and their prompts built) as the plan reaches them.
    """
    path = folder.path / GENERATIONS_FILE
    existing = read_candidates(path, repair=True) if path.exists() else []
    wanted = {(pid, i) for pid in problems.ids for i in range(gen.n_samples)}
    existing = [c for c in existing if (c.problem_id, c.sample_index) in wanted]
    if existing:
        yield existing
    done = {(c.problem_id, c.sample_index) for c in existing}
    if done >= wanted:
        if done:
            _check_same_weights(folder, _weights_now(gen, preloaded))
        return
    prompts_path = folder.path / PROMPTS_FILE
    stored_prompts = {row.get("prompt_hash") for _, row in iter_jsonl(prompts_path, repair=True)} if prompts_path.exists() else set()
    with JsonlAppender(path) as appender, JsonlAppender(prompts_path) as prompts, timings.stage("generation"):
        for batch in _new_batches(folder, problems, gen, done, preloaded, cluster, timings, threads):
            for cand in batch:  # each exact prompt once, before the first program generated from it
                if cand.prompt is not None and cand.prompt_hash not in stored_prompts:
                    prompts.append({"prompt_hash": cand.prompt_hash, "problem_id": cand.problem_id, "prompt": cand.prompt})
                    stored_prompts.add(cand.prompt_hash)
            batch = [replace(cand, prompt=None) for cand in batch]
            for cand in batch:
                appender.append(cand.to_json())
            yield batch


def _new_batches(folder: OpenRunFolder, problems: LightProblems, gen: GenerationConfig, done: set,
                 preloaded: "LoadedModel | None", cluster: ClusterConfig | None, timings: StageTimer,
                 threads: Callable[[], int] | None) -> Iterator[list[Candidate]]:
    """The batches not in `done`: from one local model, or from model replicas on a Ray cluster."""
    gen = _recorded_plan_window(folder, gen)
    def record_model(resolved: dict) -> None:
        model = ModelRecord.from_resolved(resolved)
        if done:  # programs on file came from the stored model: the same weights, in the same dtype
            _check_same_weights(folder, model.weights_sha256)
            stored = folder.record.model
            if stored is not None and stored.dtype != model.dtype:
                raise ConfigError(f"--out {folder.path} holds programs generated in {stored.dtype}, the model is {model.dtype} "
                                  f"now (--dtype); use another --out to start a new run")
        folder.set_model(model)

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


def _recorded_plan_window(folder: OpenRunFolder, gen: GenerationConfig) -> GenerationConfig:
    """gen with the folder's plan window: a resumed run forms the batches of the run it continues
    (a folder written before windows existed planned the whole selection at once)."""
    stored = folder.record.generation
    if stored is None or stored.plan_window == gen.plan_window:
        return gen
    log.info("--out %s: planning batches with the folder's window (%s problems; %s asked)", folder.path,
             stored.plan_window or "all", gen.plan_window or "all")
    return replace(gen, plan_window=stored.plan_window)


def _weights_now(gen: GenerationConfig, preloaded: "LoadedModel | None") -> str | None:
    if preloaded is not None:
        return preloaded.resolved.get("weights_sha256")
    from harness.generation.model_loading import weights_sha256_before_loading

    return weights_sha256_before_loading(gen)


def _check_same_weights(folder: OpenRunFolder, now: str | None) -> None:
    """Refuse to add to (or return) programs of a run folder generated by other weights."""
    stored = folder.record.model
    before = None if stored is None else stored.weights_sha256
    if before is not None and now is not None and before != now:
        raise ConfigError(f"--out {folder.path} holds programs generated by other weights (weights_sha256 {before} "
                          f"in the folder, {now} now); use another --out to start a new run")


def _open_generation_run(command: Command, data_cfg: DataConfig, gen: GenerationConfig, execution: ExecutionConfig | None,
                         out: Path, command_line: Sequence[str]) -> tuple[ProblemIndex, OpenRunFolder]:
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
        count = sum(len(batch) for batch in _generate_batches(folder, dataset.light_problems(), gen, timer, preloaded=loaded, cluster=cluster))
        folder.finish()
    log_timings(timer.record())
    return count


def run(data_cfg: DataConfig, gen: GenerationConfig, execution: ExecutionConfig, out: Path,
        loaded: "LoadedModel | None" = None, *, command_line: Sequence[str] = ()) -> RunSummary:
    """Generate and judge at once: each finished batch goes to the executor while the next is generated.

    `loaded`: a model the caller already loaded (the Python API), instead of loading gen.model."""
    dataset, folder = _open_generation_run(Command.RUN, data_cfg, gen, execution, out, command_line)
    total = len(dataset) * gen.n_samples
    seen: list[Candidate] = []
    timer = StageTimer()
    clock = BusyClock()
    threads = generation_threads(execution.workers, clock)

    def batches() -> Iterator[list[Candidate]]:
        for batch in _generate_batches(folder, dataset.light_problems(), gen, timer, threads, loaded, execution.cluster):
            seen.extend(replace(c, completion=None) for c in batch)  # what the summary needs: not the raw text
            yield batch

    with folder:
        # The executor's workers start inside _judge before the first batch is asked for, so before the model loads.
        _judge(folder, dataset, execution, batches(), total, timer, clock, references=True)
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


def _run_folder_dataset(run_dir: Path, stored: RunRecord, data_cfg: DataConfig | None) -> tuple[ProblemIndex, DataConfig]:
    """The problems DIR's programs were generated for: from DIR's record unless dataset options were given."""
    cfg = data_cfg if data_cfg is not None else stored.dataset.data_config()
    dataset = _load(cfg)
    if dataset.fingerprint != stored.dataset.fingerprint and legacy_fingerprint(dataset) == stored.dataset.fingerprint:
        log.info("%s was written before problem ids were the dataset's own ids: same problems, ids mapped "
                 "(docs/interface.md#problem-ids)", run_dir)
    elif dataset.fingerprint != stored.dataset.fingerprint:
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
    renamed = {old: new for old, new in legacy_ids(dataset).items() if old != new}
    if in_place and dataset.fingerprint != stored.dataset.fingerprint and renamed:
        old, new = next(iter(renamed.items()))
        raise ConfigError(f"{run_dir} was written before problem ids were the dataset's own ids ({old!r} is now {new!r}): "
                          f"judge its programs into a new folder (evaluate --run {run_dir} --out NEW_FOLDER)")
    candidates = _select_candidates(read_candidates(path, repair=in_place), dataset, cfg, path)
    if in_place:
        folder = open_run_folder(out, replace(stored, command_line=tuple(command_line)), check=False)
        try:
            _prepare_in_place(folder, execution, rejudge)
        except BaseException:
            folder.close()
            raise
    else:
        current = stored.dataset if dataset.fingerprint == stored.dataset.fingerprint else DatasetRecord.of(cfg, dataset)
        record = RunRecord(
            Command.EVALUATE, ProgramsRecord(SourceKind.GENERATED, path=str(path), from_run=str(run_dir)),
            current, generation=stored.generation, model=stored.model, prompt=stored.prompt,
            command_line=tuple(command_line),
        ).with_execution(execution)
        folder = open_run_folder(out, record)
    with folder:
        timer = StageTimer()
        _judge(folder, dataset, execution, [candidates], len(candidates), timer, references=True)
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
