"""The parity tests again, on backends that are not NumPy: the guarded NumPy always, CuPy on a GPU.

The other test modules compare xlmr_np on NumPy with the PyTorch reference. A stray
``numpy.exp(hidden)`` in model code passes them all, and breaks the first time the model runs on
CuPy. CI has no GPU, so this module runs the reference-parity tests once more with every model
moved to the guarded backend of ``tests/guarded_numpy.py``: its arrays refuse every NumPy
function (and conversion to NumPy), and only the ``xp`` namespace computes on them. A stray NumPy
call fails here with ``StrayNumpyCall`` naming the function; the first tests show that it does.

Where CuPy and a GPU are present, the same parity tests run a second time with every model on
CuPy, against the same PyTorch reference (on the CPU) and the same tolerances; elsewhere those
runs skip, saying why.
"""

import numpy as np
import pytest
import transformers

import guarded_numpy
import test_generation as generation_tests
import test_heads as head_tests
import test_modeling as modeling_tests
import xlmr_np
from guarded_numpy import StrayNumpyCall
from reference import assert_close, random_batch, reference_checkpoint
from xlmr_np import activations, backend
from xlmr_np.modeling.pretrained import XLMRobertaPreTrainedModel

GUARDED = guarded_numpy.install()
BACKENDS = [GUARDED, pytest.param("cupy", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not backend.cupy_available(), reason="CuPy with a usable NVIDIA GPU is not available here")])]
SMALL = dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
             max_position_embeddings=24)


@pytest.fixture(params=BACKENDS)
def moved_from_pretrained(request, monkeypatch):
    """Every ``from_pretrained`` in the test returns its model moved to the backend of the run."""
    load = XLMRobertaPreTrainedModel.from_pretrained.__func__
    name = request.param

    def load_moved(cls, *args, **kwargs):
        model = load(cls, *args, **kwargs).to(name)
        assert model.backend == name
        return model

    monkeypatch.setattr(XLMRobertaPreTrainedModel, "from_pretrained", classmethod(load_moved))
    return name


# -- the guard itself --------------------------------------------------------------------------------


def test_guard_refuses_numpy_and_allows_xp():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    array = backend.to_backend(host, GUARDED)
    xp = backend.namespace(array)
    for stray in (lambda: np.exp(array), lambda: np.concatenate([array, array]), lambda: np.asarray(array),
                  lambda: np.ones(3, dtype=np.float32) + array, lambda: np.einsum("ij->j", array)):
        with pytest.raises(StrayNumpyCall):
            stray()
    result = xp.concatenate([xp.exp(array), array * np.float32(2) + 1], axis=0)  # (4, 3)
    assert isinstance(result, guarded_numpy.GuardedArray)
    np.testing.assert_allclose(backend.to_numpy(result), np.concatenate([np.exp(host), host * 2 + 1]))
    assert float(xp.max(array)) == 5.0  # reductions give 0-d arrays, as on CuPy


def test_a_stray_numpy_call_in_model_code_fails_on_the_guarded_backend(monkeypatch):
    """The check can fail: model code with one NumPy call runs on NumPy and fails when guarded."""
    monkeypatch.setitem(activations.ACT2FN, "gelu", lambda x: np.maximum(x, 0))  # the stray call
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**SMALL), seed=1)
    ids = np.array([[0, 5, 6, 2]])
    model(ids)  # NumPy does not notice
    with pytest.raises(StrayNumpyCall, match="numpy.maximum"):
        model.to(GUARDED)(ids)


# -- the parity tests, on each backend -------------------------------------------------------------


def test_model_forward(moved_from_pretrained, tmp_path_factory):
    modeling_tests.test_forward_matches_reference(tmp_path_factory)


def test_cached_decoding(moved_from_pretrained, tmp_path_factory):
    modeling_tests.test_cached_decoding_equals_full_sequence(tmp_path_factory)


@pytest.mark.parametrize("position_embedding_type, second_plan", [
    ("absolute", {0: [0, 1]}), ("relative_key_query", {0: [0, 1]}), ("absolute", {1: [1, 2, 3]})])
def test_pruned_heads(moved_from_pretrained, tmp_path, position_embedding_type, second_plan):
    modeling_tests.test_pruned_heads_match_reference(tmp_path, position_embedding_type, second_plan)


def test_head_masks(moved_from_pretrained, tmp_path):
    """5-D head masks in a decoder with cross-attention and a cache, and on a pruned model."""
    modeling_tests.test_head_mask_in_a_decoder_with_cross_attention_and_cache_matches_reference(tmp_path / "decoder")
    modeling_tests.test_head_mask_on_a_pruned_model_matches_reference(tmp_path / "pruned")


@pytest.mark.parametrize("name", ["masked_lm", "causal_lm", "sequence_classification", "multiple_choice",
                                  "token_classification", "question_answering"])
def test_task_heads_and_losses(moved_from_pretrained, tmp_path_factory, name):
    getattr(head_tests, f"test_{name}_matches_reference")(tmp_path_factory)


def test_greedy_and_beam_search(moved_from_pretrained, tmp_path_factory):
    generation_tests.test_greedy_and_beam_search_match_reference(tmp_path_factory)


def test_generation_up_to_the_position_limit(moved_from_pretrained, tmp_path):
    """Left-padded generation without the cache, up to the limit and one token past it."""
    generation_tests.test_left_padded_generation_runs_exactly_as_far_as_the_reference(
        tmp_path, {"use_cache": False}, 11, ["row 1 of input_ids", "max_new_tokens=11 runs"], 2)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_sampling_runs_and_is_seeded(tmp_path, backend_name):
    """Sampling draws on the host and moves the choice to the backend: same ids as on NumPy."""
    reference_checkpoint(tmp_path, transformers.XLMRobertaForCausalLM, {**SMALL, "is_decoder": True})
    model = xlmr_np.XLMRobertaForCausalLM.from_pretrained(tmp_path)
    ids, mask = random_batch(np.random.default_rng(3), 2, 4, SMALL["vocab_size"], padding="left")
    settings = dict(attention_mask=mask, max_new_tokens=5, do_sample=True, top_k=10, top_p=0.9,
                    temperature=0.7, seed=11)
    expected = model.generate(ids, **settings)
    actual = model.to(backend_name).generate(ids, **settings)
    np.testing.assert_array_equal(backend.to_numpy(actual), expected)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_packed_encode_batch_and_dropout(backend_name):
    """The packed fast path and train-mode dropout (seeded on the host) on the backend."""
    config = xlmr_np.XLMRobertaConfig(**SMALL, position_embedding_type="relative_key", hidden_dropout_prob=0.2)
    model = xlmr_np.XLMRobertaModel(config, seed=2)
    sequences = [np.array([0, 5, 6, 7, 2]), np.array([0, 9, 2]), np.array([0, 4, 4, 4, 4, 4, 2])]
    expected = model.encode_batch(sequences)
    trained = model.train(seed=4)(np.array([[0, 5, 6, 2]])).last_hidden_state
    model.eval().to(backend_name)
    actual = model.encode_batch(sequences)
    padded = np.ones((3, 7), dtype=np.int64)  # the padded-batch form: right padding with id 1
    for row, sequence in enumerate(sequences):
        padded[row, :len(sequence)] = sequence
    from_padded = model.encode_batch(padded, attention_mask=(padded != 1).astype(np.int64))
    for index in range(len(sequences)):
        assert_close(actual.last_hidden_state[index], expected.last_hidden_state[index], f"{backend_name} packed")
        assert_close(actual.pooler_output[index], expected.pooler_output[index], f"{backend_name} packed pooled")
        assert_close(from_padded.last_hidden_state[index], expected.last_hidden_state[index],
                     f"{backend_name} packed from a padded batch")
    assert_close(model.train(seed=4)(np.array([[0, 5, 6, 2]])).last_hidden_state, trained,
                 f"{backend_name} dropout")

