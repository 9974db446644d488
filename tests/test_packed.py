"""The packed fast path (``encode_batch``) against the plain forward, sequence by sequence."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import xlmr_np
from reference import assert_close
from strategies import small_configs
from xlmr_np import InputError
from xlmr_np.fast.packed import pack, packed_position_ids
from xlmr_np.modeling.embeddings import position_ids_from_input_ids


@given(config=small_configs(cross_attention=False), seed=st.integers(0, 2**16), data=st.data())
def test_packed_equals_plain_forward(config, seed, data):
    """Each sequence's hidden states and pooled output equal a forward on that sequence alone."""
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**{**config, "chunk_size_feed_forward": 0}),
                                    seed=seed)
    if data.draw(st.booleans(), label="prune"):
        model.prune_heads({0: [0]} if config["num_attention_heads"] > 1 else {})
    rng = np.random.default_rng(seed)
    lengths = data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=6), label="lengths")
    sequences = [rng.integers(0, config["vocab_size"], size=n) for n in lengths]
    packed = model.encode_batch(sequences)
    for index, sequence in enumerate(sequences):
        plain = model(sequence[None])
        assert_close(packed.last_hidden_state[index], plain.last_hidden_state[0], "packed vs plain hidden")
        assert_close(packed.pooler_output[index], plain.pooler_output[0], "packed vs plain pooled")


def test_padded_batch_with_mask_equals_packed_rows():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    ids = np.array([[0, 5, 6, 7, 2], [1, 1, 0, 9, 2], [0, 8, 2, 1, 1]])
    mask = (ids != 1).astype(np.int64)
    packed = model.encode_batch(ids, attention_mask=mask)
    plain = model(ids, attention_mask=mask).last_hidden_state
    assert_close(packed.last_hidden_state[0], plain[0], "packed rows vs padded batch")
    assert_close(packed.last_hidden_state[1], plain[1, 2:], "packed rows vs padded batch")
    assert_close(packed.last_hidden_state[2], plain[2, :3], "packed rows vs padded batch")


def test_packed_positions_restart_per_sequence():
    sequences = [np.array([5, 1, 6]), np.array([7, 8]), np.array([9, 9, 9])]
    batch = pack(sequences)
    positions = packed_position_ids(batch, padding_idx=1)
    for packed_index, (start, length) in enumerate(zip(batch.starts, batch.lengths)):
        original = sequences[batch.order[packed_index]]
        expected = position_ids_from_input_ids(original[None], 1)[0]
        np.testing.assert_array_equal(positions[start:start + length], expected)


def test_packed_inputs_are_validated():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    with pytest.raises(InputError, match="sequence 1 has id 50"):
        model.encode_batch([[0, 2], [0, 50]])
    with pytest.raises(InputError, match="sequence 0: sequence of 19 tokens"):
        model.encode_batch([[3] * 19])
    with pytest.raises(InputError, match="non-empty"):
        model.encode_batch([[]])
    with pytest.raises(InputError, match="eval"):
        model.train().encode_batch([[0, 2]])
