"""Continuous batching for any Hugging Face causal LM: finished rows leave at once, waiting rows join.

A static batch runs until its longest row ends, so every row that finished early (end of text,
a stop string, the end of a code block) keeps costing a full forward step. Here the decoder
owns the loop: after every step, finished rows are removed from the batch and from the
key/value cache, and waiting rows (prefilled in small groups, a prompt's samples sharing one
prefill) take their places, so a step only ever computes rows that still produce tokens.

The cache is a transformers DynamicCache whose layers hold [batch, heads, length, dim] tensors.
Rows of different lengths are left-padded inside it (attention mask 0, position ids counted
from each row's first real token), exactly as a padded static batch is; columns that are
padding for every remaining row are cut away after each removal. Models whose cache is not
such a plain cache (sliding-window or quantized layers, linear attention, ...) are refused by
`supports_continuous_batching`; the generator then falls back, visibly, to static batches.

Decoding choices per row: greedy (argmax), or sampling from the row's own random stream
(decoding.draw_tokens), so a row's tokens depend on its seed and its own logits only, never on
which rows share its step. torch is imported inside functions.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from harness.generation.decoding import draw_tokens


@dataclass(slots=True)
class Row:
    """One sequence being generated."""

    key: Any  # caller's handle (a work unit and sample index)
    prompt: str
    rng: random.Random | None  # None: greedy
    tokens: list[int] = field(default_factory=list)
    finish: str | None = None  # "eos", "stop", "length" once done


@dataclass(frozen=True, slots=True)
class DecodeSettings:
    batch_size: int
    max_new_tokens: int
    eos_token_ids: tuple[int, ...]
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    min_new_tokens: int = 0  # end of text is forbidden before this many tokens (benchmarks)
    add_special_tokens: bool = True  # False for chat prompts, which carry their own special tokens


# A stop rule sees a row's generated tokens and says whether the row is done (stop strings, code block end).
StopRule = Callable[[Sequence[int]], bool]


@dataclass
class StepStats:
    """Counters for progress and benchmarks: computed row-steps, prefill tokens, wall time."""

    row_steps: int = 0
    prefill_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)


def supports_continuous_batching(model: Any) -> bool:
    """True when the model's cache is a plain DynamicCache of full-length layers (what this decoder edits)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    try:
        cache = DynamicCache(config=model.config)
    except Exception:
        return False
    return all(type(layer) is DynamicLayer for layer in getattr(cache, "layers", [None]))


class ContinuousDecoder:
    def __init__(self, model: Any, tokenizer: Any, settings: DecodeSettings, stop_rule: StopRule | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings
        self.stop_rule = stop_rule
        self.stats = StepStats()
        self._eos = set(settings.eos_token_ids)

    def run(self, rows: Sequence[Row], on_step: Callable[[StepStats], None] | None = None) -> Iterator[list[Row]]:
        """Generate every row, in order of admission; yields the rows that finished at each step."""
        import torch

        waiting = list(rows)[::-1]  # pop() takes the next row
        active: list[Row] = []
        state: _Batch | None = None
        with torch.inference_mode():
            while waiting or active:
                finished: list[Row] = []
                free = self.settings.batch_size - len(active)
                if free > 0 and waiting:
                    joining = [waiting.pop() for _ in range(min(free, len(waiting)))]
                    new_state, logits = self._prefill(joining)
                    kept = self._advance(joining, logits, finished)
                    new_state = new_state.select(kept)
                    active = active + [joining[i] for i in kept]
                    state = new_state if state is None else state.join(new_state)
                if active:
                    assert state is not None
                    logits = state.step(self.model, [row.tokens[-1] for row in active])
                    self.stats.row_steps += len(active)
                    kept = self._advance(active, logits, finished)
                    if len(kept) < len(active):
                        active = [active[i] for i in kept]
                        state = state.select(kept) if active else None
                if on_step is not None:
                    on_step(self.stats)
                if finished:
                    yield finished

    def _prefill(self, rows: list[Row]) -> tuple["_Batch", Any]:
        """The cache and last-position logits of rows' prompts; rows sharing a prompt share one prefill."""
        import torch

        prompts = list(dict.fromkeys(row.prompt for row in rows))
        encoded = self.tokenizer(
            prompts, padding=True, return_tensors="pt", add_special_tokens=self.settings.add_special_tokens
        ).to(self.model.device)
        mask = encoded.attention_mask
        output = self.model(
            input_ids=encoded.input_ids, attention_mask=mask, position_ids=(mask.long().cumsum(-1) - 1).clamp(min=0),
            use_cache=True, **_logits_to_keep(self.model),
        )
        self.stats.prefill_tokens += int(mask.sum())
        index = torch.tensor([prompts.index(row.prompt) for row in rows], device=mask.device)
        state = _Batch(_cache_of(output), mask.long()).select(index.tolist())
        return state, output.logits[:, -1, :][index]

    def _advance(self, rows: list[Row], logits: Any, finished: list[Row]) -> list[int]:
        """Pick each row's next token from its logits, mark finished rows; returns the indices still going."""
        import torch

        scores = logits.float()
        if self.settings.min_new_tokens:
            young = [i for i, row in enumerate(rows) if len(row.tokens) < self.settings.min_new_tokens]
            if young:
                rows_index = torch.tensor(young, device=scores.device).unsqueeze(1)
                scores[rows_index, _ids(self._eos, scores).unsqueeze(0)] = float("-inf")
        if self.settings.temperature > 0:
            tokens = draw_tokens(scores, [row.rng for row in rows], self.settings.temperature, self.settings.top_p)
        else:
            tokens = scores.argmax(-1)
        kept = []
        for i, (row, token) in enumerate(zip(rows, tokens.tolist())):
            row.tokens.append(token)
            if token in self._eos:
                row.finish = "eos"
            elif self.stop_rule is not None and self.stop_rule(row.tokens):
                row.finish = "stop"
            elif len(row.tokens) >= self.settings.max_new_tokens:
                row.finish = "length"
            if row.finish is None:
                kept.append(i)
            else:
                finished.append(row)
        return kept


def _ids(ids: set[int], like: Any) -> Any:
    import torch

    return torch.tensor(sorted(ids), device=like.device)


def _logits_to_keep(model: Any) -> dict[str, Any]:
    import inspect

    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}


def _cache_argument(model: Any) -> str:
    import inspect

    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"  # renamed "cache" in later transformers


def _cache_of(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


class _Batch:
    """The active rows' key/value cache and attention mask (rows left-padded to one length)."""

    def __init__(self, cache: Any, mask: Any) -> None:
        self.cache = cache
        self.mask = mask  # [rows, length] of 0/1

    def select(self, index: list[int]) -> "_Batch":
        """Only the rows in `index` (in that order), with all-padding leading columns cut."""
        import torch

        if index == list(range(self.mask.shape[0])):
            return self
        where = torch.tensor(index, device=self.mask.device, dtype=torch.long)
        mask = self.mask.index_select(0, where)
        cut = int((mask.cumsum(-1) == 0).all(0).sum()) if mask.shape[0] else 0
        for layer in self.cache.layers:
            layer.keys = layer.keys.index_select(0, where)[:, :, cut:]
            layer.values = layer.values.index_select(0, where)[:, :, cut:]
        return _Batch(self.cache, mask[:, cut:])

    def join(self, other: "_Batch") -> "_Batch":
        """Both batches' rows in one cache: the shorter one is left-padded to the longer's length."""
        import torch

        length = max(self.mask.shape[1], other.mask.shape[1])
        masks = []
        for batch in (self, other):
            pad = length - batch.mask.shape[1]
            masks.append(torch.nn.functional.pad(batch.mask, (pad, 0)))
        for mine, theirs in zip(self.cache.layers, other.cache.layers):
            for name in ("keys", "values"):
                a, b = getattr(mine, name), getattr(theirs, name)
                a = torch.nn.functional.pad(a, (0, 0, length - a.shape[2], 0))
                b = torch.nn.functional.pad(b, (0, 0, length - b.shape[2], 0))
                setattr(mine, name, torch.cat([a, b], 0))
        return _Batch(self.cache, torch.cat(masks, 0))

    def step(self, model: Any, last_tokens: list[int]) -> Any:
        """Feed each row its last token; returns the next-token logits [rows, vocab]."""
        import torch

        device = self.mask.device
        positions = self.mask.sum(-1, keepdim=True)  # the new token's position: count of real tokens before it
        self.mask = torch.cat([self.mask, torch.ones((self.mask.shape[0], 1), dtype=self.mask.dtype, device=device)], 1)
        output = model(
            input_ids=torch.tensor(last_tokens, device=device).unsqueeze(1), attention_mask=self.mask,
            position_ids=positions, use_cache=True, **{_cache_argument(model): self.cache},
        )
        self.cache = _cache_of(output)
        return output.logits[:, -1, :]
