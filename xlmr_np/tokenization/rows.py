"""From tokenised texts to output rows: what each row keeps, and the row's parallel lists.

An example (one text, or a text and its pair) becomes one row — or, with
``return_overflowing_tokens=True``, one row per overflow window. A row holds four lists of equal
length: ids, offset spans, the special-tokens mask and the sequence ids (0 or 1 for tokens of
the first or second text, None for special tokens), laid out as ``<s> A </s>`` or
``<s> A </s></s> B </s>``.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ..errors import InputError
from . import truncation as truncation_rules
from .alignment import Span

NO_SPAN: Span = (0, 0)
"""Offsets of special tokens, padding, and of all tokens when offsets were not computed."""


class EncodedText:
    """The tokens of one text before special tokens are added: ids and (if asked) spans."""

    __slots__ = ("ids", "spans")

    def __init__(self, ids: List[int], spans: Optional[List[Span]]):
        self.ids = ids
        self.spans = spans

    @classmethod
    def joined(cls, parts: List["EncodedText"]) -> "EncodedText":
        """The tokens of several words one after the other (each word's spans count from its own start)."""
        ids = [token_id for part in parts for token_id in part.ids]
        if parts and parts[0].spans is not None:
            return cls(ids, [span for part in parts for span in part.spans])
        return cls(ids, None)


class Row:
    """One output row: ids plus, parallel to them, offsets, special-tokens mask and sequence ids."""

    __slots__ = ("ids", "spans", "special_tokens_mask", "sequence_ids")

    def __init__(self, ids, spans, special_tokens_mask, sequence_ids):
        self.ids: List[int] = ids
        self.spans: List[Span] = spans
        self.special_tokens_mask: List[int] = special_tokens_mask
        self.sequence_ids: List[Optional[int]] = sequence_ids


def _spans(text: EncodedText, kept: slice, count: int) -> List[Span]:
    return text.spans[kept] if text.spans is not None else [NO_SPAN] * count


def build_row(
    first: EncodedText,
    kept_first: slice,
    second: Optional[EncodedText],
    kept_second: Optional[slice],
    cls_id: int,
    sep_id: int,
    add_special_tokens: bool,
) -> Row:
    """``<s> A </s>`` or ``<s> A </s></s> B </s>`` (just ``A`` / ``A B`` without special tokens).

    Written with list concatenation rather than token by token: this runs once per row of
    every batch, so it matters for throughput.
    """
    a = first.ids[kept_first]
    a_count = len(a)
    if add_special_tokens:
        ids = [cls_id] + a + [sep_id]
        spans = [NO_SPAN] + _spans(first, kept_first, a_count) + [NO_SPAN]
        special = [1] + [0] * a_count + [1]
        sequence = [None] + [0] * a_count + [None]
    else:
        ids, spans = a, _spans(first, kept_first, a_count)
        special, sequence = [0] * a_count, [0] * a_count
    if second is not None:
        b = second.ids[kept_second]
        b_count = len(b)
        if add_special_tokens:
            ids += [sep_id] + b + [sep_id]
            spans += [NO_SPAN] + _spans(second, kept_second, b_count) + [NO_SPAN]
            special += [1] + [0] * b_count + [1]
            sequence += [None] + [1] * b_count + [None]
        else:
            ids = ids + b
            spans = spans + _spans(second, kept_second, b_count)
            special += [0] * b_count
            sequence += [1] * b_count
    return Row(ids, spans, special, sequence)


def select_rows(
    first_length: int,
    second_length: Optional[int],
    special_count: int,
    strategy: str,
    max_length: Optional[int],
    stride: int,
    overflow: bool,
    side: str,
) -> List[Tuple[slice, Optional[slice]]]:
    """``[(kept part of the first text, kept part of the second or None), ...]``, one per row.

    Without overflow this is one row truncated as the slow tokenizer does; with overflow, one
    row per window of the truncated text (the fast tokenizer's rows).
    """
    keep_second = None if second_length is None else slice(0, second_length)
    if strategy == truncation_rules.DO_NOT_TRUNCATE or max_length is None:
        return [(slice(0, first_length), keep_second)]
    is_pair = second_length is not None
    if max_length < special_count:
        raise InputError(
            f"max_length={max_length} is smaller than the {special_count} special tokens "
            f"{'a pair' if is_pair else 'one text'} needs"
        )
    budget = max_length - special_count
    if not is_pair and strategy == truncation_rules.ONLY_SECOND:
        # Nothing to cut from: fine while the text fits (both references return it), an error otherwise.
        if first_length > budget:
            raise InputError(
                f"truncation='only_second' needs a text_pair: the text has {first_length} tokens, more than "
                f"the {budget} that max_length={max_length} leaves besides special tokens"
            )
        return [(slice(0, first_length), None)]
    if not overflow:
        return [truncation_rules.truncate(first_length, second_length, budget, strategy, side)]
    if is_pair and strategy == truncation_rules.LONGEST_FIRST:
        raise InputError(
            "return_overflowing_tokens=True with a pair of texts needs truncation='only_first' or "
            "'only_second' (as in transformers' slow tokenizer); 'longest_first' cannot say which text overflows"
        )
    if strategy == truncation_rules.ONLY_SECOND:
        window = budget - first_length
        if window <= 0 and second_length > window:
            raise InputError(
                f"truncation='only_second' leaves no room for the second text: max_length={max_length} holds "
                f"{budget} tokens besides special tokens and the first text already has {first_length}"
            )
        windows = truncation_rules.overflow_windows(second_length, window, stride, side)
        return [(slice(0, first_length), window_slice) for window_slice in windows]
    window = budget - (second_length or 0)
    if window <= 0 and first_length > window:
        raise InputError(
            f"truncation leaves no room for the first text: max_length={max_length} holds {budget} tokens "
            f"besides special tokens and the second text already has {second_length or 0}"
        )
    windows = truncation_rules.overflow_windows(first_length, window, stride, side)
    return [(window_slice, keep_second) for window_slice in windows]
