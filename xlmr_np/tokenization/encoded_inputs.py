"""What ``XLMRobertaTokenizer.pad`` takes: encoded examples in any of transformers' forms.

One example or a batch, as a ``BatchEncoding`` / dict of lists or as a list of dicts (collated
by the first one's keys, as transformers does), with values as lists, NumPy arrays or tensors
(anything with ``tolist()``: torch is never imported). These helpers turn them into one dict of
plain lists, checking ids and row lengths with messages that name the example and the field.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Dict, List, Tuple

import numpy as np

from ..errors import InputError


def is_array_like(value) -> bool:
    """A NumPy array or scalar, or a tensor (torch, ...): anything but Python containers with ``tolist()``."""
    return hasattr(value, "tolist") and not isinstance(value, (list, tuple, str, bytes))


def as_python(value):
    """An array or tensor as (nested) lists, a tuple as a list; rows of a list converted the same way."""
    if is_array_like(value):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [item.tolist() if is_array_like(item) else item for item in value]
    return value


def pad_input_fields(encoded_inputs, main: str) -> Tuple[Dict[str, object], bool]:
    """``pad()``'s input as one dict of fields (a list of examples collated by the first one's keys),
    arrays turned into lists; also whether ``main`` came as arrays or tensors."""
    if isinstance(encoded_inputs, (list, tuple)):
        if not encoded_inputs:
            raise InputError("pad() got an empty list; pass a list of encoded examples (dicts with 'input_ids')")
        for index, example in enumerate(encoded_inputs):
            if not isinstance(example, Mapping):
                raise InputError(
                    f"pad() takes a dict / BatchEncoding or a list of them, but item {index} is a {type(example).__name__}: {example!r:.80}"
                )
        keys = list(encoded_inputs[0].keys())
        for index, example in enumerate(encoded_inputs):
            for key in keys:
                if key not in example:
                    raise InputError(f"example {index} has no {key!r}, which example 0 has; every example needs the same fields")
        fields = {key: [example[key] for example in encoded_inputs] for key in keys}
    elif isinstance(encoded_inputs, Mapping):
        fields = dict(encoded_inputs.items())
    else:
        raise InputError(
            f"pad() takes a dict / BatchEncoding or a list of them, got {type(encoded_inputs).__name__}: {encoded_inputs!r:.80}"
        )
    if main not in fields:
        raise InputError(f"pad() needs {main!r} in every example; the fields given are {list(fields)}")
    ids = fields[main]
    from_arrays = is_array_like(ids) or (isinstance(ids, (list, tuple)) and any(is_array_like(row) for row in ids[:1]))
    for key, value in fields.items():
        if key in _PADDED_FIELDS or from_arrays:  # other fields stay as given unless input_ids were arrays (transformers)
            fields[key] = as_python(value)
    if not isinstance(fields[main], list):
        raise InputError(f"{main!r} must be a list of ids, a list of such lists, or an array, got {type(ids).__name__}: {ids!r:.80}")
    return fields, from_arrays


_PADDED_FIELDS = ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask")


def padded_field_rows(fields: Dict[str, object], keys: List[str], main: str, batched: bool) -> Dict[str, List[List[int]]]:
    """The fields ``keys`` (``main`` first) as rows of ints, one row for a single example; checks
    that a batch's every field has one item per example and that each row is as long as ``main``'s."""
    ids = fields[main]
    if batched:
        for key, value in fields.items():
            size = len(value) if hasattr(value, "__len__") and not isinstance(value, (str, bytes)) else None
            if size != len(ids):
                what = f"{size} items" if size is not None else f"a {type(value).__name__}"
                raise InputError(f"{key!r} has {what} but {main!r} has {len(ids)} examples; every field needs one item per example")
    rows = {main: id_rows(ids if batched else [ids], main, batched)}
    lengths = [len(row) for row in rows[main]]
    for key in keys:
        if key == main:
            continue
        rows[key] = id_rows(fields[key] if batched else [fields[key]], key, batched)
        for index, (row, length) in enumerate(zip(rows[key], lengths)):
            if len(row) != length:
                where = f"example {index}: " if batched else ""
                raise InputError(f"{where}{key!r} has {len(row)} items but {main!r} has {length}; they must be equally long")
    return rows


def id_rows(rows, key: str, batched: bool) -> List[List[int]]:
    """Each row of a padded field as a new list of ints (NumPy integers taken too)."""
    out = []
    for index, row in enumerate(rows):
        where = f"example {index}: " if batched else ""
        if not isinstance(row, list):
            raise InputError(f"{where}{key!r} must be a list of ints, got {type(row).__name__}: {row!r:.80}")
        if all(type(item) is int for item in row):
            out.append(list(row))
            continue
        try:
            out.append([operator.index(item) for item in row])
        except TypeError:
            bad = next(item for item in row if not _is_index(item))
            raise InputError(f"{where}{key!r} must hold ints, got {type(bad).__name__}: {bad!r:.80}") from None
    return out


def _is_index(item) -> bool:
    try:
        operator.index(item)
    except TypeError:
        return False
    return True


def field_array(key: str, value) -> np.ndarray:
    """A field ``pad`` leaves as it is, as one array for ``return_tensors="np"`` (as transformers' ``np.asarray``)."""
    try:
        array = np.asarray(value)
    except ValueError:
        array = None
    if array is None or array.dtype == object:
        raise InputError(
            f"return_tensors='np' cannot make one array of {key!r}: its items have different shapes. pad() pads only "
            f"{', '.join(_PADDED_FIELDS)}; pad {key!r} yourself or leave it out"
        )
    if array.size == 0 and not is_array_like(value) and not any(is_array_like(row) for row in value):
        return array.astype(np.int64)  # empty rows of lists: int64, as the padded fields (NumPy: float64)
    return array
