"""Generation against transformers' ``generate``: token ids for greedy and beam search, and the
distribution of sampled tokens.

Greedy and beam search must return exactly the reference's token ids. An argmax or a top-k over
scores that differ by float32 rounding (~1e-7) could flip on a near-tie, which says nothing
about the algorithm; the hypothesis tests therefore run both models in float64, where rounding
differences (~1e-16) cannot reorder real candidates. Fixed float32 examples are checked too.

Sampling cannot reproduce torch's random stream, so it is tested statistically: many draws of
the first new token are compared with the softmax of the reference's warped logits by a
chi-square test whose false-failure probability is 1e-6 per distribution (see
``test_sampled_tokens_follow_the_warped_softmax``).
"""

import warnings

import numpy as np
import pytest
import scipy.stats
import torch
import transformers
from hypothesis import given, strategies as st
from transformers.generation.logits_process import (TemperatureLogitsWarper as RefTemperature,
                                                    TopKLogitsWarper as RefTopK, TopPLogitsWarper as RefTopP)

from reference import random_batch, reference_checkpoint, to_numpy
from strategies import small_configs
from xlmr_np import InputError
from xlmr_np.generation import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
from xlmr_np.generation.search import sample_from_scores
from xlmr_np.heads import XLMRobertaForCausalLM

transformers.logging.set_verbosity_error()

SMALL = dict(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
             max_position_embeddings=32, is_decoder=True)
P_VALUE_THRESHOLD = 1e-6  # chance that a correct sampler fails one chi-square check


def reference_generate(reference, ids, mask, **settings):
    settings = {key: value for key, value in settings.items() if value is not None}
    with torch.no_grad():
        return reference.generate(torch.tensor(ids), attention_mask=None if mask is None else torch.tensor(mask),
                                  do_sample=False, **settings).numpy()


def both_models(directory, config, seed=0, dtype="float32"):
    reference = reference_checkpoint(directory, transformers.XLMRobertaForCausalLM, config, seed=seed)
    if dtype == "float64":
        reference = reference.double()
    return reference, XLMRobertaForCausalLM.from_pretrained(directory, dtype=dtype)


def assert_pads_after_end(sequences, prompt_len, eos_ids, pad_id):
    """Greedy rows that ended continue with padding only."""
    for row in sequences[:, prompt_len:]:
        ends = np.flatnonzero(np.isin(row, eos_ids))
        if ends.size:
            assert np.all(row[ends[0] + 1:] == pad_id), row


# -- token ids equal the reference's ---------------------------------------------------------------


@given(config=small_configs(decoder=True), seed=st.integers(0, 2**16), data=st.data())
def test_greedy_and_beam_search_match_reference(tmp_path_factory, config, seed, data):
    config = {**config, "chunk_size_feed_forward": 0,  # chunks must divide the 1-token steps
              "use_cache": data.draw(st.sampled_from([True, True, True, False]), label="use_cache")}
    reference, model = both_models(tmp_path_factory.mktemp("gen"), config, seed, dtype="float64")
    rng = np.random.default_rng(seed)
    batch = data.draw(st.integers(1, 3), label="batch")
    prompt = data.draw(st.integers(1, 6), label="prompt")
    padding = data.draw(st.sampled_from(["left", "right"]), label="padding")
    ids, mask = random_batch(rng, batch, prompt, config["vocab_size"], padding=padding)
    if data.draw(st.booleans(), label="mask inferred from pad ids"):
        mask = None
    max_new_tokens = data.draw(st.integers(1, 8), label="max_new_tokens")
    settings = dict(max_new_tokens=max_new_tokens,
                    num_beams=data.draw(st.sampled_from([1, 1, 2, 3, 4]), label="num_beams"))
    if settings["num_beams"] > 1:
        settings["length_penalty"] = data.draw(st.sampled_from([1.0, 0.0, 0.5, 2.0, -1.0]), label="length_penalty")
        settings["early_stopping"] = data.draw(st.sampled_from([False, True, "never"]), label="early_stopping")
    eos_mode = data.draw(st.sampled_from(["config", "generated", "two ids"]), label="eos")
    if eos_mode != "config":  # end ids the model actually produces, so sequences do end early
        produced = reference_generate(reference, ids, mask, max_new_tokens=max_new_tokens)[:, prompt:]
        choices = [int(t) for t in produced.reshape(-1)]
        settings["eos_token_id"] = choices[0] if eos_mode == "generated" else [choices[0], choices[-1]]
        settings["pad_token_id"] = data.draw(st.sampled_from([None, 0]), label="pad_token_id")

    expected = reference_generate(reference, ids, mask, **settings)
    actual = to_numpy(model.generate(ids, attention_mask=mask, **settings))
    np.testing.assert_array_equal(actual, expected)
    if settings["num_beams"] == 1:
        eos = settings.get("eos_token_id", config["eos_token_id"])
        pad = settings.get("pad_token_id")
        assert_pads_after_end(actual, prompt, np.atleast_1d(eos), config["pad_token_id"] if pad is None else pad)


@pytest.mark.parametrize("extra", [{}, {"position_embedding_type": "relative_key_query"},
                                   {"add_cross_attention": True}, {"is_decoder": False}])
@pytest.mark.parametrize("num_beams", [1, 3])
def test_float32_generation_matches_reference(tmp_path, extra, num_beams):
    """The model's own dtype: same ids on fixed examples (is_decoder=False: no cache, as the reference)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the not-a-decoder warning
        reference, model = both_models(tmp_path, {**SMALL, **extra}, seed=5)
    for padding in ("left", "right"):
        ids, mask = random_batch(np.random.default_rng(7), 3, 5, 30, padding=padding)
        expected = reference_generate(reference, ids, mask, max_new_tokens=7, num_beams=num_beams)
        np.testing.assert_array_equal(model.generate(ids, attention_mask=mask, max_new_tokens=7,
                                                     num_beams=num_beams), expected)


def test_cache_is_used_and_reordered(tmp_path, monkeypatch):
    """After the prompt, every step feeds one token per row; beam search reorders the cache."""
    _, model = both_models(tmp_path, SMALL)
    seen, reorders = [], []
    forward, reorder = model.forward, model._reorder_cache
    monkeypatch.setattr(model, "forward", lambda **kw: seen.append(
        (kw["input_ids"].shape, None if kw["past_key_values"] is None else kw["past_key_values"][0][0].shape[2]))
        or forward(**kw))
    monkeypatch.setattr(model, "_reorder_cache", lambda past, idx: reorders.append(list(idx)) or reorder(past, idx))
    ids = np.array([[0, 5, 6, 7], [0, 8, 9, 10]])
    model.generate(ids, max_new_tokens=4, eos_token_id=[])
    assert seen == [((2, 4), None), ((2, 1), 4), ((2, 1), 5), ((2, 1), 6)]
    seen.clear()
    model.generate(ids, max_new_tokens=3, num_beams=2, eos_token_id=[])
    assert seen == [((4, 4), None), ((4, 1), 4), ((4, 1), 5)]
    assert len(reorders) == 3 and all(set(idx[:2]) <= {0, 1} and set(idx[2:]) <= {2, 3} for idx in reorders)


# -- sampling ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("top_k, top_p, min_keep", [(1, 1.0, 1), (5, 1.0, 1), (5, 1.0, 2), (100, 1.0, 1),
                                                      (0, 0.5, 1), (0, 0.9, 2), (0, 0.0, 1), (3, 0.7, 1)])
def test_warpers_match_the_reference(top_k, top_p, min_keep):
    scores = np.random.default_rng(top_k).standard_normal((4, 40)) * 3
    theirs, ours = torch.tensor(scores), scores
    for warper, reference in ((TemperatureLogitsWarper(0.7), RefTemperature(0.7)),
                              (TopKLogitsWarper(top_k, min_keep) if top_k else None,
                               RefTopK(top_k, min_tokens_to_keep=min_keep) if top_k else None),
                              (TopPLogitsWarper(top_p, min_keep), RefTopP(top_p, min_tokens_to_keep=min_keep))):
        if warper is not None:
            ours, theirs = warper(ours), reference(None, theirs)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs.numpy()))
    np.testing.assert_allclose(ours[np.isfinite(ours)], theirs.numpy()[np.isfinite(ours)], rtol=1e-12)


def chi_square_p_value(counts, probabilities):
    """Pearson's chi-square goodness of fit; bins with an expected count under 5 are pooled."""
    expected = probabilities * counts.sum()
    order = np.argsort(expected)
    pooled_observed, pooled_expected, observed_acc, expected_acc = [], [], 0, 0.0
    for index in order:
        observed_acc += counts[index]
        expected_acc += expected[index]
        if expected_acc >= 5:
            pooled_observed.append(observed_acc)
            pooled_expected.append(expected_acc)
            observed_acc, expected_acc = 0, 0.0
    if expected_acc:  # a small remainder joins the last bin
        pooled_observed[-1] += observed_acc
        pooled_expected[-1] += expected_acc
    observed, expected = np.array(pooled_observed), np.array(pooled_expected)
    assert len(observed) >= 3, "too few bins for a meaningful test"
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return float(scipy.stats.chi2.sf(statistic, df=len(observed) - 1))


SAMPLING_SETTINGS = [dict(temperature=1.0, top_k=0, top_p=1.0), dict(temperature=0.8, top_k=8, top_p=1.0),
                     dict(temperature=1.7, top_k=0, top_p=0.85), dict(temperature=1.3, top_k=50, top_p=0.7)]


@pytest.fixture(scope="module")
def peaked_model(tmp_path_factory):
    """initializer_range 0.3 spreads the logits (std ~ 1), so the softmax is far from uniform
    (top token 0.26, then 0.21, 0.09, ...) and a sampler that ignored it would be caught."""
    directory = tmp_path_factory.mktemp("peaked")
    return both_models(directory, {**SMALL, "initializer_range": 0.3}, seed=3)


@pytest.mark.parametrize("settings", SAMPLING_SETTINGS, ids=str)
def test_sampled_tokens_follow_the_warped_softmax(peaked_model, settings):
    """20000 first tokens drawn by generate vs softmax(reference warpers(reference logits)).

    Under a correct sampler the chi-square p-value is uniform on [0, 1], so the check fails by
    chance with probability 1e-6; the seeds are fixed, so CI runs are deterministic. Tokens the
    warpers remove must never be drawn. The same counts against the unwarped softmax must be
    rejected whenever the warpers change it, which shows the test can see a wrong distribution.
    """
    reference, model = peaked_model
    prompt = np.array([[0, 7, 12, 5, 9]])
    with torch.no_grad():
        logits = reference(torch.tensor(prompt)).logits[:, -1, :].double()
    warped = logits
    if settings["temperature"] != 1.0:
        warped = RefTemperature(settings["temperature"])(None, warped)
    if settings["top_k"]:
        warped = RefTopK(settings["top_k"])(None, warped)
    if settings["top_p"] < 1.0:
        warped = RefTopP(settings["top_p"])(None, warped)
    probabilities = torch.softmax(warped, dim=-1)[0].numpy()
    assert probabilities.max() > 3 / probabilities.size  # far from uniform

    draws = 20000
    out = model.generate(np.repeat(prompt, draws, axis=0), max_new_tokens=1, do_sample=True, seed=1234,
                         **settings)
    counts = np.bincount(out[:, -1], minlength=probabilities.size)
    assert counts[probabilities == 0].sum() == 0, "a removed token was drawn"
    p_value = chi_square_p_value(counts[probabilities > 0], probabilities[probabilities > 0])
    assert p_value > P_VALUE_THRESHOLD, (p_value, settings)
    plain = torch.softmax(logits, dim=-1)[0].numpy()
    if settings != SAMPLING_SETTINGS[0]:  # every other setting removes tokens or reshapes the rest
        assert chi_square_p_value(counts, plain) < P_VALUE_THRESHOLD


def test_gumbel_sampler_on_fixed_scores():
    """The sampler alone, on scores with -inf entries: frequencies match softmax(scores)."""
    rng = np.random.default_rng(0)
    scores = np.array([[2.0, 0.5, -np.inf, 1.0, -1.0, -np.inf]])
    draws = np.concatenate([sample_from_scores(np.repeat(scores, 5000, axis=0), rng) for _ in range(4)])
    counts = np.bincount(draws, minlength=6)
    probabilities = np.exp(scores[0] - scores[0].max())
    probabilities /= probabilities.sum()
    assert counts[2] == counts[5] == 0
    assert chi_square_p_value(counts[probabilities > 0], probabilities[probabilities > 0]) > P_VALUE_THRESHOLD


def test_sampling_is_reproducible_for_a_seed(peaked_model):
    _, model = peaked_model
    ids = np.array([[0, 7, 12, 5, 9], [1, 1, 0, 8, 4]])
    settings = dict(max_new_tokens=8, do_sample=True, temperature=1.5, top_k=0, eos_token_id=[])
    first = model.generate(ids, seed=42, **settings)
    np.testing.assert_array_equal(model.generate(ids, seed=42, **settings), first)
    assert not np.array_equal(model.generate(ids, seed=43, **settings), first)
    np.testing.assert_array_equal(first[:, :5], ids)


def test_beam_sampling_is_reproducible(peaked_model):
    _, model = peaked_model
    ids = np.array([[0, 7, 12, 5, 9], [1, 1, 0, 8, 4]])
    settings = dict(max_new_tokens=6, do_sample=True, num_beams=3, temperature=1.3, seed=9)
    first = model.generate(ids, **settings)
    np.testing.assert_array_equal(model.generate(ids, **settings), first)
    assert first.shape[0] == 2 and 5 < first.shape[1] <= 11
    assert first.min() >= 0 and first.max() < 30
    np.testing.assert_array_equal(first[:, :5], ids)


# -- bad settings ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model():
    from xlmr_np import XLMRobertaConfig
    return XLMRobertaForCausalLM(XLMRobertaConfig(**SMALL))


@pytest.mark.parametrize("kwargs, words", [
    (dict(num_beams=0), ["num_beams=0", ">= 1"]),
    (dict(num_beams=-2), ["num_beams=-2"]),
    (dict(num_beams=2.5), ["num_beams=2.5"]),
    (dict(max_new_tokens=0), ["max_new_tokens=0"]),
    (dict(temperature=0.0, do_sample=True), ["temperature=0.0"]),
    (dict(top_p=1.5), ["top_p=1.5"]),
    (dict(top_k=-1), ["top_k=-1"]),
    (dict(eos_token_id=30), ["eos_token_id=30", "vocab_size=30"]),
    (dict(pad_token_id=-1), ["pad_token_id=-1"]),
    (dict(early_stopping="sometimes"), ["early_stopping='sometimes'"]),
    (dict(input_ids=np.array([[0, 5, 30]])), ["input_ids", "id 30", "vocab_size=30"]),
    (dict(input_ids=np.array([0, 5, 6])), ["2-D", "(3,)"]),
    (dict(attention_mask=np.ones((1, 3))), ["attention_mask has shape (1, 3)", "(1, 4)"]),
    (dict(attention_mask=np.array([[1, 1, 0.5, 1]])), ["attention_mask must hold 0 (padding) and 1", "0.5"]),
    (dict(attention_mask=np.array([[1, 2, 1, 1]])), ["attention_mask must hold 0", "[1, 2]"]),
    (dict(input_ids=[[0, 5, 6], [0]]), ["input_ids could not be read as an array"]),
    (dict(attention_mask=[[1, 1, 1], [1]]), ["attention_mask could not be read as an array"]),
    (dict(do_sample=True, seed=-3), ["seed=-3", ">= 0"]),
])
def test_bad_generation_settings_name_the_value(small_model, kwargs, words):
    kwargs = {"input_ids": np.array([[0, 5, 6, 7]]), **kwargs}
    with pytest.raises(InputError) as error:
        small_model.generate(**kwargs)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_longest_allowed_generation_fits_the_position_table(small_model):
    """prompt + max_new_tokens - 1 tokens are fed to the model: 4 + 27 - 1 = 30 fits 32 rows."""
    out = small_model.generate(np.array([[0, 5, 6, 7]]), max_new_tokens=27, eos_token_id=[])
    assert out.shape == (1, 31)
    with pytest.raises(InputError) as error:
        small_model.generate(np.array([[0, 5, 6, 7]]), max_new_tokens=28, eos_token_id=[])
    for word in ["row 0 of input_ids needs 31 positions for new token 28", "30 cached, left padding included, + 1 new",
                 "max_position_embeddings=32", "30 positions fit", "max_new_tokens=27 runs"]:
        assert word in str(error.value), str(error.value)


# -- the position limit under left padding ---------------------------------------------------------

# Two left-padded prompts of width 10: 4 and 8 tokens after 6 and 2 pads (pad_token_id = 1).
LEFT_PADDED = np.array([[1, 1, 1, 1, 1, 1, 5, 3, 7, 24], [1, 1, 16, 19, 29, 22, 20, 17, 18, 28]])


@pytest.mark.parametrize("extra, longest, words", [
    # With the cache a new token's position counts every cached column, pads included: 10 + 9 - 1 = 18.
    ({}, 9, ["row 0 of input_ids needs 19 positions for new token 10", "18 cached, left padding included, + 1 new",
             "18 positions fit", "max_new_tokens=9 runs"]),
    # Without it each step recounts the row's tokens that are not padding: row 1 has 8 + 11 - 1 = 18.
    ({"use_cache": False}, 11, ["row 1 of input_ids needs 19 positions for new token 12",
                                "19 tokens that are not padding", "max_new_tokens=11 runs"]),
    # Relative distances: the key length, pads included, up to max_position_embeddings = 20.
    ({"position_embedding_type": "relative_key"}, 11, ["needs 21 positions for new token 12",
                                                       "relative_key attention", "max_new_tokens=11 runs"]),
])
@pytest.mark.parametrize("num_beams", [1, 2])
def test_left_padded_generation_runs_exactly_as_far_as_the_reference(tmp_path, extra, longest, words, num_beams):
    """max_position_embeddings=20 leaves 18 positions for tokens. The reference runs up to the step
    where a row's next position falls off the table and fails there (an index error); xlmr_np
    generates the same ids up to that limit and raises an InputError naming the row and the count
    one token past it."""
    reference, model = both_models(tmp_path, dict(SMALL, max_position_embeddings=20, **extra), dtype="float64")
    mask = (LEFT_PADDED != 1).astype(np.int64)
    settings = dict(max_new_tokens=longest, eos_token_id=[], num_beams=num_beams)
    expected = reference_generate(reference, LEFT_PADDED, mask, **settings)
    np.testing.assert_array_equal(model.generate(LEFT_PADDED, attention_mask=mask, **settings), expected)
    settings["max_new_tokens"] = longest + 1
    with pytest.raises((IndexError, RuntimeError)):
        reference_generate(reference, LEFT_PADDED, mask, **settings)
    with pytest.raises(InputError) as error:
        model.generate(LEFT_PADDED, attention_mask=mask, **settings)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_generation_that_ends_before_the_position_limit_runs(tmp_path):
    """max_new_tokens may exceed what the table holds: the reference only fails when a row that
    has not ended reaches the limit, so a batch whose rows all end first runs, in both libraries."""
    reference, model = both_models(tmp_path, dict(SMALL, max_position_embeddings=20), dtype="float64")
    mask = (LEFT_PADDED != 1).astype(np.int64)
    first = reference_generate(reference, LEFT_PADDED, mask, max_new_tokens=1, eos_token_id=[])[:, -1]
    settings = dict(max_new_tokens=40, eos_token_id=sorted({int(token) for token in first}))  # every row ends at once
    expected = reference_generate(reference, LEFT_PADDED, mask, **settings)
    np.testing.assert_array_equal(model.generate(LEFT_PADDED, attention_mask=mask, **settings), expected)
