"""Batched generation: problems -> Candidates, one list per finished batch.

Plan: every problem's prompt is built once (question truncated to fit the context), then the
work units (one per (problem, sample); one per problem with beam search) are sorted by prompt
length, longest first, and cut into batches of at most `batch_size` sequences. The plan depends
only on the problems and the config, never on what is already done.

Reproducibility (same seed, same device, same software):
- greedy and beam search: no randomness; left padding is handled (attention mask and position
  ids), so a prompt gives the same program alone or inside a padded batch;
- sampling (num_beams 1): every (problem, sample) has its own random stream, seeded from
  (seed, problem_id, sample_index) (decoding.RowSampler), so its random draws never depend on
  the other rows of its batch, on resume, or on which problems run;
- resume: batches whose pairs are all in `done` are skipped, the others run without their done
  pairs. When `done` holds whole batches (what recording every yielded batch produces), the
  programs are bit-identical to an uninterrupted run; otherwise (a partial batch, a changed
  problem list or batch size) they are the same up to floating-point differences of another
  batch shape, which can flip a near-tie between two tokens;
- beam sampling (num_beams > 1 with temperature > 0): torch's generator is seeded per batch
  from (seed, the batch's first pair), so results are reproducible for the same plan only.

The n samples of one problem share one prompt prefill (its key/value cache is computed once and
copied to each sample's row). torch and transformers are imported inside functions.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from data.problem import Problem
from harness.config import ConfigError, GenerationConfig
from harness.generation.decoding import RowSampler, StopOnStrings, derive_seed
from harness.generation.extract import extract_program, find_stop
from harness.generation.model_loading import LoadedModel
from harness.generation.prompting import build_prompt, template_text, token_counter
from harness.records import Candidate


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """One generation row (or, with beam search, one problem's beam group)."""

    problem_id: str
    order: int  # position of the problem in the input
    samples: tuple[int, ...]  # sample indices this unit produces
    prompt: str
    prompt_tokens: int
    truncated: bool


class Generator:
    def __init__(
        self, loaded: LoadedModel, cfg: GenerationConfig, *, min_new_tokens: int = 0, progress: bool | None = None
    ) -> None:
        """min_new_tokens forbids ending earlier (benchmarks); progress None: a bar only on a terminal."""
        self.loaded = loaded
        self.cfg = cfg
        self.template = template_text(cfg.template)
        self.min_new_tokens = min_new_tokens
        self.progress = progress
        self.beam_search = cfg.num_beams > 1 and cfg.greedy

    def plan(self, problems: Sequence[Problem]) -> list[list[WorkUnit]]:
        """The batches, longest prompts first. Deterministic in (problems, cfg)."""
        count = token_counter(self.loaded.tokenizer)
        units: list[WorkUnit] = []
        seen: set[str] = set()
        for order, problem in enumerate(problems):
            if problem.problem_id in seen:
                raise ConfigError(f"problem {problem.problem_id} appears twice in the problems to generate for")
            seen.add(problem.problem_id)
            prompt, truncated = build_prompt(
                problem, self.template, self.loaded.tokenizer,
                max_context=self.loaded.max_context, max_new_tokens=self.cfg.max_new_tokens,
            )
            groups = [tuple(range(self.cfg.n_samples))] if self.beam_search else [(s,) for s in range(self.cfg.n_samples)]
            units += [WorkUnit(problem.problem_id, order, g, prompt, count(prompt), truncated) for g in groups]
        units.sort(key=lambda u: (-u.prompt_tokens, u.order, u.samples[0]))
        per_batch = max(1, self.cfg.batch_size // self.cfg.num_beams)
        return [units[i:i + per_batch] for i in range(0, len(units), per_batch)]

    def generate(
        self, problems: Sequence[Problem], done: set[tuple[str, int]] = frozenset(), shard: tuple[int, int] = (0, 1)
    ) -> Iterator[list[Candidate]]:
        """Yield the Candidates of each finished batch, skipping the (problem_id, sample_index) pairs in done.

        shard (rank, count): only the plan's batches rank, rank + count, ... (data-parallel replicas:
        every batch is the one a single process runs, so the programs are the same)."""
        from tqdm.auto import tqdm

        rank, count = shard
        batches = [[u for u in batch if _missing(u, done)] for batch in self.plan(problems)[rank::count]]
        total = sum(len([s for s in u.samples if (u.problem_id, s) not in done]) for b in batches for u in b)
        new_tokens, started = 0, time.perf_counter()
        with tqdm(total=total, unit="sample", desc="generating", disable=self._bar_disabled()) as bar:
            for batch in batches:
                if not batch:
                    continue
                candidates = [c for c in self._run(batch) if (c.problem_id, c.sample_index) not in done]
                new_tokens += sum(c.new_tokens or 0 for c in candidates)
                bar.update(len(candidates))
                bar.set_postfix(tok_s=f"{new_tokens / max(time.perf_counter() - started, 1e-9):.1f}")
                yield candidates

    def _bar_disabled(self) -> bool | None:
        return None if self.progress is None else not self.progress

    def _run(self, batch: list[WorkUnit]) -> list[Candidate]:
        """Generate one batch; returns its Candidates in unit order (beam groups by rank)."""
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList

        model, tokenizer = self.loaded.model, self.loaded.tokenizer
        prompts = list(dict.fromkeys(u.prompt for u in batch))
        encoded = tokenizer(prompts, padding=True, return_tensors="pt").to(model.device)
        rows = torch.tensor([prompts.index(u.prompt) for u in batch], device=model.device)
        kwargs: dict[str, Any] = {
            "generation_config": self._generation_config(),
            "logits_processor": LogitsProcessorList(self._processors(batch)),
        }
        if self.cfg.stop:
            stop = StopOnStrings(tokenizer, self.cfg.stop, encoded.input_ids.shape[1])
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
        code = extract_program(text, unit.prompt, self.cfg.stop)
        return Candidate(
            problem_id=unit.problem_id, sample_index=sample, code=code, completion=text,
            prompt_truncated=unit.truncated, new_tokens=new_tokens, finish_reason=finish,
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
        if self.cfg.stop and find_stop(text, self.cfg.stop) is not None:
            return text, len(body), "stop_string"
        if end is not None:
            return text, end + 1, "eos"
        return text, len(body), "length"


def _missing(unit: WorkUnit, done: set[tuple[str, int]]) -> bool:
    return any((unit.problem_id, sample) not in done for sample in unit.samples)
