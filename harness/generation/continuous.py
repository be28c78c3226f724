"""Continuous batching for any Hugging Face causal LM: finished rows leave at once, waiting rows join.

A static batch runs until its longest row ends, so every row that finished early (end of text,
a stop string, the end of a code block) keeps costing a full forward step. Here the decoder
owns the loop: after every step, finished rows are removed from the batch and from the
key/value cache, and waiting rows (prefilled in small groups, a prompt's samples sharing one
prefill) take their places, so a step only ever computes rows that still produce tokens.

The cache is a transformers DynamicCache whose layers hold [batch, heads, length, dim] tensors.
Rows of different lengths are left-padded inside it (attention mask 0, position ids counted
from each row's first real token), exactly as a padded static batch is. Its layers keep their
keys and values in buffers with room for _SPARE_TOKENS more tokens, so a decode step writes one
column in place (DynamicLayer's torch.cat copies the whole cache every step, which at batch 64
costs as much as the attention itself). Finished rows are removed in batches (see run): the
rebuilt buffers hold the rows that remain and those that join, without the columns that are
padding for all of them. Models whose cache is not
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
from typing import Any, Callable, Iterable, Iterator, Sequence

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
    max_context: int | None = None  # the model's context (None: unknown); the batch never grows wider


# A stop rule sees a row's generated tokens and says whether the row is done (stop strings, code block end).
StopRule = Callable[[Sequence[int]], bool]


@dataclass
class StepStats:
    """Counters for progress and benchmarks: computed row-steps, prefill tokens, wall time."""

    row_steps: int = 0
    prefill_tokens: int = 0
    live_tokens: int = 0  # tokens generated so far by the rows still in the batch
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
        self._forward_options = _logits_to_keep(model)
        self._cache_name = _cache_argument(model)

    def run(self, rows: Iterable[Row], on_step: Callable[[StepStats], None] | None = None) -> Iterator[list[Row]]:
        """Generate every row, in order of admission; yields the rows that finished at each step.

        Rows are taken from `rows` only as places free up (and one ahead, to know whether any is
        left), so a caller can make them lazily; the decoder keeps no row once it has finished.

        The batch's slots are rows in cache order; a finished row's slot becomes None and is
        removed at the next compaction: when waiting rows join (one copy of the cache does both),
        or, with nobody waiting, once an eighth of the slots are finished (a copy of the whole
        cache costs about one decode step, so compacting after every finished row would cost more
        than the finished rows it saves) or the batch is as wide as the model's context. Finished
        slots are fed a token like the others; their logits are never looked at and their random
        streams never drawn from.
        """
        import torch

        waiting = _Waiting(rows)
        slots: list[Row | None] = []
        state: _Batch | None = None
        with torch.inference_mode():
            while waiting or slots:
                finished: list[Row] = []
                live = [i for i, row in enumerate(slots) if row is not None]
                free = self.settings.batch_size - len(live)
                if free > 0 and waiting:
                    joining = waiting.take(free)
                    prefill, prompt_index, logits = self._prefill(joining)
                    kept = self._advance(joining, logits, finished)
                    # every joining row may end at its first token (EOS, a stop string, a 1-token limit)
                    state = _Batch.merge(state, live, prefill, [prompt_index[i] for i in kept]) if live or kept else None
                    slots = [slots[i] for i in live] + [joining[i] for i in kept]
                if any(row is not None for row in slots):
                    assert state is not None
                    logits = state.step(self.model, [row.tokens[-1] if row else 0 for row in slots], self._cache_name)
                    self.stats.row_steps += len(slots)
                    live = [i for i, row in enumerate(slots) if row is not None]
                    if len(live) < len(slots):
                        logits = logits[torch.tensor(live, device=logits.device)]
                    going = self._advance([slots[i] for i in live], logits, finished)
                    for position in set(range(len(live))) - set(going):
                        slots[live[position]] = None
                live = [i for i, row in enumerate(slots) if row is not None]
                if not live:
                    slots, state = [], None
                elif not waiting and (len(slots) - len(live) >= max(1, len(slots) // 8) or self._full_width(state)):
                    assert state is not None
                    state = _Batch.merge(state, live, None, [])
                    slots = [slots[i] for i in live]
                if on_step is not None:
                    self.stats.live_tokens = sum(len(row.tokens) for row in slots if row is not None)
                    on_step(self.stats)
                if finished:
                    yield finished

    def _full_width(self, state: "_Batch | None") -> bool:
        """Would the next step make the batch wider than the model's context? Only a finished row still
        in the batch can widen it that far (a live row's prompt leaves room for its new tokens), and
        learned position embeddings (GPT-Neo) or a causal mask buffer of the context's size fail there."""
        context = self.settings.max_context
        return state is not None and context is not None and state.mask.shape[1] >= context

    def _prefill(self, rows: list[Row]) -> tuple["_Batch", list[int], Any]:
        """(the cache of rows' distinct prompts, each row's prompt index, each row's last-position logits).

        Rows sharing a prompt (a problem's samples) share one prefill."""
        import torch

        prompts = list(dict.fromkeys(row.prompt for row in rows))
        encoded = self.tokenizer(
            prompts, padding=True, return_tensors="pt", add_special_tokens=self.settings.add_special_tokens
        ).to(self.model.device)
        mask = encoded.attention_mask
        output = self.model(
            input_ids=encoded.input_ids, attention_mask=mask, position_ids=(mask.long().cumsum(-1) - 1).clamp(min=0),
            use_cache=True, **self._forward_options,
        )
        self.stats.prefill_tokens += int(mask.sum())
        index = [prompts.index(row.prompt) for row in rows]
        logits = output.logits[:, -1, :][torch.tensor(index, device=mask.device)]
        return _Batch(_cache_of(output), mask.long()), index, logits

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


class _Waiting:
    """The rows not yet admitted, pulled from the caller's iterable one ahead of need."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self._rows = iter(rows)
        self._next: Row | None = next(self._rows, None)

    def __bool__(self) -> bool:
        return self._next is not None

    def take(self, count: int) -> list[Row]:
        taken: list[Row] = []
        while self._next is not None and len(taken) < count:
            taken.append(self._next)
            self._next = next(self._rows, None)
        return taken


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


# Room for this many more tokens is reserved in every cache buffer, so a decode step writes its
# new keys and values in place instead of copying the whole cache (torch.cat) as DynamicLayer does.
_SPARE_TOKENS = 64


def _growing_layer_class() -> type:
    """A DynamicLayer whose keys/values are views of buffers with spare room at the end (built once)."""
    global _GROWING_LAYER
    if _GROWING_LAYER is None:
        from transformers.cache_utils import DynamicLayer

        class GrowingLayer(DynamicLayer):
            def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
                length, extra = self.keys.shape[-2], key_states.shape[-2]
                if length + extra > self.key_buffer.shape[-2]:
                    self.key_buffer = _with_room(self.keys, length + extra + _SPARE_TOKENS)
                    self.value_buffer = _with_room(self.values, length + extra + _SPARE_TOKENS)
                self.key_buffer[:, :, length:length + extra].copy_(key_states)
                self.value_buffer[:, :, length:length + extra].copy_(value_states)
                self.keys = self.key_buffer[:, :, :length + extra]
                self.values = self.value_buffer[:, :, :length + extra]
                return self.keys, self.values

        _GROWING_LAYER = GrowingLayer
    return _GROWING_LAYER


_GROWING_LAYER: type | None = None


def _with_room(tensor: Any, capacity: int) -> Any:
    """A zeroed [rows, heads, capacity, dim] buffer that starts with `tensor`."""
    import torch

    rows, heads, length, dim = tensor.shape
    buffer = torch.zeros((rows, heads, capacity, dim), dtype=tensor.dtype, device=tensor.device)
    buffer[:, :, :length].copy_(tensor)
    return buffer


class _Batch:
    """The batch's key/value cache and attention mask (rows left-padded to one length)."""

    def __init__(self, cache: Any, mask: Any) -> None:
        self.cache = cache
        self.mask = mask  # [rows, length] of 0/1

    @staticmethod
    def merge(old: "_Batch | None", keep: list[int], new: "_Batch | None", new_rows: list[int]) -> "_Batch":
        """One batch of old's rows `keep` then new's rows `new_rows` (indices may repeat: shared prompts).

        Written once into fresh buffers with spare room: rows are left-padded to the longest, and
        columns that would be padding for every row are left out."""
        import torch

        parts = [(batch, rows) for batch, rows in ((old, keep), (new, new_rows)) if batch is not None and rows]
        assert parts, "a merge needs rows"
        indices = [torch.tensor(rows, device=batch.mask.device) for batch, rows in parts]
        masks, starts = [], []
        for (batch, _), index in zip(parts, indices):
            mask = batch.mask.index_select(0, index)
            start = int((mask.cumsum(-1) == 0).all(0).sum())  # leading columns that are padding for all these rows
            masks.append(mask[:, start:])
            starts.append(start)
        length = max(mask.shape[1] for mask in masks)
        mask = torch.cat([torch.nn.functional.pad(m, (length - m.shape[1], 0)) for m in masks], 0)
        cache = parts[0][0].cache
        layer_class = _growing_layer_class()
        rows_total = sum(len(rows) for _, rows in parts)
        for depth, layer in enumerate(cache.layers):
            for name in ("keys", "values"):
                pieces = [getattr(batch.cache.layers[depth], name) for batch, _ in parts]
                buffer = pieces[0].new_zeros((rows_total, pieces[0].shape[1], length + _SPARE_TOKENS, pieces[0].shape[3]))
                first = 0
                for (batch, rows), piece, start, index in zip(parts, pieces, starts, indices):
                    span = piece.shape[2] - start
                    buffer[first:first + len(rows), :, length - span:length].copy_(piece[:, :, start:].index_select(0, index))
                    first += len(rows)
                setattr(layer, "key_buffer" if name == "keys" else "value_buffer", buffer)
                setattr(layer, name, buffer[:, :, :length])
            layer.__class__ = layer_class
        return _Batch(cache, mask)

    def step(self, model: Any, last_tokens: list[int], cache_name: str) -> Any:
        """Feed each row its last token; returns the next-token logits [rows, vocab]."""
        import torch

        device = self.mask.device
        positions = self.mask.sum(-1, keepdim=True)  # the new token's position: count of real tokens before it
        self.mask = torch.cat([self.mask, torch.ones((self.mask.shape[0], 1), dtype=self.mask.dtype, device=device)], 1)
        output = model(
            input_ids=torch.tensor(last_tokens, device=device).unsqueeze(1), attention_mask=self.mask,
            position_ids=positions, use_cache=True, **{cache_name: self.cache},
        )
        self.cache = _cache_of(output)
        return output.logits[:, -1, :]
