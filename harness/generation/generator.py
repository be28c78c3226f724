"""Batched generation: problems -> Candidates, yielded as they finish.

Plan, window by window: the problems are read in input order, `plan_window` at a time (None: all
at once); each problem's prompt is built once (question truncated to fit the context), the
window's work units (one per (problem, sample); one per problem with beam search) are sorted by
prompt length, longest first, and cut into batches of at most `batch_size` sequences (a window's
last batch may be short). Only one window's prompts are held at a time, and the next window is
built only when decoding needs its first row, so memory does not grow with the dataset. The plan
depends only on the problems and the config (window included), never on what is already done; a
window as large as the selection gives the single global sort of earlier versions.

Decoding (num_beams 1) uses continuous batching (continuous.py): at most `batch_size` rows at
a time, in plan order; a row that ends (end of text, a stop string, the end of a chat reply's
code block, the token limit) leaves the batch and its cache at once and the next waiting row
takes its place. Beam search, and models whose cache the decoder cannot edit (it says so in the
log), run the static batches of the plan through transformers' generate instead.

Reproducibility (same seed, same device, same software):
- greedy and beam search: no randomness; left padding is handled (attention mask and position
  ids), so a prompt gives the same program alone or inside a padded batch, with or without
  continuous batching (up to floating-point differences of another batch shape);
- sampling (num_beams 1): every (problem, sample) has its own random stream, seeded from
  (seed, problem_id, sample_index) (decoding.RowSampler), so its random draws never depend on
  the other rows of its batch, on resume, or on which problems run;
- resume: pairs in `done` are skipped; the others give the programs of an uninterrupted run up
  to floating-point differences of another batch shape, which can flip a near-tie between two
  tokens;
- beam sampling (num_beams > 1 with temperature > 0): torch's generator is seeded per batch
  from (seed, the batch's first pair), so results are reproducible for the same plan only.

The n samples of one problem share one prompt prefill (its key/value cache is computed once and
copied to each sample's row). torch and transformers are imported inside functions.
"""
from __future__ import annotations

import itertools
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable, Iterator

from data.problem import Problem
from harness.config import ConfigError, GenerationConfig
from harness.generation.continuous import ContinuousDecoder, DecodeSettings, Row, StepStats, supports_continuous_batching
from harness.generation.decoding import RowSampler, RowStopRule, StopOnStrings, derive_seed
from harness.generation.extract import code_block_closed, extract_program, find_stop
from harness.generation.model_loading import LoadedModel
from harness.generation.prompting import TemplateKind, build_prompt, prompt_hash, resolve_template, token_counter
from harness.records import Candidate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """One generation row (or, with beam search, one problem's beam group)."""

    problem_id: str
    order: int  # position of the problem in the input
    samples: tuple[int, ...]  # sample indices this unit produces
    prompt: str
    prompt_tokens: int
    truncated: bool
    prompt_hash: str


@dataclass
class GenerationStats:
    """What one generate() call did: for progress, timings and benchmarks."""

    samples: int = 0
    new_tokens: int = 0
    row_steps: int = 0  # rows computed by decode steps (finished rows included on the static path)
    prefill_tokens: int = 0
    wall_s: float = 0.0
    continuous: bool = False


class Generator:
    def __init__(
        self, loaded: LoadedModel, cfg: GenerationConfig, *, min_new_tokens: int = 0, progress: bool | None = None,
        continuous: bool | None = None, threads: Callable[[], int] | None = None,
    ) -> None:
        """min_new_tokens forbids ending earlier (benchmarks); progress None: a bar only on a terminal;
        continuous None: continuous batching where the model allows it, False: static batches (as before);
        threads: the torch CPU threads to use, asked again every few steps (the pipeline leaves cores to judging)."""
        self.loaded = loaded
        self.cfg = cfg
        self.template = resolve_template(cfg.template, loaded.tokenizer)
        self.stops = cfg.stop if cfg.stop is not None else self.template.default_stops
        self.add_special_tokens = self.template.kind is TemplateKind.COMPLETION
        self.min_new_tokens = min_new_tokens
        self.progress = progress
        self.beam_search = cfg.num_beams > 1 and cfg.greedy
        self.stats = GenerationStats()
        possible = cfg.num_beams == 1 and supports_continuous_batching(loaded.model)
        if continuous and not possible:
            raise ConfigError("continuous batching is not available for this model or with beam search")
        if continuous is None and cfg.num_beams == 1 and not possible:
            log.warning("continuous batching is not available for %s (its cache is not a plain key/value cache): "
                        "generating in static batches", loaded.resolved.get("architecture"))
        self.continuous = possible if continuous is None else continuous
        self.threads = threads
        self.batch_size = cfg.batch_size or loaded.resolved.get("default_batch_size") or 16

    def plan(self, problems: Iterable[Problem]) -> Iterator[list[WorkUnit]]:
        """The batches, window by window, longest prompts first within a window; read lazily (a window's
        problems are taken from `problems` when its first batch is asked for). Deterministic in (problems, cfg)."""
        window = self.cfg.plan_window
        per_batch = max(1, self.batch_size // self.cfg.num_beams)
        count = token_counter(self.loaded.tokenizer, self.add_special_tokens)
        seen: set[str] = set()
        numbered = enumerate(problems)
        while True:
            chunk = list(itertools.islice(numbered, window)) if window is not None else list(numbered)
            if not chunk:
                return
            units: list[WorkUnit] = []
            for order, problem in chunk:
                if problem.problem_id in seen:
                    raise ConfigError(f"problem {problem.problem_id} appears twice in the problems to generate for")
                seen.add(problem.problem_id)
                units += self._units(problem, order, count)
            del chunk
            units.sort(key=lambda u: (-u.prompt_tokens, u.order, u.samples[0]))
            for start in range(0, len(units), per_batch):
                yield units[start:start + per_batch]
            if window is None:
                return

    def _units(self, problem: Problem, order: int, count: Callable[[str], int]) -> list[WorkUnit]:
        prompt, truncated = build_prompt(
            problem, self.template, self.loaded.tokenizer,
            max_context=self.loaded.max_context, max_new_tokens=self.cfg.max_new_tokens,
        )
        groups = [tuple(range(self.cfg.n_samples))] if self.beam_search else [(s,) for s in range(self.cfg.n_samples)]
        tokens, hashed = count(prompt), prompt_hash(prompt)
        return [WorkUnit(problem.problem_id, order, g, prompt, tokens, truncated, hashed) for g in groups]

    def generate(
        self, problems: Collection[Problem], done: set[tuple[str, int]] = frozenset(), shard: tuple[int, int] = (0, 1)
    ) -> Iterator[list[Candidate]]:
        """Yield Candidates as they finish, skipping the (problem_id, sample_index) pairs in done.

        problems: any sized iterable (data.loader.LightProblems reads them as the plan reaches them).
        shard (rank, count): only the plan's batches rank, rank + count, ... (data-parallel replicas;
        each replica decodes its share with continuous batching)."""
        from harness.progress import Progress

        rank, count = shard
        batches = (
            [u for u in batch if _missing(u, done)]
            for batch in itertools.islice(self.plan(problems), rank, None, count)
        )
        ids = getattr(problems, "ids", None) or [p.problem_id for p in problems]
        known = set(ids)
        todo = len(ids) * self.cfg.n_samples - sum(pid in known and s < self.cfg.n_samples for pid, s in done)
        total = todo if count == 1 else -(-todo // count)  # a replica's share, about (replicas show no bar)
        self.stats = GenerationStats(continuous=self.continuous)
        started = time.perf_counter()
        with Progress("generating", total, unit="sample", enabled=self.progress) as bar:
            parts = self._continuous(batches, done, bar) if self.continuous else self._static(batches, done)
            for candidates in parts:
                self.stats.samples += len(candidates)
                self.stats.new_tokens += sum(c.new_tokens or 0 for c in candidates)
                self.stats.wall_s = time.perf_counter() - started
                bar.update(len(candidates), self._rate())
                yield candidates
        self.stats.wall_s = time.perf_counter() - started

    def _rate(self) -> str:
        return f"{self.stats.new_tokens / max(self.stats.wall_s, 1e-9):.1f} tok/s"

    def _apply_threads(self) -> None:
        if self.threads is not None and self.loaded.resolved.get("device") == "cpu":
            import torch

            wanted = self.threads()
            if wanted != torch.get_num_threads():
                torch.set_num_threads(wanted)

    def _static(self, batches: Iterable[list[WorkUnit]], done: set[tuple[str, int]]) -> Iterator[list[Candidate]]:
        for batch in batches:
            if batch:
                self._apply_threads()
                yield [c for c in self._run(batch) if (c.problem_id, c.sample_index) not in done]

    def _continuous(self, batches: Iterable[list[WorkUnit]], done: set[tuple[str, int]], bar: Any) -> Iterator[list[Candidate]]:
        def rows() -> Iterator[Row]:  # made as the decoder admits them: one window's prompts held at a time
            for unit in (u for batch in batches for u in batch):
                for sample in unit.samples:
                    if (unit.problem_id, sample) not in done:
                        rng = None if self.cfg.greedy else random.Random(derive_seed(self.cfg.seed, unit.problem_id, sample))
                        yield Row((unit, sample), unit.prompt, rng)

        settings = DecodeSettings(
            batch_size=self.batch_size, max_new_tokens=self.cfg.max_new_tokens, eos_token_ids=self.loaded.eos_token_ids,
            temperature=self.cfg.temperature, top_p=self.cfg.top_p, min_new_tokens=self.min_new_tokens,
            add_special_tokens=self.add_special_tokens, max_context=self.loaded.max_context,
        )
        stop_rule = RowStopRule(self.loaded.tokenizer, self.stops, self.template.ends_at_code_block)
        decoder = ContinuousDecoder(self.loaded.model, self.loaded.tokenizer, settings, stop_rule if stop_rule.active else None)

        def on_step(step: StepStats) -> None:
            self.stats.row_steps, self.stats.prefill_tokens = step.row_steps, step.prefill_tokens
            self._apply_threads()
            elapsed = max(time.perf_counter() - step.started, 1e-9)
            bar.refresh_postfix(f"{(self.stats.new_tokens + step.live_tokens) / elapsed:.1f} tok/s")

        for finished in decoder.run(rows(), on_step):
            yield [self._candidate(row.key[0], row.key[1], row.tokens) for row in finished]

    def _run(self, batch: list[WorkUnit]) -> list[Candidate]:
        """Generate one batch; returns its Candidates in unit order (beam groups by rank)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        model, tokenizer = self.loaded.model, self.loaded.tokenizer
        prompts = list(dict.fromkeys(u.prompt for u in batch))
        encoded = tokenizer(prompts, padding=True, return_tensors="pt", add_special_tokens=self.add_special_tokens)
        encoded = encoded.to(model.device)
        rows = torch.tensor([prompts.index(u.prompt) for u in batch], device=model.device)
        kwargs: dict[str, Any] = {
            "generation_config": self._generation_config(),
            "logits_processor": LogitsProcessorList(self._processors(batch)),
        }
        if self.stops:
            stop = StopOnStrings(tokenizer, self.stops, encoded.input_ids.shape[1])
            kwargs["stopping_criteria"] = StoppingCriteriaList([stop])
        if self.cfg.num_beams > 1 and not self.beam_search:
            torch.manual_seed(derive_seed(self.cfg.seed, batch[0].problem_id, batch[0].samples[0]))
        with torch.inference_mode():
            if self.cfg.num_beams == 1 and len(prompts) < len(batch) and encoded.attention_mask.sum(-1).min() >= 2:
                kwargs.update(self._shared_prefill(encoded, rows))
            output = model.generate(
                input_ids=encoded.input_ids[rows], attention_mask=encoded.attention_mask[rows], **kwargs
            )
        generated = output[:, encoded.input_ids.shape[1]:].tolist()
        self.stats.row_steps += len(generated) * (len(generated[0]) - 1 if generated else 0)
        self.stats.prefill_tokens += int(encoded.attention_mask.sum())
        keys = [(u, s) for u in batch for s in u.samples]
        return [self._candidate(unit, sample, ids) for (unit, sample), ids in zip(keys, generated)]

    def _generation_config(self) -> Any:
        from transformers import GenerationConfig as HFGenerationConfig

        cfg, beam_sample = self.cfg, self.cfg.num_beams > 1 and not self.cfg.greedy
        sampling = {"temperature": cfg.temperature, "top_p": cfg.top_p, "top_k": 0} if beam_sample else {}
        return HFGenerationConfig(
            max_new_tokens=cfg.max_new_tokens,
            min_new_tokens=self.min_new_tokens or None,
            do_sample=beam_sample,
            **sampling,
            num_beams=cfg.num_beams,
            num_return_sequences=cfg.n_samples if self.beam_search else 1,
            early_stopping=cfg.num_beams > 1,  # as the APPS code's beam search
            eos_token_id=list(self.loaded.eos_token_ids),
            pad_token_id=self.loaded.tokenizer.pad_token_id,
        )

    def _processors(self, batch: list[WorkUnit]) -> list[Any]:
        if self.cfg.greedy or self.cfg.num_beams > 1:
            return []
        seeds = [derive_seed(self.cfg.seed, u.problem_id, u.samples[0]) for u in batch]
        return [RowSampler(seeds, self.cfg.temperature, self.cfg.top_p)]

    def _shared_prefill(self, encoded: Any, rows: Any) -> dict[str, Any]:
        """generate's cache argument: the key/value cache of each distinct prompt but its last token, copied to its rows."""
        import inspect

        model = self.loaded.model
        parameters = inspect.signature(model.forward).parameters
        mask = encoded.attention_mask[:, :-1]
        output = model(
            input_ids=encoded.input_ids[:, :-1], attention_mask=mask,
            position_ids=(mask.long().cumsum(-1) - 1).clamp(min=0), use_cache=True,
            **({"logits_to_keep": 1} if "logits_to_keep" in parameters else {}),
        )
        name = "cache" if "cache" in parameters else "past_key_values"  # renamed "cache" in transformers 5.x
        cache = getattr(output, name)
        cache.batch_select_indices(rows)
        return {name: cache}

    def _candidate(self, unit: WorkUnit, sample: int, ids: list[int]) -> Candidate:
        text, new_tokens, finish = self._decode(ids)
        code = extract_program(text, unit.prompt, self.stops)
        return Candidate(
            problem_id=unit.problem_id, sample_index=sample, code=code, completion=text,
            prompt_truncated=unit.truncated, new_tokens=new_tokens, finish_reason=finish, prompt_hash=unit.prompt_hash,
            prompt=unit.prompt,
        )

    def _decode(self, ids: list[int]) -> tuple[str, int, str]:
        """(raw completion text, tokens generated, finish reason) of one generated row."""
        eos, pad = set(self.loaded.eos_token_ids), self.loaded.tokenizer.pad_token_id
        end = next((i for i, token in enumerate(ids) if token in eos), None)
        body = list(ids if end is None else ids[:end])
        if pad not in eos:  # drop the padding that follows a stop-string stop
            while body and body[-1] == pad:
                body.pop()
        text = self.loaded.tokenizer.decode(body, skip_special_tokens=True)
        if self.stops and find_stop(text, self.stops) is not None:
            return text, len(body), "stop_string"
        if end is not None:
            return text, end + 1, "eos"
        if self.template.ends_at_code_block and code_block_closed(text):
            return text, len(body), "code_block_end"
        return text, len(body), "length"


def _missing(unit: WorkUnit, done: set[tuple[str, int]]) -> bool:
    return any((unit.problem_id, sample) not in done for sample in unit.samples)
