"""Truncation of one sequence or a pair, and the overlapping windows of overflowing tokens.

Strategies (the ``truncation=`` argument):

* ``"longest_first"`` (also ``True``): remove tokens from the longer sequence of a pair,
  splitting the removal between both once they are equally long. The split follows the slow
  tokenizer; when the number of tokens to remove is odd and both sequences are long, the slow
  tokenizer keeps the extra token in the *first* sequence and the fast one in the second.
* ``"only_first"`` / ``"only_second"``: remove tokens from that sequence only.

``truncation_side`` says which end loses tokens (``"right"`` by default).

Overflow (``return_overflowing_tokens=True``) follows the fast tokenizer, which is what question
answering and long-document pipelines use: the truncated sequence is cut into windows of the
allowed length that overlap by ``stride`` tokens, and every window becomes its own row. The slow
tokenizer instead returns one flat ``overflowing_tokens`` list per example.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ..errors import InputError

LONGEST_FIRST = "longest_first"
ONLY_FIRST = "only_first"
ONLY_SECOND = "only_second"
DO_NOT_TRUNCATE = "do_not_truncate"
STRATEGIES = (LONGEST_FIRST, ONLY_FIRST, ONLY_SECOND, DO_NOT_TRUNCATE)


def resolve_strategy(truncation) -> str:
    """Turn the ``truncation=`` argument into one of :data:`STRATEGIES`."""
    if truncation is True:
        return LONGEST_FIRST
    if truncation is False or truncation is None:
        return DO_NOT_TRUNCATE
    if isinstance(truncation, str) and truncation in STRATEGIES:
        return truncation
    raise InputError(f"truncation={truncation!r} is not one of True, False, {', '.join(map(repr, STRATEGIES))}")


def _keep(length: int, remove: int, side: str) -> slice:
    """The slice that keeps a sequence of ``length`` tokens after removing ``remove`` from ``side``."""
    remove = max(remove, 0)
    return slice(0, length - remove) if side == "right" else slice(remove, length)


def _cannot_cut(length: int, excess: int, budget: int) -> bool:
    """Whether removing ``excess`` tokens from a sequence of ``length`` is refused (see :func:`truncate`)."""
    return length < excess or (length == excess and budget > 0)


def truncate(
    first_length: int,
    second_length: Optional[int],
    budget: int,
    strategy: str,
    side: str,
) -> Tuple[slice, Optional[slice]]:
    """Slices that keep at most ``budget`` tokens of a sequence (and of its pair).

    ``budget`` is ``max_length`` minus the special tokens. Working on lengths lets the caller
    cut ids, pieces and offsets alike. Raises :class:`InputError` when the strategy cannot reach
    the budget (the slow tokenizer logs an error and returns the sequence untruncated; the fast
    tokenizer raises). ``only_first`` / ``only_second`` must leave a token of the sequence they
    cut, except when the budget is 0: then it may go entirely, as in the fast tokenizer.
    """
    total = first_length + (second_length or 0)
    excess = total - budget
    keep_all_second = None if second_length is None else slice(0, second_length)
    if strategy == DO_NOT_TRUNCATE or excess <= 0:
        return slice(0, first_length), keep_all_second
    if second_length is None or strategy == ONLY_FIRST:
        if strategy == ONLY_FIRST and _cannot_cut(first_length, excess, budget):
            raise InputError(
                f"truncation='only_first' must remove {excess} tokens but the first sequence has only "
                f"{first_length}; use 'longest_first' or 'only_second', or a larger max_length"
            )
        return _keep(first_length, excess, side), keep_all_second
    if strategy == ONLY_SECOND:
        if _cannot_cut(second_length, excess, budget):
            raise InputError(
                f"truncation='only_second' must remove {excess} tokens but the second sequence has only "
                f"{second_length}; use 'longest_first' or 'only_first', or a larger max_length"
            )
        return slice(0, first_length), _keep(second_length, excess, side)
    # longest_first on a pair: the slow tokenizer's closed form.
    from_longer = min(abs(second_length - first_length), excess)
    shared = excess - from_longer
    if first_length > second_length:
        remove_first, remove_second = from_longer + shared // 2, shared - shared // 2
    else:
        remove_first, remove_second = shared // 2, from_longer + shared - shared // 2
    return _keep(first_length, remove_first, side), _keep(second_length, remove_second, side)


def overflow_windows(length: int, window: int, stride: int, side: str) -> List[slice]:
    """Cut a sequence of ``length`` tokens into windows of ``window`` tokens overlapping by ``stride``.

    Fast tokenizer rules: the first window is what plain truncation keeps (the start for
    ``side="right"``, the end for ``"left"``); each next window steps ``window - stride`` tokens
    further; the last one may be shorter.
    """
    if length <= window:
        return [slice(0, length)]
    if stride >= window:
        raise InputError(
            f"stride={stride} must be smaller than the {window} tokens each window keeps of the "
            f"truncated sequence; lower stride or raise max_length"
        )
    step = window - stride
    windows = []
    if side == "right":
        start = 0
        while True:
            stop = min(start + window, length)
            windows.append(slice(start, stop))
            if stop == length:
                return windows
            start += step
    stop = length
    while True:
        start = max(stop - window, 0)
        windows.append(slice(start, stop))
        if start == 0:
            return windows
        stop -= step
