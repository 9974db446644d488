"""Bad input: clear ``InputError`` / ``ConfigError`` messages, or the reference's behaviour.

docs/tokenizer.md lists what transformers does in each case.
"""

import pytest

from xlmr_np.errors import ConfigError, InputError
from xlmr_np.tokenization import XLMRobertaTokenizer

try:
    from tokenizer_fixtures import tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import tokenizer_sets, unigram  # noqa: F401


@pytest.mark.parametrize("bad", [5, None, b"bytes", 3.5, {"text": "a"}])
def test_non_string_text(unigram, bad):
    with pytest.raises(InputError, match=type(bad).__name__):
        unigram.ours(bad)
    with pytest.raises(ValueError):  # transformers raises ValueError as well
        unigram.slow(bad)


@pytest.mark.parametrize("bad", [["ok", 3], ["ok", None], [("a", "b", "c")], [b"x"]])
def test_non_string_items_in_a_batch(unigram, bad):
    with pytest.raises(InputError, match="batch item"):
        unigram.ours(bad)


def test_mismatched_pair_arguments(unigram):
    with pytest.raises(InputError, match="text_pair"):
        unigram.ours("one", ["two"])
    with pytest.raises(InputError, match="text_pair"):
        unigram.ours(["one", "two"], ["three"])
    with pytest.raises(InputError, match="empty list"):
        unigram.ours([])


@pytest.mark.parametrize("text", ["a\ud800b", "\udfff", "ok \ud83d"])
def test_lone_surrogates(unigram, text):
    """The slow tokenizer fails inside SentencePiece (RuntimeError); we name the character and position."""
    position = next(index for index, char in enumerate(text) if 0xD800 <= ord(char) <= 0xDFFF)
    with pytest.raises(InputError, match=f"position {position}"):
        unigram.ours(text)
    with pytest.raises(InputError, match="surrogate"):
        unigram.ours(["fine", text])
    with pytest.raises(InputError, match="surrogate"):
        unigram.ours("fine", text, return_offsets_mapping=True)
    with pytest.raises(InputError, match="surrogate"):
        unigram.ours.tokenize(text)
    with pytest.raises(RuntimeError):
        unigram.slow(text)


def test_empty_strings_behave_like_transformers(unigram):
    assert unigram.ours("")["input_ids"] == unigram.slow("")["input_ids"] == [0, 2]
    assert unigram.ours("", "")["input_ids"] == unigram.slow("", "")["input_ids"] == [0, 2, 2, 2]
    assert unigram.ours([""], padding=True)["input_ids"] == [[0, 2]]
    assert unigram.ours.tokenize("") == []


@pytest.mark.parametrize("max_length", [0, 1])
def test_max_length_below_special_tokens_single(unigram, max_length):
    with pytest.raises(InputError, match=f"max_length={max_length} is smaller than the 2 special tokens"):
        unigram.ours("some text", truncation=True, max_length=max_length)
    with pytest.raises(InputError):
        unigram.ours("some text", max_length=max_length)  # max_length alone switches truncation on


@pytest.mark.parametrize("max_length", [0, 1, 2, 3])
def test_max_length_below_special_tokens_pair(unigram, max_length):
    with pytest.raises(InputError, match="4 special tokens"):
        unigram.ours("some text", "more text", truncation="longest_first", max_length=max_length)


def test_max_length_equal_to_special_tokens_keeps_only_them(unigram):
    """The fast tokenizer gives <s></s>; the slow one logs an error and returns everything."""
    assert unigram.ours("some text", truncation=True, max_length=2)["input_ids"] == [0, 2]
    assert unigram.fast("some text", truncation=True, max_length=2)["input_ids"] == [0, 2]
    assert unigram.ours("some", "text", truncation=True, max_length=4)["input_ids"] == [0, 2, 2, 2]


def test_only_first_or_second_may_empty_their_text_when_no_room_is_left(unigram):
    """max_length equal to the special tokens: the fast tokenizer empties the text to cut (slow: logs an error)."""
    cases = [
        (("some text", None), "only_first", 2, [0, 2]),
        (("", "some text"), "only_second", 4, [0, 2, 2, 2]),
        ((["some text"], [""]), "only_first", 4, [[0, 2, 2, 2]]),  # a batch: fast keeps an empty pair there
    ]
    for (text, text_pair), strategy, max_length, expected in cases:
        kwargs = dict(truncation=strategy, max_length=max_length)
        assert unigram.ours(text, text_pair, **kwargs)["input_ids"] == expected
        assert unigram.fast(text, text_pair, **kwargs)["input_ids"] == expected


def test_only_second_cannot_empty_the_first_text(unigram):
    """max_length=4 leaves no room for a pair's texts: only_second cannot remove the first (the fast tokenizer does)."""
    with pytest.raises(InputError, match="only_second"):
        unigram.ours("a", "some text", truncation="only_second", max_length=4)
    assert unigram.fast("a", "some text", truncation="only_second", max_length=4)["input_ids"] == [0, 2, 2, 2]


def test_small_max_length_is_fine_without_truncation(unigram):
    encoded = unigram.ours(["a", "a b c d e"], padding="max_length", max_length=1)
    assert encoded["input_ids"] == unigram.slow(["a", "a b c d e"], padding="max_length", max_length=1)["input_ids"]


def test_truncation_that_cannot_fit(unigram):
    long, short = "one two three four five six seven", "a"
    with pytest.raises(InputError, match="only_first"):
        unigram.ours(short, long, truncation="only_first", max_length=6)
    with pytest.raises(InputError, match="only_second"):
        unigram.ours(long, short, truncation="only_second", max_length=6)
    with pytest.raises(InputError, match="needs a text_pair: the text has 19 tokens, more than the 4"):
        unigram.ours(long, truncation="only_second", max_length=6)
    with pytest.raises(Exception, match="Second sequence not provided"):  # the fast tokenizer raises too
        unigram.fast(long, truncation="only_second", max_length=6)


@pytest.mark.parametrize("overflow", [False, True])
def test_only_second_without_a_pair_is_fine_while_the_text_fits(unigram, overflow):
    """Both transformers tokenizers return the text as it is; only a text too long is an error."""
    kwargs = dict(truncation="only_second", max_length=6, return_overflowing_tokens=overflow)
    assert unigram.ours("a b", **kwargs)["input_ids"] == unigram.fast("a b", **kwargs)["input_ids"]
    assert unigram.ours(["a b", "c"], **kwargs)["input_ids"] == unigram.fast(["a b", "c"], **kwargs)["input_ids"]
    assert unigram.ours("a b", truncation="only_second", max_length=6) == unigram.slow("a b", truncation="only_second", max_length=6)


def test_overflow_errors(unigram):
    text = "one two three four five six seven eight nine ten"
    with pytest.raises(InputError, match="stride=4"):
        unigram.ours(text, truncation=True, max_length=6, stride=4, return_overflowing_tokens=True)
    with pytest.raises(InputError, match="only_first' or 'only_second"):
        unigram.ours(text, text, truncation="longest_first", max_length=10, return_overflowing_tokens=True)
    with pytest.raises(ValueError, match="longest_first"):  # the slow tokenizer refuses too
        unigram.slow(text, text, truncation="longest_first", max_length=10, return_overflowing_tokens=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(padding="sideways"), "padding='sideways'"),
        (dict(truncation="middle"), "truncation='middle'"),
        (dict(max_length=-1), "max_length must be an int >= 0"),
        (dict(max_length=2.5), "max_length"),
        (dict(stride=-1, truncation=True, max_length=5), "stride"),
        (dict(pad_to_multiple_of=0, padding=True), "pad_to_multiple_of"),
        (dict(padding=True, truncation=True, max_length=10, pad_to_multiple_of=4), "not a multiple"),
        (dict(return_tensors="pt"), "return_tensors='pt'"),
        (dict(add_special_tokens=False, return_token_type_ids=True), "add_special_tokens"),
    ],
)
def test_bad_arguments(unigram, kwargs, message):
    with pytest.raises(InputError, match=message):
        unigram.ours(["a text", "another"], **kwargs)


def test_ragged_numpy_output(unigram):
    with pytest.raises(InputError, match="padding=True"):
        unigram.ours(["a", "a b c"], return_tensors="np")


def test_bad_configuration(unigram):
    with pytest.raises(ConfigError, match="padding_side"):
        XLMRobertaTokenizer.from_pretrained(unigram.directory, padding_side="middle")
    with pytest.raises(ConfigError, match="model_max_length"):
        XLMRobertaTokenizer.from_pretrained(unigram.directory, model_max_length=0)
    with pytest.raises(ConfigError, match="not in the vocabulary"):
        XLMRobertaTokenizer.from_pretrained(unigram.directory, cls_token="[CLS]")
    tokenizer = XLMRobertaTokenizer.from_pretrained(unigram.directory)
    with pytest.raises(ConfigError):
        tokenizer.truncation_side = "up"


def test_encode_helpers_reject_batches(unigram):
    with pytest.raises(InputError, match="encode"):
        unigram.ours.encode(["a", "b"])
    with pytest.raises(InputError, match="batch_encode_plus"):
        unigram.ours.batch_encode_plus("a")
    assert unigram.ours.encode_plus("a", "b") == unigram.ours("a", "b")
    assert unigram.ours.batch_encode_plus(["a", "b"]) == unigram.ours(["a", "b"])


def test_special_tokens_mask_with_pair_and_existing_specials(unigram):
    with pytest.raises(InputError):
        unigram.ours.get_special_tokens_mask([0, 5, 2], [5], already_has_special_tokens=True)


def test_sequence_ids_out_of_range(unigram):
    encoding = unigram.ours(["a", "b"])
    assert encoding.sequence_ids(1) == [None, 0, None]
    with pytest.raises(InputError, match="batch_index=2"):
        encoding.sequence_ids(2)


@pytest.mark.parametrize(
    "kwargs, cause",
    [
        (dict(padding="max_length", max_length=10**12), "max_length=1000000000000"),
        (dict(padding="max_length", max_length=2**24 + 1, truncation=True), "max_length=16777217"),
        (dict(padding=True, pad_to_multiple_of=10**12), "pad_to_multiple_of=1000000000000"),
        (dict(padding="max_length", max_length=8, pad_to_multiple_of=2**25), "pad_to_multiple_of=33554432"),
    ],
)
def test_padding_beyond_the_limit(unigram, kwargs, cause):
    """transformers' slow tokenizer raises a bare MemoryError here and the fast one aborts the process."""
    with pytest.raises(InputError, match=f"{cause} would make rows of .* limited to 16777216"):
        unigram.ours(["a text", "another"], **kwargs)
    with pytest.raises(InputError, match=cause):
        unigram.ours("a text", **kwargs)


def test_padding_limit_leaves_long_rows_and_big_limits_alone(unigram):
    from xlmr_np.tokenization import padding

    assert padding.target_length(padding.MAX_LENGTH, [3, 5], 2**24, None) == 2**24  # at the limit: fine
    assert padding.target_length(padding.LONGEST, [2**24 + 3], None, 8) == 2**24 + 8  # rows already that long
    assert padding.target_length(padding.MAX_LENGTH, [2**25], 2**24 + 1, None) == 2**24 + 1  # nothing to pad
    # max_length far above any text without padding='max_length' only truncates: no padding, no limit.
    assert unigram.ours("a text", truncation=True, max_length=10**12) == unigram.slow("a text", truncation=True, max_length=10**12)


def test_huge_stride(unigram):
    """A stride matters only where a window is cut: there it is an InputError, elsewhere it is ignored (as slow does)."""
    long = "one two three four five six seven eight nine ten"
    with pytest.raises(InputError, match=f"stride={10**12} must be smaller than the 6 tokens"):
        unigram.ours(long, truncation=True, max_length=8, stride=10**12, return_overflowing_tokens=True)
    kwargs = dict(truncation=True, max_length=100, stride=10**12)
    fits = unigram.ours(long, return_overflowing_tokens=True, **kwargs)
    assert fits["input_ids"] == [unigram.slow(long, **kwargs)["input_ids"]]
    assert unigram.ours(long, truncation=True, max_length=8, stride=10**12) == unigram.slow(long, truncation=True, max_length=8, stride=10**12)
    with pytest.raises(ValueError, match="stride"):  # the fast tokenizer refuses such a stride up front
        unigram.fast(long, return_overflowing_tokens=True, **kwargs)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_only_during_a_call(unigram, enabled):
    """A call pauses the cyclic collector (collection.py) and leaves it as it found it, also
    when the call raises and for the deferred alignment pass."""
    import gc

    seen = []
    original = unigram.ours._build_rows

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    (gc.enable if enabled else gc.disable)()
    try:
        unigram.ours._build_rows = spy
        encoding = unigram.ours(["a b", "c"], padding=True)
        assert gc.isenabled() is enabled
        encoding.word_ids(0)  # the offsets pass, run on first use
        assert gc.isenabled() is enabled
        with pytest.raises(InputError):
            unigram.ours("a b", max_length=1, truncation=True)
        assert gc.isenabled() is enabled
        assert seen == [False, False, False]
    finally:
        del unigram.ours._build_rows
        gc.enable()
