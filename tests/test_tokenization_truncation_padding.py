"""Truncation, padding and overflow windows.

References:
* without overflow, every truncation strategy and padding mode is compared with transformers'
  *slow* tokenizer (ids are slow-equal by default);
* with ``return_overflowing_tokens=True`` the rows are compared with the *fast* tokenizer, whose
  windowed overflow (``stride``, ``overflow_to_sample_mapping``) we follow — the slow tokenizer
  returns a flat ``overflowing_tokens`` list instead.
Where the slow tokenizer cannot truncate (it logs an error and returns an over-long sequence),
we raise ``InputError`` or, where docs/tokenizer.md's table of disagreements follows the fast
tokenizer (``max_length`` equal to the special tokens), give fast's result; the tests check that
the slow result was indeed over-long.
"""

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import InputError

try:
    from tokenizer_fixtures import any_model, sides, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, sides, text_strategy, tokenizer_sets, unigram  # noqa: F401

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

LONG = "one two three four five six seven eight nine ten eleven twelve"
MEDIUM = "alpha beta gamma delta"
SHORT = "who?"
STRATEGIES = [True, "longest_first", "only_first", "only_second"]
PADDINGS = [False, True, "longest", "max_length"]


def compare_with_slow(tokenizers, text, text_pair, **kwargs):
    """Ours equals slow where slow can truncate. Where it cannot (it logs an error and returns more
    than max_length tokens), ours raises InputError or, in the cases docs/tokenizer.md's table of
    disagreements gives to fast (max_length equal to the special tokens, with nothing to keep),
    equals fast within max_length."""
    kwargs.setdefault("return_special_tokens_mask", True)
    def rows(encoding):  # its input_ids as a list of rows, for a batch or one text
        return encoding["input_ids"] if isinstance(text, list) else [encoding["input_ids"]]

    slow = tokenizers.slow(text, text_pair, **kwargs)
    slow_over_long = kwargs.get("max_length") is not None and any(len(row) > kwargs["max_length"] for row in rows(slow))
    try:
        ours = tokenizers.ours(text, text_pair, **kwargs)
    except InputError:
        assert slow_over_long, "we raised although slow could truncate"
        return
    if slow_over_long:
        assert dict(ours) == dict(tokenizers.fast(text, text_pair, **kwargs))
        assert all(len(row) <= kwargs["max_length"] for row in rows(ours))
        return
    assert dict(ours) == dict(slow)


@pytest.mark.parametrize("truncation_side", ["right", "left"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_on_pairs_equals_slow(unigram, strategy, truncation_side):
    with sides([unigram.ours, unigram.slow], truncation_side):
        for (first, second), max_length in itertools.product(
            [(LONG, MEDIUM), (MEDIUM, LONG), (LONG, LONG), (SHORT, LONG), (LONG, SHORT)], [4, 5, 6, 9, 12, 17, 30, 100]
        ):
            compare_with_slow(unigram, first, second, truncation=strategy, max_length=max_length)


@pytest.mark.parametrize("strategy", [True, "longest_first", "only_first"])
def test_single_text_truncation_equals_slow(any_model, strategy):
    for side in ("right", "left"):
        with sides([any_model.ours, any_model.slow], side):
            for max_length in (3, 4, 7, 10, 50):
                compare_with_slow(any_model, LONG, None, truncation=strategy, max_length=max_length)


def test_max_length_alone_truncates_like_transformers(unigram):
    """max_length without padding or truncation switches on 'longest_first' (transformers' rule)."""
    assert unigram.ours(LONG, max_length=5)["input_ids"] == unigram.slow(LONG, max_length=5)["input_ids"]
    assert len(unigram.ours(LONG, max_length=5)["input_ids"]) == 5


def test_truncation_true_uses_model_max_length(unigram):
    from xlmr_np.tokenization import XLMRobertaTokenizer

    limited = XLMRobertaTokenizer.from_pretrained(unigram.directory, model_max_length=8)
    assert len(limited(LONG, truncation=True)["input_ids"]) == 8
    assert len(limited(LONG, padding="max_length", truncation=True)["input_ids"]) == 8
    assert len(limited(SHORT, padding="max_length")["input_ids"]) == 8
    # Without a model limit (the default 1e30), truncation and max_length padding are no-ops.
    assert unigram.ours(LONG, truncation=True)["input_ids"] == unigram.slow(LONG, truncation=True)["input_ids"]
    assert unigram.ours(SHORT, padding="max_length")["input_ids"] == unigram.slow(SHORT, padding="max_length")["input_ids"]


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("multiple_of", [None, 8])
def test_padding_modes_equal_slow(unigram, padding, padding_side, multiple_of):
    batch = [SHORT, MEDIUM, LONG, ""]
    with sides([unigram.ours, unigram.slow], padding_side=padding_side):
        for max_length in (None, 16, 24):
            kwargs = dict(
                padding=padding,
                max_length=max_length,
                pad_to_multiple_of=multiple_of,
                return_token_type_ids=True,
                return_special_tokens_mask=True,
            )
            if max_length is not None:
                kwargs["truncation"] = "longest_first"
            assert dict(unigram.ours(batch, **kwargs)) == dict(unigram.slow(batch, **kwargs))
            assert dict(unigram.ours(SHORT, **kwargs)) == dict(unigram.slow(SHORT, **kwargs))
            pairs = [(SHORT, MEDIUM), (LONG, SHORT)]
            assert dict(unigram.ours(pairs, **kwargs)) == dict(unigram.slow(pairs, **kwargs))


def test_padding_without_attention_mask(unigram):
    kwargs = dict(padding=True, return_attention_mask=False)
    assert dict(unigram.ours([SHORT, LONG], **kwargs)) == dict(unigram.slow([SHORT, LONG], **kwargs))


@HYPOTHESIS
@given(
    first=text_strategy(8),
    second=st.one_of(st.none(), text_strategy(8)),
    strategy=st.sampled_from(STRATEGIES),
    max_length=st.integers(0, 24),
    padding=st.sampled_from(PADDINGS),
    truncation_side=st.sampled_from(["right", "left"]),
)
@example(first="Hello", second=None, strategy=True, max_length=2, padding=False, truncation_side="right")
@example(first="", second="Hello", strategy="only_second", max_length=4, padding=False, truncation_side="right")
def test_random_truncation_and_padding_equal_slow(unigram, first, second, strategy, max_length, padding, truncation_side):
    with sides([unigram.ours, unigram.slow, unigram.fast], truncation_side):
        compare_with_slow(unigram, [first], None if second is None else [second], truncation=strategy, max_length=max_length, padding=padding)


# ---------------------------------------------------------------------- overflow (fast reference)


def compare_with_fast(tokenizers, text, text_pair=None, **kwargs):
    kwargs.setdefault("return_overflowing_tokens", True)
    kwargs.setdefault("return_offsets_mapping", True)
    kwargs.setdefault("return_special_tokens_mask", True)
    ours = tokenizers.ours(text, text_pair, **kwargs)
    fast = tokenizers.fast(text, text_pair, **kwargs)
    assert dict(ours) == dict(fast)
    for row in range(len(fast["input_ids"])):
        assert ours.sequence_ids(row) == fast.sequence_ids(row)
    return ours


@pytest.mark.parametrize("stride", [0, 1, 3])
@pytest.mark.parametrize("truncation_side", ["right", "left"])
def test_single_text_overflow_windows_equal_fast(any_model, stride, truncation_side):
    with sides([any_model.ours, any_model.fast], truncation_side):
        for max_length in (6, 7, 10):
            ours = compare_with_fast(any_model, LONG, truncation=True, max_length=max_length, stride=stride)
            assert len(ours["input_ids"]) > 1
            assert ours["overflow_to_sample_mapping"] == [0] * len(ours["input_ids"])


def test_first_window_is_the_slow_truncation(unigram):
    ours = unigram.ours(LONG, truncation=True, max_length=7, stride=2, return_overflowing_tokens=True)
    slow = unigram.slow(LONG, truncation=True, max_length=7, stride=2, return_overflowing_tokens=True)
    assert ours["input_ids"][0] == slow["input_ids"]
    assert set(slow) == {"input_ids", "attention_mask", "overflowing_tokens", "num_truncated_tokens"}


@pytest.mark.parametrize("stride", [0, 2])
def test_question_answering_windows_equal_fast(unigram, stride):
    """QA style: question first, long context second, truncation='only_second'."""
    questions = [SHORT, "what is the fifth word?"]
    contexts = [LONG, LONG + " " + MEDIUM]
    for padding in (False, "max_length"):
        compare_with_fast(unigram, questions, contexts, truncation="only_second", max_length=24, stride=stride, padding=padding)
    with sides([unigram.ours, unigram.fast], "left", "left"):
        compare_with_fast(unigram, questions, contexts, truncation="only_second", max_length=24, stride=stride, padding=True)


def test_only_first_overflow_equals_fast(unigram):
    compare_with_fast(unigram, LONG, SHORT, truncation="only_first", max_length=12, stride=1)
    compare_with_fast(unigram, [LONG, MEDIUM], [SHORT, SHORT], truncation="only_first", max_length=12, stride=1, padding=True)


def test_overflow_without_truncation_needed_is_one_row(unigram):
    ours = compare_with_fast(unigram, [SHORT, MEDIUM], truncation=True, max_length=50, stride=3)
    assert ours["overflow_to_sample_mapping"] == [0, 1]


@HYPOTHESIS
@given(
    context=text_strategy(10),
    question=text_strategy(3),
    max_length=st.integers(8, 24),
    stride=st.integers(0, 3),
)
def test_random_overflow_equals_fast(unigram, context, question, max_length, stride):
    question_length = len(unigram.ours.encode(question, add_special_tokens=False))
    context_length = len(unigram.ours.encode(context, add_special_tokens=False))
    window = max_length - 4 - question_length
    if window <= stride and context_length > window:
        with pytest.raises(InputError):
            unigram.ours(question, context, truncation="only_second", max_length=max_length, stride=stride, return_overflowing_tokens=True)
        return
    if unigram.fast(question, context)["input_ids"] != unigram.slow(question, context)["input_ids"]:
        return  # the fast tokenizer tokenises this pair differently (see docs/tokenizer.md)
    compare_with_fast(unigram, question, context, truncation="only_second", max_length=max_length, stride=stride)
