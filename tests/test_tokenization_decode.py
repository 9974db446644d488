"""Decoding against transformers' *slow* tokenizer, and encode/decode round trips.

Like the ids, decoding follows the slow tokenizer (on the test corpus the fast one decodes
identically).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import InputError

try:
    from tokenizer_fixtures import any_model, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

OPTIONS = [
    dict(),
    dict(skip_special_tokens=True),
    dict(clean_up_tokenization_spaces=False),
    dict(skip_special_tokens=True, clean_up_tokenization_spaces=False),
    dict(spaces_between_special_tokens=False),
]


@pytest.mark.parametrize("options", OPTIONS)
def test_corpus_decode_equals_slow(any_model, options):
    ids = any_model.slow(corpus_lines())["input_ids"]
    assert any_model.ours.batch_decode(ids, **options) == any_model.slow.batch_decode(ids, **options)


@HYPOTHESIS
@given(ids=st.lists(st.integers(0, 2001), max_size=40), skip=st.booleans(), clean=st.booleans())
def test_random_ids_decode_equals_slow(unigram, ids, skip, clean):
    options = dict(skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
    assert unigram.ours.decode(ids, **options) == unigram.slow.decode(ids, **options)


@HYPOTHESIS
@given(text=text_strategy())
def test_round_trip_equals_slow(any_model, text):
    ids = any_model.ours.encode(text)
    assert any_model.ours.decode(ids, skip_special_tokens=True) == any_model.slow.decode(ids, skip_special_tokens=True)
    assert any_model.ours.decode(ids) == any_model.slow.decode(ids)


@pytest.mark.parametrize(
    "text",
    ["Hello world.", "Le chat dort sur le canapé.", "Кошка спит на диване.", "猫はソファで寝ていて", "Paris is the <mask> of France."],
)
def test_round_trip_restores_normalised_text(unigram, text):
    ids = unigram.ours.encode(text)
    assert unigram.ours.decode(ids, skip_special_tokens=True) == text.replace(" <mask>", "")
    assert unigram.ours.decode(ids) == "<s> " + text.replace(" <mask>", "<mask>") + "</s>"


def test_normalisation_is_not_undone(unigram):
    """Decoding returns the normalised text: NFKC forms, collapsed spaces, <unk> for unknown characters."""
    ours, slow = unigram.ours, unigram.slow
    for text in ["ﬁne   ＡＢＣ", "  spaced\tout  ", "\U000446cd"]:
        ids = ours.encode(text)
        assert ours.decode(ids, skip_special_tokens=True) == slow.decode(ids, skip_special_tokens=True)
    assert ours.decode(ours.encode("ﬁne   ＡＢＣ"), skip_special_tokens=True) == "fine ABC"
    assert ours.decode(ours.encode("\U000446cd")) == "<s> <unk></s>"  # "▁" then the unknown character


def test_decode_accepts_arrays_and_single_ids(unigram):
    ids = unigram.ours("Hello world", return_tensors="np")["input_ids"]
    assert unigram.ours.decode(ids[0]) == unigram.slow.decode(ids[0].tolist())
    assert unigram.ours.batch_decode(ids) == unigram.slow.batch_decode(ids.tolist())
    assert unigram.ours.decode(np.int64(5)) == unigram.slow.decode(5)
    assert unigram.ours.decode(5) == unigram.slow.decode(5)
    assert unigram.ours.decode([]) == ""


def test_clean_up_tokenization(unigram):
    assert unigram.ours.clean_up_tokenization("a , b . do n't") == unigram.slow.clean_up_tokenization("a , b . do n't")


def test_convert_ids_to_tokens_skip_special(unigram):
    ids = [0, 10, 3, 1, 2, 2001, 11]
    assert unigram.ours.convert_ids_to_tokens(ids, skip_special_tokens=True) == unigram.slow.convert_ids_to_tokens(
        ids, skip_special_tokens=True
    )
    assert unigram.ours.convert_ids_to_tokens(10) == unigram.slow.convert_ids_to_tokens(10)


@pytest.mark.parametrize("bad", [2002, -1, 10**9])
def test_out_of_range_ids_raise(unigram, bad):
    """The slow tokenizer raises SentencePiece's IndexError; we name the id and the valid range."""
    with pytest.raises(InputError, match=str(bad)):
        unigram.ours.decode([0, bad])
    with pytest.raises(IndexError):
        unigram.slow.decode([0, bad])


@pytest.mark.parametrize("bad", ["abc", [1, "2"], [1.5], None, [True]])
def test_non_integer_ids_raise(unigram, bad):
    with pytest.raises(InputError):
        unigram.ours.decode(bad)
