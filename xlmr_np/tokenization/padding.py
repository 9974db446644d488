"""Padding rows of a batch to a common length.

Strategies (the ``padding=`` argument): ``False`` / ``"do_not_pad"``; ``True`` / ``"longest"``
(pad to the longest row); ``"max_length"`` (pad to ``max_length``; longer rows stay as they are).
``pad_to_multiple_of`` then rounds the target length up. Padding goes on ``padding_side``.

Pad values per field: ``input_ids`` the pad id, ``attention_mask`` 0, ``token_type_ids`` 0,
``special_tokens_mask`` 1 (padding counts as special), ``offset_mapping`` ``(0, 0)``.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from ..errors import InputError

DO_NOT_PAD = "do_not_pad"
LONGEST = "longest"
MAX_LENGTH = "max_length"


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
    target = max(row_lengths, default=0) if strategy == LONGEST else max_length
    if target is None:
        return None
    if multiple_of and target % multiple_of:
        target = (target // multiple_of + 1) * multiple_of
    return target


def pad_rows(fields: Dict[str, List[list]], pad_values: Dict[str, object], target: int, side: str) -> None:
    """Pad every row of every field in ``fields`` (in place) to ``target`` items on ``side``."""
    for name, rows in fields.items():
        value = pad_values[name]
        for index, row in enumerate(rows):
            missing = target - len(row)
            if missing > 0:
                rows[index] = row + [value] * missing if side == "right" else [value] * missing + row
