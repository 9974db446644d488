"""Reshaping the next-token distribution before sampling: temperature, top-k, top-p.

Each warper takes scores (batch, vocab) and returns new scores; removed tokens get -inf, so
their probability after the softmax is exactly 0. They are applied in the reference's order
(temperature, then top-k, then top-p) and only when sampling, as in transformers' generate.
"""

from __future__ import annotations

from ..backend import namespace
from ..modeling.attention import softmax


class TemperatureLogitsWarper:
    """scores / temperature: below 1 sharpens the distribution, above 1 flattens it."""

    def __init__(self, temperature: float):
        self.temperature = float(temperature)

    def __call__(self, scores):  # (batch, vocab) -> (batch, vocab)
        return scores / self.temperature


class TopKLogitsWarper:
    """Keep the ``top_k`` highest scores of each row (and any tied with the k-th), -inf the rest."""

    def __init__(self, top_k: int, min_tokens_to_keep: int = 1):
        self.top_k = max(int(top_k), min_tokens_to_keep)

    def __call__(self, scores):  # (batch, vocab) -> (batch, vocab)
        xp = namespace(scores)
        k = min(self.top_k, scores.shape[-1])
        kth_largest = -xp.partition(-scores, k - 1, axis=-1)[:, k - 1:k]  # (batch, 1)
        return xp.where(scores < kth_largest, -xp.inf, scores)


class TopPLogitsWarper:
    """Nucleus filtering: keep the smallest set of most likely tokens whose probability reaches top_p.

    Sorted ascending, a token is removed when the probability of it and every less likely token
    together is at most ``1 - top_p``; the ``min_tokens_to_keep`` most likely always stay.
    """

    def __init__(self, top_p: float, min_tokens_to_keep: int = 1):
        self.top_p = float(top_p)
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, scores):  # (batch, vocab) -> (batch, vocab)
        xp = namespace(scores)
        order = xp.argsort(scores, axis=-1)  # ascending
        sorted_scores = xp.take_along_axis(scores, order, axis=-1)  # (batch, vocab)
        cumulative = xp.cumsum(softmax(sorted_scores), axis=-1)  # mass of this token and all below it
        remove_sorted = cumulative <= (1.0 - self.top_p)
        remove_sorted[:, scores.shape[-1] - self.min_tokens_to_keep:] = False
        # Back from sorted order to vocabulary order: rank[v] is where token v sits in `order`.
        rank = xp.argsort(order, axis=-1)
        remove = xp.take_along_axis(remove_sorted, rank, axis=-1)
        return xp.where(remove, -xp.inf, scores)


def sampling_warpers(temperature: float, top_k: int | None, top_p: float, min_tokens_to_keep: int = 1):
    """The reference's warper list for sampling (``_get_logits_warper``): each only when active."""
    warpers = []
    if temperature is not None and temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(temperature))
    if top_k is not None and top_k != 0:
        warpers.append(TopKLogitsWarper(top_k, min_tokens_to_keep))
    if top_p is not None and top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p, min_tokens_to_keep))
    return warpers


def apply_warpers(warpers, scores):
    for warper in warpers:
        scores = warper(scores)
    return scores
