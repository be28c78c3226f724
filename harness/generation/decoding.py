"""Decoding pieces plugged into transformers' generate: a per-row sampler and a stop-string rule.

Both are plain callables with the (input_ids, scores) signature that generate's processor and
criteria lists call; torch is imported inside the calls, never at import time.
"""
from __future__ import annotations

import hashlib
import random
from typing import Any, Sequence


def derive_seed(seed: int, *parts: object) -> int:
    """A 63-bit seed from the run seed and parts (problem id, sample index); stable across processes."""
    text = ":".join(str(part) for part in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & (2**63 - 1)


class RowSampler:
    """Temperature then nucleus (top-p) sampling, with one random stream per row.

    Used as the last logits processor of a *greedy* generate call: it draws each row's token
    from that row's own stream and returns scores that are 0 at the drawn token and -inf
    elsewhere, so the greedy step picks it. A row's tokens thus depend only on its seed and its
    own logits, never on which other rows share its batch. Draws use inverse-CDF sampling with
    uniforms from Python's Mersenne Twister, so they do not depend on the device either.
    """

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float) -> None:
        if temperature <= 0:
            raise ValueError("RowSampler needs temperature > 0")
        self.rngs = [random.Random(seed) for seed in seeds]
        self.temperature = temperature
        self.top_p = top_p

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        tokens = draw_tokens(scores, self.rngs, self.temperature, self.top_p).unsqueeze(1)
        chosen = torch.full_like(scores, float("-inf"))
        return chosen.scatter_(1, tokens, 0.0)


def draw_tokens(scores: Any, rngs: Sequence[random.Random], temperature: float, top_p: float) -> Any:
    """One token id per row of `scores` [rows, vocab]: temperature then top-p, row i drawing from rngs[i]."""
    import torch

    probs = torch.softmax(scores.float() / temperature, dim=-1)
    order = None
    if top_p < 1.0:
        probs, order = _nucleus(probs, top_p)
    cdf = probs.cumsum(-1)
    uniforms = torch.tensor([rng.random() for rng in rngs], dtype=cdf.dtype, device=cdf.device)
    pick = torch.searchsorted(cdf, (uniforms.unsqueeze(1) * cdf[:, -1:]).contiguous(), right=True)
    pick = pick.clamp_(max=cdf.shape[-1] - 1)
    return (pick if order is None else order.gather(1, pick)).squeeze(1)


def _nucleus(probs: Any, top_p: float) -> tuple[Any, Any]:
    """(probabilities in descending order with the tokens outside the top-p nucleus zeroed, their token ids).

    Only the top k tokens are sorted, k growing until every row's nucleus fits in them (a full
    sort of a large vocabulary costs as much as a forward pass on a CPU); tokens beyond the
    nucleus would be zeroed anyway, so the result is that of a full sort.
    """
    k = min(64, probs.shape[-1])
    while True:
        top, order = probs.topk(k, dim=-1)
        cumulative = top.cumsum(-1)
        if k == probs.shape[-1] or bool((cumulative[:, -1] >= top_p).all()):
            break
        k = min(probs.shape[-1], k * 8)
    mass_before = cumulative - top  # probability of the strictly more likely tokens
    return top.masked_fill(mass_before >= top_p, 0.0), order  # the most likely token always stays


class StopOnStrings:
    """Stops a sequence once its generated text (the prompt excluded) contains a stop string.

    Stateless: each call decodes only the last few tokens of every sequence (enough to hold the
    longest stop string), so a stop string is caught on the step that completes it. Finished
    sequences are then padded by generate; the caller cuts the text at the first stop string.
    """

    def __init__(self, tokenizer: Any, stops: Sequence[str], prompt_length: int) -> None:
        self.tokenizer = tokenizer
        self.stops = tuple(stop for stop in stops if stop)
        self.prompt_length = prompt_length
        self.window = max((len(stop.encode()) for stop in self.stops), default=0) + 2

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        start = max(self.prompt_length, input_ids.shape[1] - self.window)
        tails = self.tokenizer.batch_decode(input_ids[:, start:].tolist(), skip_special_tokens=True)
        hits = [any(stop in tail for stop in self.stops) for tail in tails]
        return torch.tensor(hits, dtype=torch.bool, device=input_ids.device)


class RowStopRule:
    """Whether one row's generated tokens end it: a stop string, or (chat replies) a closed code block.

    Decodes only the row's last few tokens on each call; the whole text is decoded only when
    that tail holds a fence, to check that it closes the reply's first code block.
    """

    def __init__(self, tokenizer: Any, stops: Sequence[str], code_block_end: bool) -> None:
        self.tokenizer = tokenizer
        self.stops = tuple(stop for stop in stops if stop)
        self.code_block_end = code_block_end
        self.window = max([len(stop.encode()) for stop in self.stops] + [3]) + 2

    @property
    def active(self) -> bool:
        return bool(self.stops) or self.code_block_end

    def __call__(self, tokens: Sequence[int]) -> bool:
        from harness.generation.extract import code_block_closed

        tail = self.tokenizer.decode(list(tokens[-self.window:]), skip_special_tokens=True)
        if any(stop in tail for stop in self.stops):
            return True
        if self.code_block_end and "```" in tail:
            return code_block_closed(self.tokenizer.decode(list(tokens), skip_special_tokens=True))
        return False
