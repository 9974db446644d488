"""The training losses of the task heads, as plain functions on NumPy or CuPy arrays.

Each matches the torch function the reference calls (``CrossEntropyLoss``, ``MSELoss``,
``BCEWithLogitsLoss``, all with mean reduction) and is written to stay finite for any finite
input: log-probabilities come from a max-shifted log-sum-exp, never from ``log(softmax)``, and
the binary loss uses ``log1p(exp(-|x|))``, so logits of +-1e4 give exact losses instead of
inf or NaN. Every function is usable on its own; the task heads only add label checks.
"""

from __future__ import annotations

from .backend import namespace
from .errors import InputError

IGNORE_INDEX = -100


def log_softmax(logits, axis=-1):
    """log(softmax(logits)) = logits - max - log(sum(exp(logits - max))), finite for finite logits.

    float16 logits are summed in float32 (a sum of 250k exps can pass float16's 65504) and the
    result is cast back.
    """
    xp = namespace(logits)
    values = logits.astype(xp.float32) if logits.dtype == xp.float16 else logits
    peak = xp.max(values, axis=axis, keepdims=True)
    shifted = values - peak  # <= 0, so exp never overflows
    result = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
    return result.astype(logits.dtype, copy=False)


def _check_class_ids(labels, num_classes: int, ignore_index: int, name: str):
    """Raise InputError naming the first label outside [0, num_classes) that is not ignore_index."""
    xp = namespace(labels)
    bad = ((labels < 0) | (labels >= num_classes)) & (labels != ignore_index)
    if bool(xp.any(bad)):
        index = int(xp.argmax(xp.reshape(bad, (-1,))))
        value = int(xp.reshape(labels, (-1,))[index])
        raise InputError(f"{name} has class id {value} at index {index}, outside [0, {num_classes}) "
                         f"and not the ignored value {ignore_index}")


def cross_entropy(logits, labels, ignore_index: int = IGNORE_INDEX, name: str = "labels"):
    """Mean of -log softmax(logits)[label] over the rows whose label is not ``ignore_index``.

    logits (rows, classes) float, labels (rows,) integer -> 0-d array. As torch, the mean is
    over the counted rows only, and is NaN when every row is ignored (0 / 0).
    """
    xp = namespace(logits)
    if logits.ndim != 2:
        raise InputError(f"cross_entropy expects logits of shape (rows, classes), got {tuple(logits.shape)}")
    if labels.dtype.kind not in "iu":
        raise InputError(f"{name} must hold integer class ids, got dtype {labels.dtype}")
    if tuple(labels.shape) != (logits.shape[0],):
        raise InputError(f"{name} has shape {tuple(labels.shape)}, expected ({logits.shape[0]},): "
                         f"one class id per row of logits")
    _check_class_ids(labels, logits.shape[1], ignore_index, name)
    counted = labels != ignore_index  # (rows,)
    count = int(xp.sum(counted))
    if count == 0:
        return xp.asarray(float("nan"), dtype=logits.dtype)
    safe_labels = xp.where(counted, labels, 0).astype(xp.int64)  # ignored rows read class 0, then drop out
    log_probs = log_softmax(logits.astype(xp.float32) if logits.dtype == xp.float16 else logits)
    picked = xp.take_along_axis(log_probs, safe_labels[:, None], axis=1)[:, 0]  # (rows,)
    total = -xp.sum(xp.where(counted, picked, 0.0))
    return (total / count).astype(logits.dtype)


def mse(predictions, targets):
    """Mean of (predictions - targets)^2 over all elements; shapes must be equal."""
    xp = namespace(predictions)
    if tuple(predictions.shape) != tuple(targets.shape):
        raise InputError(f"mse: predictions have shape {tuple(predictions.shape)}, "
                         f"targets {tuple(targets.shape)}; they must be equal")
    difference = predictions - targets
    return xp.mean(difference * difference)


def bce_with_logits(logits, targets):
    """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1].

    -[y log s(x) + (1 - y) log(1 - s(x))] = max(x, 0) - x y + log(1 + exp(-|x|)): the same value,
    with exp only of non-positive numbers.
    """
    xp = namespace(logits)
    if tuple(logits.shape) != tuple(targets.shape):
        raise InputError(f"bce_with_logits: logits have shape {tuple(logits.shape)}, "
                         f"targets {tuple(targets.shape)}; they must be equal")
    losses = xp.maximum(logits, 0) - logits * targets + xp.log1p(xp.exp(-xp.abs(logits)))
    return xp.mean(losses)
