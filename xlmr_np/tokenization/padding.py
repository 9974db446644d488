"""Padding rows of a batch to a common length.

Strategies (the ``padding=`` argument): ``False`` / ``"do_not_pad"``; ``True`` / ``"longest"``
(pad to the longest row); ``"max_length"`` (pad to ``max_length``; longer rows stay as they are).
``pad_to_multiple_of`` then rounds the target length up. Padding goes on ``padding_side``.
Rows are padded to at most :data:`MAX_PADDED_LENGTH` tokens.

Pad values per field: ``input_ids`` the pad id, ``attention_mask`` 0, ``token_type_ids`` 0,
``special_tokens_mask`` 1 (padding counts as special), ``offset_mapping`` ``(0, 0)``.
"""

from __future__ import annotations

import itertools
from typing import Dict, List, Optional

import numpy as np

from ..errors import InputError

DO_NOT_PAD = "do_not_pad"
LONGEST = "longest"
MAX_LENGTH = "max_length"

MAX_PADDED_LENGTH = 2**24
"""The largest ``max_length`` padding pads to, and the largest ``pad_to_multiple_of``: 16 777 216
tokens, more than any model's context (rows already longer are left as they are). A larger
target (``max_length=10**12``, or a huge ``pad_to_multiple_of``) is a mistake, and building the
rows would fail with a bare MemoryError or exhaust the machine's memory first."""


def resolve_strategy(padding) -> str:
    """Turn the ``padding=`` argument into ``do_not_pad``, ``longest`` or ``max_length``."""
    if padding is True:
        return LONGEST
    if padding is False or padding is None:
        return DO_NOT_PAD
    if isinstance(padding, str) and padding in (DO_NOT_PAD, LONGEST, MAX_LENGTH):
        return padding
    raise InputError(f"padding={padding!r} is not one of True, False, 'longest', 'max_length', 'do_not_pad'")


def target_length(strategy: str, row_lengths: List[int], max_length: Optional[int], multiple_of: Optional[int]) -> Optional[int]:
    """The length every row is padded to, or None for no padding."""
    if strategy == DO_NOT_PAD:
        return None
    longest = max(row_lengths, default=0)
    target = longest if strategy == LONGEST else max_length
    if target is None:
        return None
    if multiple_of and target % multiple_of:
        target = (target // multiple_of + 1) * multiple_of
    if target > longest:  # rows will grow: the requested length must be a sane one
        if strategy == MAX_LENGTH and max_length > MAX_PADDED_LENGTH:
            _refuse(f"max_length={max_length}", target)
        if multiple_of and multiple_of > MAX_PADDED_LENGTH:
            _refuse(f"pad_to_multiple_of={multiple_of}", target)
    return target


def _refuse(cause: str, target: int) -> None:
    raise InputError(
        f"padding with {cause} would make rows of {target} tokens; padding is limited to "
        f"{MAX_PADDED_LENGTH} (2**24) tokens per row. Lower max_length / pad_to_multiple_of, or truncate "
        "without padding='max_length'"
    )


def pad_rows(fields: Dict[str, List[list]], pad_values: Dict[str, object], target: int, side: str) -> None:
    """Pad every row of every field in ``fields`` (in place) to ``target`` items on ``side``."""
    for name, rows in fields.items():
        value = pad_values[name]
        for index, row in enumerate(rows):
            rows[index] = padded_row(row, target, value, side)


def padded_row(row: list, target: Optional[int], value, side: str) -> list:
    """``row`` with ``value`` added on ``side`` up to ``target`` items (the row itself if it is that long)."""
    missing = (target or 0) - len(row)
    if missing <= 0:
        return row
    return row + [value] * missing if side == "right" else [value] * missing + row


def pad_fields(fields: Dict[str, object], row_lengths: List[int], target: Optional[int],
               pad_values: Dict[str, object], side: str, as_arrays: bool) -> Dict[str, object]:
    """Each field padded to ``target`` (None: left as it is) on ``side``, keys in their order.

    A field is a list of rows, or an int: its value at every token (attention mask 1, token
    types 0), laid out here. With ``as_arrays``, when every row ends up one width, the fields come
    back as int64 arrays built straight from the rows (:func:`padded_array`, no padded lists);
    else as padded lists.
    """
    width = common_width(row_lengths, target)
    if as_arrays and width is not None:
        kept = kept_positions(row_lengths, width, side)  # (rows, width) bool
        return {key: filled_array(kept, value, pad_values[key]) if isinstance(value, int)
                else padded_array(value, kept, pad_values[key]) for key, value in fields.items()}
    lists = {key: [[value] * length for length in row_lengths] if isinstance(value, int) else value
             for key, value in fields.items()}
    if target is not None:
        pad_rows(lists, {key: pad_values[key] for key in lists}, target, side)
    return lists


def common_width(row_lengths: List[int], target: Optional[int]) -> Optional[int]:
    """The one length every row has after padding to ``target`` (None: no padding), or None when
    the rows keep different lengths (no padding, or rows longer than a ``max_length`` target)."""
    if not row_lengths:
        return None
    if target is None:
        return row_lengths[0] if min(row_lengths) == max(row_lengths) else None
    return target if max(row_lengths) <= target else None


def kept_positions(row_lengths: List[int], width: int, side: str) -> np.ndarray:  # (rows, width) bool
    """Where each row's items go in a (rows, width) array padded on ``side``: True there."""
    positions = np.arange(width)[None, :]  # (1, width)
    lengths = np.asarray(row_lengths, dtype=np.int64)[:, None]  # (rows, 1)
    return positions < lengths if side == "right" else positions >= width - lengths


def padded_array(rows: List[list], kept: np.ndarray, value: int) -> np.ndarray:  # (rows, width) int64
    """Rows of ints as one array, each row at its ``kept`` positions and ``value`` elsewhere: what
    :func:`pad_rows` then ``np.asarray`` give, without building the padded lists."""
    out = np.full(kept.shape, value, dtype=np.int64)
    out[kept] = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=int(kept.sum()))
    return out


def filled_array(kept: np.ndarray, value: int, pad_value: int) -> np.ndarray:  # (rows, width) int64
    """``value`` at the rows' positions and ``pad_value`` at their padding (attention mask, token types)."""
    return np.where(kept, value, pad_value).astype(np.int64)
