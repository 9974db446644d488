"""Checks on forward inputs, run before any lookup, with messages that name the problem.

NumPy raises on an out-of-range index deep inside ``take``; CuPy silently wraps it and reads
the wrong row. Both are worse than a sentence saying which id at which position broke which
limit, so every index the model will look up is checked here first.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

from ..backend import namespace, to_backend
from ..errors import InputError


def is_int(value) -> bool:
    """A Python or NumPy integer, not a bool (an index, count or seed given as an argument)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_backend_array(value, name: str, backend_name: str, kind: str, dtype=None):
    """Convert ``value`` (list, NumPy or CuPy array) to the model's backend; ``kind`` is 'int' or 'float'."""
    if value is None:
        return None
    try:
        array = to_backend(value, backend_name)
    except (ValueError, TypeError) as error:
        raise InputError(f"{name} could not be read as an array: {error}") from None
    if kind == "int":
        if array.dtype.kind == "b":
            array = array.astype("int64")
        if array.dtype.kind not in "iu":
            raise InputError(f"{name} must hold integers, got dtype {array.dtype}")
        return array.astype("int64", copy=False)
    if array.dtype.kind not in "fiub":
        raise InputError(f"{name} must hold numbers, got dtype {array.dtype}")
    return array.astype(dtype, copy=False) if dtype is not None else array


def id_sequences(sequences) -> list:
    """``encode_batch``'s sequences as a list; a single sequence, a single id or a tokenizer's output
    (a mapping) would otherwise fail inside the packing with a TypeError."""
    if isinstance(sequences, Mapping):
        raise InputError("encode_batch takes a list of id sequences, got a mapping (a tokenizer's output?); "
                         "pass its ['input_ids'] (and ['attention_mask'] for a padded batch)")
    if isinstance(sequences, (str, bytes)) or not isinstance(sequences, Iterable):
        raise InputError(f"encode_batch takes a list of id sequences, got {type(sequences).__name__}")
    sequences = list(sequences)
    for index, sequence in enumerate(sequences):
        if isinstance(sequence, numbers.Number) or getattr(sequence, "ndim", None) == 0:
            raise InputError(f"encode_batch takes a list of id sequences, but sequence {index} is a single "
                             f"number ({sequence!r}); for one sequence pass [ids]")
    return sequences


def check_ndim(array, name: str, ndims, meaning: str):
    if array is not None and array.ndim not in ndims:
        raise InputError(f"{name} must be {meaning}, got shape {tuple(array.shape)}")


def first_out_of_range(ids, low: int, high: int):
    """(position, value) of the first entry outside [low, high), or None."""
    xp = namespace(ids)
    bad = (ids < low) | (ids >= high)
    if not bool(xp.any(bad)):
        return None
    flat = int(xp.argmax(xp.reshape(bad, (-1,))))
    position = tuple(int(i) for i in divmod_shape(flat, ids.shape))
    return position, int(xp.reshape(ids, (-1,))[flat])


def divmod_shape(flat: int, shape):
    """Unravel a flat index (like numpy.unravel_index, on plain ints)."""
    position = []
    for size in reversed(shape):
        flat, index = divmod(flat, size)
        position.append(index)
    return reversed(position)


def check_ids(ids, name: str, limit: int, limit_name: str, hint: str = ""):
    found = first_out_of_range(ids, 0, limit)
    if found is not None:
        position, value = found
        raise InputError(f"{name} has id {value} at position {position}, outside "
                         f"[0, {limit_name}={limit}){hint}")


def check_same_shape(array, name: str, shape, reference_name: str):
    if array is not None and tuple(array.shape) != tuple(shape):
        raise InputError(f"{name} has shape {tuple(array.shape)}, but {reference_name} has shape {tuple(shape)}")


def check_position_limit(config, seq_length: int, past_length: int, from_input_ids: bool):
    """The longest input the position table (absolute) or distance table (relative) allows."""
    max_positions = config.max_position_embeddings
    if config.position_embedding_type == "absolute":
        # Positions run padding_idx + 1 .. padding_idx + past + seq; pads keep padding_idx.
        used = seq_length + (past_length if from_input_ids else 0)
        allowed = max_positions - config.pad_token_id - 1
        if used > allowed:
            cached = f" ({past_length} cached + {seq_length} new)" if from_input_ids and past_length else ""
            raise InputError(
                f"sequence of {used} tokens{cached} is too long: the position table has "
                f"max_position_embeddings={max_positions} rows and real tokens start after "
                f"padding_idx={config.pad_token_id}, so at most {allowed} tokens fit; "
                f"truncate the input or split it into windows")
    else:
        used = seq_length + past_length
        if used > max_positions:
            raise InputError(
                f"sequence of {used} tokens is too long for {config.position_embedding_type} "
                f"attention: distances are embedded only up to max_position_embeddings={max_positions}")


def check_finite(array, name: str, dtype=None):
    """InputError naming the first NaN or inf in a float input (they would spread to every output)."""
    if array is None or array.dtype.kind != "f":
        return
    xp = namespace(array)
    finite = xp.isfinite(array)
    if not bool(finite.all()):
        position = tuple(int(i) for i in xp.argwhere(~finite)[0])
        hint = " (float16 holds at most 65504 in magnitude)" if dtype == "float16" else ""
        raise InputError(f"{name} holds a non-finite value ({float(array[position])}) at position "
                         f"{position}{hint}")


def check_binary(mask, name: str):
    """InputError naming the first mask value other than 0 or 1: the additive mask is
    (1 - mask) * dtype-min, so 2 would become a huge *positive* score and -1 overflow to -inf."""
    if mask is None:
        return
    xp = namespace(mask)
    bad = (mask != 0) & (mask != 1)
    if bool(xp.any(bad)):
        position = tuple(int(i) for i in xp.argwhere(bad)[0])
        raise InputError(f"{name} holds {float(mask[position])} at position {position}; use 1 for the "
                         f"tokens to attend to and 0 for the ones to ignore")


def non_finite_message(hidden_states, dtype) -> str:
    """Where NaN/inf first appear: ``hidden_states`` is (embedding output, layer 0 output, ...)."""
    xp = namespace(hidden_states[0])
    where = next((index for index, states in enumerate(hidden_states)
                  if not bool(xp.isfinite(states).all())), None)
    hint = "do the checkpoint's weights hold NaN or inf, or are the inputs extreme?"
    if dtype == "float16":
        hint = f"float16 overflows beyond 65504, so try dtype='float32'; or {hint[3:]}"
    if where is None:
        return f"non-finite values (NaN or inf) appear in the encoder output ({hint})"
    if where == 0:
        return f"non-finite values (NaN or inf) first appear in the embeddings output ({hint})"
    return (f"non-finite values (NaN or inf) first appear in the output of encoder layer {where - 1} "
            f"(of {len(hidden_states) - 1}, counting from 0; {hint})")
