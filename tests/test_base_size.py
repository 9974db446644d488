"""The base-size architecture (hidden 768, 12 layers, 12 heads, vocab 250002) end to end.

Slow (a ~1.1 GB checkpoint is written and read), but it runs in CI: it is the only test with
the real model's depth, where float32 error has the most room to grow.
"""

import numpy as np
import pytest
import torch
from transformers import XLMRobertaConfig as ReferenceConfig
from transformers import XLMRobertaModel as ReferenceModel

import xlmr_np
from reference import assert_close, random_batch

BASE = dict(vocab_size=250002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5)


@pytest.mark.slow
def test_base_size_model_matches_reference(tmp_path):
    torch.manual_seed(0)
    reference = ReferenceModel(ReferenceConfig(**BASE)).eval()
    reference.save_pretrained(tmp_path, safe_serialization=True)
    ids, mask = random_batch(np.random.default_rng(0), 2, 64, BASE["vocab_size"], padding="right", min_length=20)
    with torch.no_grad():
        expected = reference(torch.tensor(ids), attention_mask=torch.tensor(mask), output_hidden_states=True)
    del reference
    model = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    actual = model(ids, attention_mask=mask, output_hidden_states=True)
    for layer, (a, e) in enumerate(zip(actual.hidden_states, expected.hidden_states)):
        assert_close(a, e, f"base-size hidden_states[{layer}]")
    assert_close(actual.pooler_output, expected.pooler_output, "base-size pooler_output")
