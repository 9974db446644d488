"""Bad forward inputs get an InputError that names the problem, before any lookup."""

import numpy as np
import pytest

import xlmr_np
from xlmr_np import InputError

CONFIG = dict(vocab_size=30, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
              intermediate_size=12, max_position_embeddings=10, type_vocab_size=1)


@pytest.fixture(scope="module")
def model():
    return xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG))


@pytest.mark.parametrize("kwargs, words", [
    (dict(input_ids=[[0, 5, 30, 2]]), ["id 30", "(0, 2)", "vocab_size=30"]),
    (dict(input_ids=[[0, -1, 2]]), ["id -1", "(0, 1)"]),
    (dict(input_ids=[[0] * 9]), ["9 tokens", "max_position_embeddings=10", "at most 8"]),
    (dict(input_ids=[[0, 5, 2]], attention_mask=[[1, 1]]), ["attention_mask has shape (1, 2)", "keys=3"]),
    (dict(input_ids=[[0, 5, 2]], token_type_ids=[[1, 1, 1]]), ["token_type_ids", "type_vocab_size=1", "zeros"]),
    (dict(input_ids=[[0, 5, 2]], token_type_ids=[[0, 0]]), ["token_type_ids has shape (1, 2)"]),
    (dict(), ["exactly one of input_ids and inputs_embeds", "neither"]),
    (dict(input_ids=[[0, 2]], inputs_embeds=np.zeros((1, 2, 8), np.float32)), ["both"]),
    (dict(input_ids=[0, 5, 2]), ["2-D", "(3,)"]),
    (dict(input_ids=[[0.5, 1.0]]), ["integers", "float64"]),
    (dict(inputs_embeds=np.zeros((1, 2, 5), np.float32)), ["hidden_size=8"]),
    (dict(input_ids=[[0, 5, 2]], head_mask=np.ones(3)), ["head_mask has shape (3,)"]),
    (dict(input_ids=np.zeros((1, 0), np.int64)), ["sequence length 0"]),
    (dict(input_ids=[[0, 5, 2]], past_key_values=((np.zeros((1, 2, 1, 4)),) * 2,) * 2), ["is_decoder"]),
    (dict(input_ids=[[0, 5, 2]], encoder_hidden_states=np.zeros((1, 3, 8))), ["cross-attention"]),
    (dict(input_ids=[[0, 5, 2]], position_ids=[[0, 1, 10]]), ["position_ids", "id 10", "max_position_embeddings=10"]),
    (dict(input_ids=[[0, 5, 2]], attention_mask=[[1, 2, 1]]), ["attention_mask holds 2.0 at position (0, 1)"]),
    (dict(input_ids=[[0, 5, 2]], attention_mask=[[1, 1, -1]]), ["attention_mask holds -1.0 at position (0, 2)"]),
    (dict(input_ids=[[0, 5, 2]], attention_mask=np.full((1, 3, 3), 0.5)), ["holds 0.5 at position (0, 0, 0)"]),
])
def test_bad_inputs_name_the_problem(model, kwargs, words):
    with pytest.raises(InputError) as error:
        model(**kwargs)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_the_longest_allowed_input_runs(model):
    assert model([[0] * 8]).last_hidden_state.shape == (1, 8, 8)


def test_relative_models_limit_the_key_length():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG, position_embedding_type="relative_key"))
    assert model([[3] * 10]).last_hidden_state.shape == (1, 10, 8)
    with pytest.raises(InputError, match="11 tokens.*relative_key"):
        model([[3] * 11])


def test_decoder_cache_length_counts_toward_the_limit():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG, is_decoder=True))
    past = model([[0, 5, 6, 7, 8, 9]], use_cache=True).past_key_values
    model([[4, 4]], past_key_values=past)
    with pytest.raises(InputError, match=r"9 tokens \(6 cached \+ 3 new\)"):
        model([[4, 4, 4]], past_key_values=past)
    with pytest.raises(InputError, match=r"attention_mask has shape \(1, 2\).*keys=8.*6 cached"):
        model([[4, 4]], past_key_values=past, attention_mask=[[1, 1]])


def test_one_row_of_position_ids_must_fit_the_sequence(model):
    np.testing.assert_array_equal(model([[0, 5, 2]], position_ids=[2, 3, 4]).last_hidden_state,
                                  model([[0, 5, 2]]).last_hidden_state)
    with pytest.raises(InputError, match=r"position_ids has shape \(2,\), but the input has shape \(1, 3\)"):
        model([[0, 5, 2]], position_ids=[2, 3])


@pytest.fixture(scope="module")
def decoder():
    return xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG, is_decoder=True, add_cross_attention=True))


def edit_cache(past, layer, index, edit):
    """The cache with array ``index`` of ``layer`` replaced by ``edit(array)``."""
    return tuple(tuple(edit(array) if (i, j) == (layer, index) else array for j, array in enumerate(cache))
                 for i, cache in enumerate(past))


@pytest.mark.parametrize("edit, words", [
    (lambda past: edit_cache(past, 0, 0, lambda a: a[:, :1]), ["past_key_values[0] key has shape (2, 1, 3, 4)", "heads=2"]),
    (lambda past: edit_cache(past, 0, 1, lambda a: a[..., :2]), ["past_key_values[0] value", "head_dim=4"]),
    (lambda past: edit_cache(past, 0, 1, lambda a: a[:, :, :2]), ["past_key_values[0] value", "cached positions=3"]),
    (lambda past: edit_cache(past, 1, 0, lambda a: a[:, :, :2]), ["past_key_values[1] key", "as past_key_values[0]"]),
    (lambda past: edit_cache(past, 1, 2, lambda a: a[:1]), ["past_key_values[1] cross-attention key", "batch=2"]),
    (lambda past: edit_cache(past, 1, 3, lambda a: a[:, :, :1]), ["cross-attention value", "encoder positions=4"]),
    (lambda past: tuple(cache[:2] for cache in past), ["past_key_values[0] holds no cross-attention", "has 4"]),
    (lambda past: tuple((None,) * 4 for _ in past), ["past_key_values[0] must be 2 or 4 arrays"]),
    (lambda past: 5, ["past_key_values must be a tuple", "got int"]),
])
def test_malformed_caches_name_the_layer_and_the_shape(decoder, edit, words):
    ids, encoder = np.array([[0, 5, 6], [0, 7, 8]]), np.zeros((2, 4, 8), np.float32)
    past = decoder(ids, encoder_hidden_states=encoder, use_cache=True).past_key_values
    decoder([[4], [4]], encoder_hidden_states=encoder, past_key_values=past)
    with pytest.raises(InputError) as error:
        decoder([[4], [4]], encoder_hidden_states=encoder, past_key_values=edit(past))
    for word in words:
        assert word in str(error.value), str(error.value)


def test_cross_attention_cache_must_match_the_encoder_states(decoder):
    ids, encoder = np.array([[0, 5, 6], [0, 7, 8]]), np.zeros((2, 4, 8), np.float32)
    past = decoder(ids, encoder_hidden_states=encoder, use_cache=True).past_key_values
    with pytest.raises(InputError, match="keys for 4 encoder positions, but encoder_hidden_states has 5"):
        decoder([[4], [4]], encoder_hidden_states=np.zeros((2, 5, 8)), past_key_values=past)


@pytest.mark.parametrize("encoder, mask, words", [
    ((2, 4, 8), np.ones(4), ["encoder_attention_mask has shape (4,)", "encoder positions=4"]),
    ((2, 4, 8), np.ones((1, 4)), ["encoder_attention_mask has shape (1, 4)", "batch=2"]),
    ((2, 4, 8), np.ones((2, 5, 4)), ["encoder_attention_mask has shape (2, 5, 4)", "queries=3"]),
    ((2, 4, 8), np.ones((2, 1, 1, 4)), ["encoder_attention_mask has shape (2, 1, 1, 4)"]),
    ((2, 0, 8), None, ["encoder_hidden_states has shape (2, 0, 8)", "encoder sequence >= 1"]),
    ((2, 4, 8), np.array([[1, 1, 1, 0], [1, 3, 1, 1]]), ["encoder_attention_mask holds 3.0 at position (1, 1)"]),
])
def test_encoder_attention_mask_shapes(decoder, encoder, mask, words):
    decoder([[0, 5, 6], [0, 7, 8]], encoder_hidden_states=np.zeros((2, 4, 8)), encoder_attention_mask=np.ones((2, 3, 4)))
    with pytest.raises(InputError) as error:
        decoder([[0, 5, 6], [0, 7, 8]], encoder_hidden_states=np.zeros(encoder), encoder_attention_mask=mask)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_head_mask_with_every_head_is_refused_after_pruning():
    """A pruned layer has fewer heads than num_attention_heads; a head axis of 1 still fits."""
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG))
    model.prune_heads({0: [1]})
    with pytest.raises(InputError, match=r"heads=1.*1 of num_attention_heads=2 heads after pruning "
                                         r"\(config.pruned_heads=\{0: \[1\]\}\)"):
        model([[0, 5, 2]], head_mask=np.ones(2))
    assert model([[0, 5, 2]], head_mask=np.ones((2, 1))).last_hidden_state.shape == (1, 3, 8)
