"""XLMRobertaModel against transformers' XLMRobertaModel on hypothesis-drawn configurations.

Each example builds a random-weight reference model, saves it with ``save_pretrained``, loads it
with xlmr_np, and compares every output field on a random, randomly padded batch.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from transformers import XLMRobertaModel as ReferenceModel

import xlmr_np
from reference import assert_close, random_batch, reference_checkpoint, to_numpy
from strategies import small_configs


def run_both(ours, theirs, **inputs):
    """Run xlmr_np and the reference on the same NumPy inputs; return both outputs."""
    torch_inputs = {key: (torch.tensor(value) if isinstance(value, np.ndarray) else value)
                    for key, value in inputs.items()}
    with torch.no_grad():
        expected = theirs(**torch_inputs)
    return ours(**inputs), expected


def compare_outputs(actual, expected, prefix):
    assert_close(actual.last_hidden_state, expected.last_hidden_state, f"{prefix} last_hidden_state")
    if expected.pooler_output is not None:
        assert_close(actual.pooler_output, expected.pooler_output, f"{prefix} pooler_output")
    if expected.hidden_states is not None:
        assert_close(actual.hidden_states, expected.hidden_states, f"{prefix} hidden_states")
    if expected.attentions is not None:
        assert_close(actual.attentions, expected.attentions, f"{prefix} attentions")
    if expected.past_key_values is not None:
        assert_close(actual.past_key_values, expected.past_key_values, f"{prefix} past_key_values")
    else:
        assert actual.past_key_values is None


@given(config=small_configs(), seed=st.integers(0, 2**16), data=st.data())
def test_forward_matches_reference(tmp_path_factory, config, seed, data):
    """Every output field of a padded batch equals the reference's within tolerance."""
    directory = tmp_path_factory.mktemp("model")
    reference = reference_checkpoint(directory, ReferenceModel, config, seed=seed)
    model = xlmr_np.XLMRobertaModel.from_pretrained(directory)
    rng = np.random.default_rng(seed)
    chunk = config["chunk_size_feed_forward"] or 1
    seq = chunk * data.draw(st.integers(1, 12 // chunk), label="chunks")
    batch = data.draw(st.integers(1, 3), label="batch")
    padding = data.draw(st.sampled_from(["right", "left"]), label="padding")
    ids, mask = random_batch(rng, batch, seq, config["vocab_size"], padding=padding)
    inputs = dict(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True,
                  token_type_ids=rng.integers(0, config["type_vocab_size"], size=ids.shape))
    if config["add_cross_attention"]:
        inputs["encoder_hidden_states"] = rng.standard_normal((batch, 5, config["hidden_size"])).astype(np.float32)
        inputs["encoder_attention_mask"] = (rng.random((batch, 5)) < 0.8).astype(np.int64)
    if data.draw(st.booleans(), label="head_mask"):
        inputs["head_mask"] = (rng.random((config["num_hidden_layers"], config["num_attention_heads"]))
                               < 0.7).astype(np.float32)
    actual, expected = run_both(model, reference, **inputs)
    compare_outputs(actual, expected, "model")
    if config["add_cross_attention"]:
        assert_close(actual.cross_attentions, expected.cross_attentions, "model cross_attentions")


@given(config=small_configs(decoder=True), seed=st.integers(0, 2**16), data=st.data())
def test_cached_decoding_equals_full_sequence(tmp_path_factory, config, seed, data):
    """Feeding tokens one at a time with past_key_values gives the full run's hidden states,
    and the reference's step by step outputs."""
    directory = tmp_path_factory.mktemp("decoder")
    reference = reference_checkpoint(directory, ReferenceModel, {**config, "chunk_size_feed_forward": 0},
                                     seed=seed)
    model = xlmr_np.XLMRobertaModel.from_pretrained(directory)
    rng = np.random.default_rng(seed)
    seq = data.draw(st.integers(2, 8), label="seq")
    ids = rng.integers(3, config["vocab_size"], size=(2, seq))
    extra = {}
    if config["add_cross_attention"]:
        extra["encoder_hidden_states"] = rng.standard_normal((2, 4, config["hidden_size"])).astype(np.float32)
    full = model(ids, use_cache=True, **extra).last_hidden_state
    prefix = data.draw(st.integers(1, seq - 1), label="prefix")
    step = model(ids[:, :prefix], use_cache=True, **extra)
    outputs = [step.last_hidden_state]
    with torch.no_grad():
        theirs = reference(torch.tensor(ids[:, :prefix]), use_cache=True,
                           **{k: torch.tensor(v) for k, v in extra.items()})
    past, their_past = step.past_key_values, theirs.past_key_values
    for position in range(prefix, seq):
        step = model(ids[:, position:position + 1], past_key_values=past, use_cache=True, **extra)
        with torch.no_grad():
            theirs = reference(torch.tensor(ids[:, position:position + 1]), past_key_values=their_past,
                               use_cache=True, **{k: torch.tensor(v) for k, v in extra.items()})
        assert_close(step.last_hidden_state, theirs.last_hidden_state, "cached step vs reference")
        past, their_past = step.past_key_values, theirs.past_key_values
        outputs.append(step.last_hidden_state)
    stepwise = np.concatenate([to_numpy(output) for output in outputs], axis=1)
    if config["position_embedding_type"] == "absolute":
        # Relative positions with a cache place every query at the last key (the reference's
        # rule), which equals the full run only for one-token steps after a one-token prefix.
        assert_close(stepwise, full, "cached decoding vs full sequence")


@pytest.fixture(scope="module")
def small_pair(tmp_path_factory):
    """A small reference model and the same weights loaded by xlmr_np."""
    directory = tmp_path_factory.mktemp("small")
    config = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=20, max_position_embeddings=20)
    reference = reference_checkpoint(directory, ReferenceModel, config)
    return xlmr_np.XLMRobertaModel.from_pretrained(directory), reference


def test_inputs_embeds_matches_reference(small_pair):
    model, reference = small_pair
    embeds = np.random.default_rng(0).standard_normal((2, 7, 16)).astype(np.float32)
    actual, expected = run_both(model, reference, inputs_embeds=embeds)
    compare_outputs(actual, expected, "inputs_embeds")


def test_three_dimensional_mask_matches_reference(small_pair):
    model, reference = small_pair
    rng = np.random.default_rng(1)
    ids = rng.integers(3, 50, size=(2, 6))
    mask = (rng.random((2, 6, 6)) < 0.7).astype(np.int64)
    actual, expected = run_both(model, reference, input_ids=ids, attention_mask=mask, output_attentions=True)
    compare_outputs(actual, expected, "3-D mask")


@pytest.mark.parametrize("position_embedding_type, second_plan", [
    ("absolute", {0: [0, 1]}), ("relative_key_query", {0: [0, 1]}),
    ("absolute", {1: [1, 2, 3]}),  # every head of layer 1: its attention output is the dense bias
])
def test_pruned_heads_match_reference(tmp_path, position_embedding_type, second_plan):
    """prune_heads removes the same rows and columns as the reference, and the pruned model
    round-trips through save_pretrained on both sides; encode_batch agrees."""
    config = dict(vocab_size=50, hidden_size=24, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=20, max_position_embeddings=20,
                  position_embedding_type=position_embedding_type)
    reference = reference_checkpoint(tmp_path / "full", ReferenceModel, config)
    model = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path / "full")
    plan = {0: [1, 3], 1: [0]}
    reference.prune_heads(plan)
    model.prune_heads(plan)
    model.prune_heads(second_plan)  # a second call removes only the heads still there, as in the reference
    reference.prune_heads(second_plan)
    ids = np.random.default_rng(2).integers(3, 50, size=(2, 5))
    actual, expected = run_both(model, reference, input_ids=ids, output_attentions=True)
    compare_outputs(actual, expected, "pruned")
    model.save_pretrained(tmp_path / "ours")
    reloaded = ReferenceModel.from_pretrained(tmp_path / "ours").eval()
    assert_close(run_both(model, reloaded, input_ids=ids)[1].last_hidden_state,
                 actual.last_hidden_state, "pruned, reloaded by transformers")
    reference.save_pretrained(tmp_path / "theirs", safe_serialization=True)
    ours = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path / "theirs")
    assert_close(ours(ids).last_hidden_state, actual.last_hidden_state, "pruned, reloaded by xlmr_np")
    packed = model.encode_batch(list(ids))
    for row in range(len(ids)):
        assert_close(packed.last_hidden_state[row], actual.last_hidden_state[row], "pruned, encode_batch")


@pytest.mark.parametrize("plan, words", [
    ({1: [2]}, ["layer 1 has no head 2", "heads are 0..1"]),
    ({0: [-1]}, ["layer 0 has no head -1"]),
    ({2: [0]}, ["layer 2 does not exist", "layers 0..1"]),
    ({"0": [0]}, ["layer '0' does not exist"]),
    ({0: 1}, ["needs a list of head indices"]),
])
def test_pruning_a_head_that_does_not_exist_changes_nothing(plan, words):
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    before = model([[0, 5, 2]]).last_hidden_state
    with pytest.raises(xlmr_np.InputError) as error:
        model.prune_heads({0: [0], **plan})
    for word in words:
        assert word in str(error.value), str(error.value)
    assert model.config.pruned_heads == {}
    np.testing.assert_array_equal(model([[0, 5, 2]]).last_hidden_state, before)
    model.prune_heads({np.int64(0): [np.int64(1)]})  # NumPy ints are recorded as plain ints
    assert model.config.pruned_heads == {0: [1]} and type(model.config.pruned_heads[0][0]) is int


def test_dropout_only_in_train_mode_and_seeded(tmp_path):
    config = xlmr_np.XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                                      num_attention_heads=2, intermediate_size=20,
                                      max_position_embeddings=20, hidden_dropout_prob=0.3)
    model = xlmr_np.XLMRobertaModel(config)
    ids = np.random.default_rng(0).integers(3, 50, size=(2, 6))
    eval_a, eval_b = model(ids).last_hidden_state, model(ids).last_hidden_state
    np.testing.assert_array_equal(eval_a, eval_b)
    train_a = model.train(seed=5)(ids).last_hidden_state
    train_b = model.train(seed=5)(ids).last_hidden_state
    train_c = model.train(seed=6)(ids).last_hidden_state
    np.testing.assert_array_equal(train_a, train_b)
    assert not np.allclose(train_a, train_c)
    assert not np.allclose(train_a, eval_a)
    np.testing.assert_array_equal(model.eval()(ids).last_hidden_state, eval_a)


def test_return_dict_false_gives_tuple(tmp_path):
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=20, max_position_embeddings=20))
    ids = np.array([[0, 5, 6, 2]])
    as_tuple = model(ids, return_dict=False)
    output = model(ids)
    assert len(as_tuple) == 2
    np.testing.assert_array_equal(as_tuple[0], output["last_hidden_state"])
    np.testing.assert_array_equal(as_tuple[1], output[1])


def test_return_dict_false_decoder_tuple_is_the_reference_order(tmp_path):
    """A decoder's tuple is (last_hidden_state, pooler_output, past_key_values, hidden_states,
    attentions, cross_attentions), as the reference's: the cache before the hidden states, unlike
    the output class's field order; without a pooler its place holds None."""
    config = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=20, max_position_embeddings=20, is_decoder=True, add_cross_attention=True)
    reference = reference_checkpoint(tmp_path, ReferenceModel, config)
    model = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    rng = np.random.default_rng(3)
    inputs = dict(input_ids=rng.integers(3, 50, size=(2, 5)), use_cache=True, output_hidden_states=True,
                  output_attentions=True, return_dict=False,
                  encoder_hidden_states=rng.standard_normal((2, 3, 16)).astype(np.float32))
    actual, expected = run_both(model, reference, **inputs)
    assert len(actual) == len(expected) == 6
    for index, (ours, theirs) in enumerate(zip(actual, expected)):
        assert_close(ours, theirs, f"decoder tuple item {index}")
    headless = xlmr_np.XLMRobertaModel(model.config, add_pooling_layer=False)
    assert headless(**inputs)[1] is None and len(headless(**inputs)) == 6


def test_rows_padded_past_the_position_table_match_reference(small_pair):
    """Positions count only ids that are not padding, so a batch padded wider than the table
    (max_position_embeddings=20: 18 tokens) runs when each row's tokens fit, as in the reference;
    a row with too many tokens is still refused."""
    model, reference = small_pair
    rng = np.random.default_rng(4)
    ids = np.ones((2, 24), dtype=np.int64)  # pad_token_id = 1
    ids[0, :10] = rng.integers(3, 50, size=10)
    ids[1, :18] = rng.integers(3, 50, size=18)
    mask = (ids != 1).astype(np.int64)
    # token_type_ids given: the reference's default (a buffer of max_position_embeddings zeros)
    # is too short for 24 columns
    actual, expected = run_both(model, reference, input_ids=ids, attention_mask=mask, token_type_ids=np.zeros_like(ids))
    compare_outputs(actual, expected, "padded past the table")
    ids[0, :19] = rng.integers(3, 50, size=19)
    with pytest.raises(xlmr_np.InputError, match="sequence of 19 tokens is too long"):
        model(ids)



def test_pads_after_a_full_cache_match_reference(tmp_path):
    """A pad fed after a cache that has used every position keeps padding_idx, so it runs, as in
    the reference (generate feeds pads to rows that have ended); a token there is refused."""
    config = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=20, max_position_embeddings=20, is_decoder=True)  # 18 positions
    reference = reference_checkpoint(tmp_path, ReferenceModel, config)
    model = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    tokens = np.random.default_rng(9).integers(3, 50, size=(2, 18))
    ids = np.concatenate([tokens, np.ones((2, 1), np.int64)], axis=1)  # 18 tokens and a pad: 19 cached
    actual, expected = run_both(model, reference, input_ids=ids, use_cache=True)
    pad = np.ones((2, 1), dtype=np.int64)
    with torch.no_grad():
        their_step = reference(torch.tensor(pad), past_key_values=expected.past_key_values, use_cache=True)
    our_step = model(pad, past_key_values=actual.past_key_values, use_cache=True)
    compare_outputs(our_step, their_step, "a pad after a full cache")
    with pytest.raises(xlmr_np.InputError, match=r"20 tokens \(19 cached \+ 1 new\) is too long"):
        model(np.full((2, 1), 7), past_key_values=actual.past_key_values)


# -- head_mask: every shape the reference accepts, and the ones it refuses -----------------------


def head_mask_of(rng, shape):
    """Random head mask values in [0, 1) with about a quarter of them 0 (heads switched off)."""
    values = rng.random(shape).astype(np.float32)
    return np.where(rng.random(shape) < 0.25, np.float32(0.0), values)


@pytest.fixture(scope="module", params=["absolute", "relative_key"])
def head_mask_pair(request, tmp_path_factory):
    """An encoder of 2 layers x 3 heads, in xlmr_np and the reference."""
    directory = tmp_path_factory.mktemp("head_mask")
    config = dict(vocab_size=50, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                  intermediate_size=20, max_position_embeddings=20, position_embedding_type=request.param)
    reference = reference_checkpoint(directory, ReferenceModel, config)
    return xlmr_np.XLMRobertaModel.from_pretrained(directory), reference


@pytest.mark.parametrize("shape", [
    (3,), (1,), (2, 3), (2, 1), (4, 3),  # one mask for all layers, one per layer, extra rows unused
    (2, 2, 3, 5, 5), (2, 1, 3, 1, 1), (2, 2, 1, 5, 1), (2, 1, 1, 1, 5), (2, 1, 1, 1, 1), (3, 2, 3, 1, 5),
])
def test_head_mask_shapes_match_reference(head_mask_pair, shape):
    """(heads,), (layers, heads) and 5-D (layers, batch, heads, queries, keys) masks, any axis of
    the 5-D one 1 to broadcast, multiply each layer's probabilities as in the reference; the
    attentions returned are the masked ones."""
    model, reference = head_mask_pair
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    ids, mask = random_batch(rng, 2, 5, 50, padding="left")
    actual, expected = run_both(model, reference, input_ids=ids, attention_mask=mask,
                                head_mask=head_mask_of(rng, shape), output_attentions=True,
                                output_hidden_states=True)
    compare_outputs(actual, expected, f"head_mask {shape}")


@pytest.mark.parametrize("shape, words", [
    ((), ["head_mask has shape ()", "0-D masks are not accepted"]),
    ((2, 3, 5), ["head_mask has shape (2, 3, 5)", "3-D masks are not accepted", "5-D (layers, batch, heads"]),
    ((2, 2, 3, 5), ["4-D masks are not accepted"]),
    ((2, 2, 3, 5, 5, 1), ["6-D masks are not accepted"]),
    ((4,), ["head_mask has shape (4,)", "shape (1, 4, 1, 1)", "(batch=2, heads=3, queries=5, keys=5)"]),
    ((2, 2), ["head_mask has shape (2, 2)", "layer 0's mask has shape (1, 2, 1, 1)"]),
    ((1, 3), ["head_mask has shape (1, 3)", "1 layer masks", "num_hidden_layers=2"]),
    ((1, 2, 3, 5, 5), ["1 layer masks", "num_hidden_layers=2"]),
    ((2, 2, 3, 6, 5), ["shape (2, 3, 6, 5)", "queries=5", "every axis equal or 1"]),
    ((2, 2, 3, 5, 4), ["shape (2, 3, 5, 4)", "keys=5"]),
    ((2, 3, 3, 5, 5), ["shape (3, 3, 5, 5)", "batch=2"]),
])
def test_head_masks_the_reference_refuses_get_an_input_error(head_mask_pair, shape, words):
    """The reference fails on these with an assert (3-D, 4-D, 6-D), an index error (too few layers)
    or a broadcasting error; xlmr_np says which shape was given and what it must broadcast to."""
    model, reference = head_mask_pair
    ids = np.random.default_rng(0).integers(3, 50, size=(2, 5))
    head_mask = np.ones(shape, dtype=np.float32)
    with pytest.raises((AssertionError, IndexError, RuntimeError)), torch.no_grad():
        reference(torch.tensor(ids), head_mask=torch.tensor(head_mask))
    with pytest.raises(xlmr_np.InputError) as error:
        model(ids, head_mask=head_mask)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_head_mask_on_a_pruned_model_matches_reference(tmp_path):
    """After pruning, a head axis of 1 broadcasts over each layer's remaining heads (in 1-D, 2-D
    and 5-D masks), as in the reference; a mask with num_attention_heads values no longer fits the
    pruned layer and is refused with the layer's head count."""
    config = dict(vocab_size=50, hidden_size=24, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=20, max_position_embeddings=20)
    reference = reference_checkpoint(tmp_path, ReferenceModel, config)
    model = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    reference.prune_heads({0: [1]})
    model.prune_heads({0: [1]})
    rng = np.random.default_rng(5)
    ids = rng.integers(3, 50, size=(2, 5))
    for shape in [(1,), (2, 1), (2, 1, 1, 1, 1), (2, 2, 1, 5, 5)]:
        actual, expected = run_both(model, reference, input_ids=ids, head_mask=head_mask_of(rng, shape),
                                    output_attentions=True)
        compare_outputs(actual, expected, f"pruned, head_mask {shape}")
    for shape in [(4,), (2, 4), (2, 1, 4, 1, 1)]:
        with pytest.raises(RuntimeError), torch.no_grad():
            reference(torch.tensor(ids), head_mask=torch.ones(shape))
        with pytest.raises(xlmr_np.InputError) as error:
            model(ids, head_mask=np.ones(shape))
        for word in ["layer 0's mask has shape (1, 4, 1, 1)", "heads=3", "3 of num_attention_heads=4",
                     "config.pruned_heads={0: [1]}", "a head axis of 1"]:
            assert word in str(error.value), str(error.value)


def test_head_mask_in_a_decoder_with_cross_attention_and_cache_matches_reference(tmp_path):
    """A decoder applies each layer's mask to its self-attention and its cross-attention; with a
    cache the probabilities are (batch, heads, new queries, cached + new keys), so a 5-D mask
    follows those shapes. Outputs, both attentions and the cache match the reference."""
    config = dict(vocab_size=50, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                  intermediate_size=20, max_position_embeddings=20, is_decoder=True, add_cross_attention=True)
    reference = reference_checkpoint(tmp_path, ReferenceModel, config)
    model = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    rng = np.random.default_rng(6)
    ids = rng.integers(3, 50, size=(2, 4))
    encoder = dict(encoder_hidden_states=rng.standard_normal((2, 4, 24)).astype(np.float32),
                   encoder_attention_mask=np.array([[1, 1, 1, 1], [1, 1, 0, 0]]))
    for shape in [(2, 2, 3, 3, 1), (2, 1, 3, 1, 1)]:  # 3 queries; 3 self-attention keys, 4 encoder keys
        actual, expected = run_both(model, reference, input_ids=ids[:, :3], head_mask=head_mask_of(rng, shape),
                                    output_attentions=True, use_cache=True, **encoder)
        compare_outputs(actual, expected, f"decoder, head_mask {shape}")
        assert_close(actual.cross_attentions, expected.cross_attentions, f"decoder, head_mask {shape} cross")
    fits_self_only = np.ones((2, 2, 3, 3, 3), dtype=np.float32)
    with pytest.raises(RuntimeError), torch.no_grad():
        reference(torch.tensor(ids[:, :3]), head_mask=torch.tensor(fits_self_only),
                  **{k: torch.tensor(v) for k, v in encoder.items()})
    with pytest.raises(xlmr_np.InputError, match=r"layer 0's mask has shape \(2, 3, 3, 3\), which must broadcast "
                                                 r"to its cross-attention probabilities \(batch=2, heads=3, "
                                                 r"queries=3, keys=4\)"):
        model(ids[:, :3], head_mask=fits_self_only, **encoder)
    past, their_past = actual.past_key_values, expected.past_key_values
    # the next token: 1 query, 3 cached + 1 new = 4 self-attention keys, as many as the encoder's
    step_mask = head_mask_of(rng, (2, 2, 3, 1, 4))
    with torch.no_grad():
        theirs = reference(torch.tensor(ids[:, 3:]), past_key_values=their_past, head_mask=torch.tensor(step_mask),
                           output_attentions=True, use_cache=True, **{k: torch.tensor(v) for k, v in encoder.items()})
    ours = model(ids[:, 3:], past_key_values=past, head_mask=step_mask, output_attentions=True, use_cache=True,
                 **encoder)
    compare_outputs(ours, theirs, "cached step, head_mask (2, 2, 3, 1, 4)")
    assert_close(ours.cross_attentions, theirs.cross_attentions, "cached step, head_mask cross")
    with pytest.raises(xlmr_np.InputError, match=r"shape \(2, 3, 4, 1\).*queries=1"):
        model(ids[:, 3:], past_key_values=past, head_mask=np.ones((2, 2, 3, 4, 1)), **encoder)
