"""Padding rows of a batch to a common length.

Strategies (the ``padding=`` argument): ``False`` / ``"do_not_pad"``; ``True`` / ``"longest"``
(pad to the longest row); ``"max_length"`` (pad to ``max_length``; longer rows stay as they are).
``pad_to_multiple_of`` then rounds the target length up. Padding goes on ``padding_side``.
Rows are padded to at most :data:`MAX_PADDED_LENGTH` tokens.

Pad values per field: ``input_ids`` the pad id, ``attention_mask`` 0, ``token_type_ids`` 0,
``special_tokens_mask`` 1 (padding counts as special), ``offset_mapping`` ``(0, 0)``.
"""

from __future__ import annotations

from typing import Dict, List, Optional

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
            missing = target - len(row)
            if missing > 0:
                rows[index] = row + [value] * missing if side == "right" else [value] * missing + row
