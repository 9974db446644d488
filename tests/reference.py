"""Helpers for comparing xlmr_np with the transformers reference (torch on the CPU).

``reference_checkpoint`` builds a random-init transformers model of a given class and saves it
with ``save_pretrained(safe_serialization=True)``; tests load that directory with xlmr_np, so
every parity test also exercises the real loading code.

Tolerances (float32): ``ATOL`` / ``RTOL`` below. Both implementations run the same float32
operations in a different order (BLAS blocking, fused vs separate steps), so each op differs by
a few ulp (float32 eps = 1.2e-7); through a few layers of LayerNorm-ed activations of size ~1
this measured below 5e-6 (the run summary prints the largest error seen). 1e-4 leaves a margin
for the 12-layer base-size model and for logits/losses that sum many such values, and is still
far below what any real bug produces (a missing bias, a wrong GELU or mask shifts values by
1e-3 or more).
"""

import numpy as np
import torch

ATOL = 1e-4
RTOL = 1e-4
LARGEST_ERRORS = {}


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    from xlmr_np.backend import to_numpy as backend_to_numpy

    return backend_to_numpy(value)


def assert_close(actual, expected, name, atol=ATOL, rtol=RTOL):
    """Compare arrays (or nested tuples of arrays) and record the largest absolute error."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), (
            f"{name}: {len(actual) if actual is not None else None} items vs {len(expected)}")
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, name, atol, rtol)
        return
    actual, expected = to_numpy(actual), to_numpy(expected)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} vs reference {expected.shape}"
    if actual.size == 0:
        return
    error = float(np.max(np.abs(actual.astype(np.float64) - expected.astype(np.float64))))
    previous = LARGEST_ERRORS.get(name, (0.0, atol))[0]
    LARGEST_ERRORS[name] = (max(previous, error), atol)
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=name)


def reference_checkpoint(directory, hf_class, config_kwargs, seed=0, randomize_layernorm=True):
    """Build ``hf_class(XLMRobertaConfig(**config_kwargs))`` with random weights; save it.

    LayerNorm weights and biases and the linear biases start at 1 and 0 in a fresh model, which
    would hide a swapped or missing affine step; ``randomize_layernorm`` perturbs them.
    Returns the reference model in eval mode.
    """
    from transformers import XLMRobertaConfig

    torch.manual_seed(seed)
    model = hf_class(XLMRobertaConfig(**config_kwargs)).eval()
    if randomize_layernorm:
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if name.endswith("bias") or "LayerNorm" in name:
                    parameter.add_(torch.randn_like(parameter) * 0.1)
    model.save_pretrained(directory, safe_serialization=True)
    return model


def random_batch(rng, batch, seq, vocab_size, pad_token_id=1, padding="right", min_length=1):
    """Random ids in [3, vocab) with random lengths; pads on the right or left, and their mask."""
    low = min(3, vocab_size - 1)
    ids = rng.integers(low, vocab_size, size=(batch, seq))
    ids[ids == pad_token_id] = low
    mask = np.ones((batch, seq), dtype=np.int64)
    for row in range(batch):
        length = int(rng.integers(min(min_length, seq), seq + 1))
        length = max(length, 1)
        if padding == "right":
            ids[row, length:] = pad_token_id
            mask[row, length:] = 0
        else:
            ids[row, : seq - length] = pad_token_id
            mask[row, : seq - length] = 0
    return ids, mask
