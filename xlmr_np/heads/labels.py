"""Checks on the labels a task model's forward receives, before any loss is computed.

A wrong shape or an id outside the classes would otherwise surface as a broadcast error or an
index error deep in the loss; these say which argument, which position and which limit.
"""

from __future__ import annotations

from ..backend import namespace
from ..errors import InputError
from ..losses import IGNORE_INDEX
from ..modeling.validation import as_backend_array, divmod_shape


def read_labels(value, name: str, backend_name: str):
    """Any array-like -> an array on the model's backend, dtype kept (ints, floats or bools)."""
    return as_backend_array(value, name, backend_name, "float")


def check_shape(array, name: str, allowed_shapes, meaning: str):
    if tuple(array.shape) not in [tuple(shape) for shape in allowed_shapes]:
        raise InputError(f"{name} has shape {tuple(array.shape)}, expected {meaning}")


def integer_labels(value, name: str, backend_name: str, allowed_shapes, meaning: str):
    """Integer labels (bools count as 0/1) of an allowed shape, as int64 on the model's backend."""
    array = read_labels(value, name, backend_name)
    if array.dtype.kind == "b":
        array = array.astype("int64")
    if array.dtype.kind not in "iu":
        raise InputError(f"{name} must hold integers, got dtype {array.dtype}")
    check_shape(array, name, allowed_shapes, meaning)
    return array.astype("int64", copy=False)


def class_ids(value, name: str, backend_name: str, allowed_shapes, meaning: str, num_classes: int,
              limit_name: str, ignore_index: int = IGNORE_INDEX):
    """Integer class ids of an allowed shape, each in [0, num_classes) or equal to ``ignore_index``."""
    array = integer_labels(value, name, backend_name, allowed_shapes, meaning)
    xp = namespace(array)
    bad = ((array < 0) | (array >= num_classes)) & (array != ignore_index)
    if bool(xp.any(bad)):
        flat = int(xp.argmax(xp.reshape(bad, (-1,))))
        position = tuple(divmod_shape(flat, array.shape))
        value = int(xp.reshape(array, (-1,))[flat])
        raise InputError(f"{name} has id {value} at position {position}, outside "
                         f"[0, {limit_name}={num_classes}) (use {ignore_index} to ignore a position)")
    return array


def token_class_ids(value, logits, backend_name: str, num_classes: int, limit_name: str):
    """``labels`` with one class id per token: shape (batch, seq) of ``logits`` (batch, seq, classes)."""
    shape = tuple(logits.shape[:2])
    return class_ids(value, "labels", backend_name, [shape], f"(batch, seq)={shape}", num_classes, limit_name)


def real_targets(value, name: str, backend_name: str, dtype, allowed_shapes, meaning: str):
    """Real-valued targets (regression values or 0/1 label indicators) in the model's dtype."""
    array = read_labels(value, name, backend_name)
    check_shape(array, name, allowed_shapes, meaning)
    return array.astype(dtype)
