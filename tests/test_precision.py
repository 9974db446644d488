"""float16 and float64 compute against float32 on the same weights.

float16 keeps LayerNorm statistics, attention scores, the mask and the softmax in float32 (the
usual mixed-precision recipe); matmuls and activations run in float16. Its tolerance is set by
float16's resolution: eps = 9.8e-4 relative, on LayerNorm outputs of magnitude up to ~4, through
a few layers — 2e-2 absolute. float64 must agree with float32 to float32's own precision.
"""

import numpy as np
import pytest

import xlmr_np
from reference import assert_close, random_batch

CONFIG = dict(vocab_size=200, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
              intermediate_size=128, max_position_embeddings=40, type_vocab_size=1, layer_norm_eps=1e-5)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("precision")
    xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG), seed=1).save_pretrained(directory)
    return directory


@pytest.mark.parametrize("dtype, atol", [("float16", 2e-2), ("float64", 1e-5)])
def test_compute_dtype_against_float32(checkpoint, dtype, atol):
    ids, mask = random_batch(np.random.default_rng(0), 3, 24, CONFIG["vocab_size"], padding="left")
    reference = xlmr_np.XLMRobertaModel.from_pretrained(checkpoint)(ids, attention_mask=mask)
    model = xlmr_np.XLMRobertaModel.from_pretrained(checkpoint, dtype=dtype)
    assert model.embeddings.word_embeddings.weight.dtype == np.dtype(dtype)
    output = model(ids, attention_mask=mask)
    assert output.last_hidden_state.dtype == np.dtype(dtype)
    assert np.isfinite(output.last_hidden_state).all()
    assert_close(output.last_hidden_state, reference.last_hidden_state, f"{dtype} vs float32 hidden",
                 atol=atol, rtol=atol)
    assert_close(output.pooler_output, reference.pooler_output, f"{dtype} vs float32 pooled", atol=atol, rtol=atol)


def test_unsupported_dtype_is_refused(checkpoint):
    with pytest.raises(ValueError, match="bfloat16.*float32, float64, float16"):
        xlmr_np.XLMRobertaModel.from_pretrained(checkpoint, dtype="bfloat16")
