"""The losses against torch's, on ordinary and extreme logits, with ignored labels and bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from reference import assert_close
from xlmr_np import InputError
from xlmr_np.losses import bce_with_logits, cross_entropy, log_softmax, mse


@st.composite
def logits_arrays(draw, rows=(1, 6), classes=(1, 9)):
    """float32 logits; a third of the draws are scaled to +-1e4, where a naive softmax overflows."""
    shape = (draw(st.integers(*rows)), draw(st.integers(*classes)))
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from([1.0, 10.0, 1e4]))
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32), seed


def assert_relatively_close(actual, expected, name):
    """float32 values near 1e4 carry absolute rounding of ~1e-3: compare both divided by the
    larger of 1 and the expected magnitude (the recorded error is then a relative one)."""
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert_close(np.asarray(actual) / scale, np.asarray(expected) / scale, name + " (relative)")


@given(logits_arrays())
def test_log_softmax_matches_torch(drawn):
    logits, _ = drawn
    expected = F.log_softmax(torch.tensor(logits), dim=-1).numpy()
    actual = log_softmax(logits)
    assert np.all(np.isfinite(actual))
    assert_relatively_close(actual, expected, "log_softmax")


@given(logits_arrays(), st.sampled_from([0.0, 0.3, 1.0]))
def test_cross_entropy_matches_torch(drawn, ignored):
    logits, seed = drawn
    rng = np.random.default_rng(seed + 1)
    labels = rng.integers(0, logits.shape[1], size=logits.shape[0])
    labels[rng.random(labels.shape) < ignored] = -100
    expected = F.cross_entropy(torch.tensor(logits), torch.tensor(labels)).numpy()
    actual = cross_entropy(logits, labels)
    assert actual.dtype == np.float32
    if np.all(labels == -100):  # every row ignored: 0 / 0, as torch
        assert np.isnan(expected) and np.isnan(actual)
    else:
        assert np.isfinite(actual)
        assert_relatively_close(actual, expected, "cross_entropy")


def test_cross_entropy_custom_ignore_index():
    logits = np.array([[1.0, 2.0, 3.0], [3.0, 0.0, -1.0]], np.float32)
    labels = np.array([3, 0])
    expected = F.cross_entropy(torch.tensor(logits), torch.tensor(labels), ignore_index=3).numpy()
    assert_close(cross_entropy(logits, labels, ignore_index=3), expected, "cross_entropy ignore_index")


def test_cross_entropy_extreme_logits_are_exact():
    """Logits of +-1e4: the right class 2e4 above the others costs exp(-2e4) = 0; far below, 2e4."""
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]], np.float32)
    assert cross_entropy(logits, np.array([0, 1])) == 0.0
    assert cross_entropy(logits, np.array([1, 0])) == pytest.approx(2e4)


@given(logits_arrays(), st.booleans())
def test_bce_with_logits_matches_torch(drawn, soft_targets):
    logits, seed = drawn
    rng = np.random.default_rng(seed + 2)
    targets = (rng.random(logits.shape) if soft_targets else rng.random(logits.shape) < 0.5).astype(np.float32)
    expected = F.binary_cross_entropy_with_logits(torch.tensor(logits), torch.tensor(targets)).numpy()
    actual = bce_with_logits(logits, targets)
    assert np.isfinite(actual)
    assert_relatively_close(actual, expected, "bce_with_logits")


@given(logits_arrays())
def test_mse_matches_torch(drawn):
    predictions, seed = drawn
    targets = np.random.default_rng(seed + 3).standard_normal(predictions.shape).astype(np.float32)
    expected = F.mse_loss(torch.tensor(predictions), torch.tensor(targets)).numpy()
    assert_relatively_close(mse(predictions, targets), expected, "mse")


@pytest.mark.parametrize("call, words", [
    (lambda: cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 3])), ["class id 3", "index 1", "[0, 3)"]),
    (lambda: cross_entropy(np.zeros((2, 3), np.float32), np.array([-1, 0])), ["class id -1", "-100"]),
    (lambda: cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 1, 2])), ["shape (3,)", "(2,)"]),
    (lambda: cross_entropy(np.zeros((2, 3), np.float32), np.array([0.0, 1.0])), ["integer", "float64"]),
    (lambda: cross_entropy(np.zeros((2, 3, 4), np.float32), np.array([0, 1])), ["(rows, classes)"]),
    (lambda: mse(np.zeros(3), np.zeros(4)), ["(3,)", "(4,)"]),
    (lambda: bce_with_logits(np.zeros((2, 2)), np.zeros(2)), ["(2, 2)", "(2,)"]),
])
def test_bad_loss_inputs_name_the_problem(call, words):
    with pytest.raises(InputError) as error:
        call()
    for word in words:
        assert word in str(error.value), str(error.value)
