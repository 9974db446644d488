"""The same model on every available backend: NumPy always, the guarded NumPy of
tests/guarded_numpy.py always, CuPy where a GPU is present.

Runs are compared with the NumPy run of the same weights (which the other test modules compare
with the PyTorch reference). Without CuPy and a GPU the CuPy runs skip, saying so; CI has no GPU.
"""

import numpy as np
import pytest

import guarded_numpy
import xlmr_np
from reference import assert_close, random_batch
from xlmr_np import backend

BACKENDS = [
    "numpy",
    guarded_numpy.install(),
    pytest.param("cupy", marks=[pytest.mark.gpu, pytest.mark.skipif(
        not backend.cupy_available(), reason="CuPy with a usable NVIDIA GPU is not available here")]),
]
CONFIG = dict(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              intermediate_size=48, max_position_embeddings=40, type_vocab_size=1, layer_norm_eps=1e-5)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("position_embedding_type", ["absolute", "relative_key_query"])
def test_forward_on_backend_equals_numpy(backend_name, position_embedding_type):
    config = xlmr_np.XLMRobertaConfig(**CONFIG, position_embedding_type=position_embedding_type)
    reference = xlmr_np.XLMRobertaModel(config, seed=4)
    model = xlmr_np.XLMRobertaModel(config, seed=4).to(backend_name)
    assert model.backend == backend_name
    ids, mask = random_batch(np.random.default_rng(0), 3, 12, CONFIG["vocab_size"], padding="left")
    expected = reference(ids, attention_mask=mask, output_attentions=True, output_hidden_states=True)
    actual = model(ids, attention_mask=mask, output_attentions=True, output_hidden_states=True)
    assert backend.backend_of(actual.last_hidden_state) == backend_name
    for field in ("last_hidden_state", "pooler_output", "hidden_states", "attentions"):
        assert_close(getattr(actual, field), getattr(expected, field), f"{backend_name} vs numpy {field}")
    packed = model.encode_batch([ids[0][mask[0] == 1], ids[2][mask[2] == 1]])
    assert_close(packed.last_hidden_state[1], expected.last_hidden_state[2][mask[2] == 1],
                 f"{backend_name} packed vs numpy")


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_float16_on_backend(backend_name):
    config = xlmr_np.XLMRobertaConfig(**CONFIG)
    reference = xlmr_np.XLMRobertaModel(config, seed=4)
    model = xlmr_np.XLMRobertaModel(config, seed=4).to(backend_name, dtype="float16")
    ids, mask = random_batch(np.random.default_rng(1), 2, 10, CONFIG["vocab_size"])
    actual = model(ids, attention_mask=mask).last_hidden_state
    assert actual.dtype == np.float16
    # float16 tolerance: see tests/test_precision.py.
    assert_close(actual, reference(ids, attention_mask=mask).last_hidden_state,
                 f"{backend_name} float16 vs numpy float32", atol=2e-2, rtol=2e-2)


def test_moving_back_and_forth_keeps_weights():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG), seed=2)
    before = {key: np.array(value) for key, value in model.named_parameters()}
    model.to("numpy", dtype="float64").to("numpy", dtype="float32")
    for key, value in model.named_parameters():
        np.testing.assert_array_equal(value, before[key])
    with pytest.raises(ValueError, match="known backends"):
        model.to("jax")
