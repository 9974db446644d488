"""``BatchEncoding.encodings`` / ``enc[i]`` (``xlmr_np/tokenization/encoding.py``) against the
``tokenizers.Encoding`` objects of transformers' fast tokenizer.

Every property (``ids``, ``type_ids``, ``tokens``, ``offsets``, ``attention_mask``,
``special_tokens_mask``, ``word_ids``, ``words``, ``sequence_ids``, ``n_sequences``,
``overflowing``, ``len``) and every alignment method, at every token, word and character index
of every row (and past the end), is compared exactly — values and types (plain tuples, not
``TokenSpan``) — on the calls test_tokenization_alignment.py draws, plus drawn
``return_attention_mask`` / ``return_special_tokens_mask``, since an ``Encoding`` has those
values whether or not the call returned the fields. Calls where the fast tokenizer is no
reference are skipped as there (docs/tokenizer.md); the two documented differences are checked
as such: type ids of paired overflow rows (``REFERENCES_DIFFER["overflow token types"]`` in
test_tokenization_call.py) and ``overflowing`` without ``return_overflowing_tokens``.
"""

import pickle
import warnings

import pytest
import transformers
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import InputError
from xlmr_np.tokenization import BatchEncoding
from xlmr_np.tokenization.batch_encoding import Alignment, TokenSpan
from xlmr_np.tokenization.encoding import Encoding

try:
    from test_tokenization_alignment import _rows, calls, ours_and_fast
    from tokenizer_fixtures import any_model, configured, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.test_tokenization_alignment import _rows, calls, ours_and_fast
    from tests.tokenizer_fixtures import any_model, configured, tokenizer_sets, unigram  # noqa: F401

# transformers warns about drawn combinations it ignores, e.g. max_length with padding=True and no truncation.
pytestmark = pytest.mark.filterwarnings("ignore:`max_length` is ignored:UserWarning")

HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

VALUES = ["ids", "tokens", "offsets", "attention_mask", "special_tokens_mask", "word_ids", "sequence_ids", "n_sequences"]
TOKEN_METHODS = ["token_to_sequence", "token_to_word", "token_to_chars"]  # (token_index)
SEQUENCE_METHODS = ["word_to_tokens", "word_to_chars", "char_to_token", "char_to_word"]  # (index, sequence_index)


def words_of(encoding):
    with pytest.warns(DeprecationWarning, match="Encoding.words is deprecated"):
        return encoding.words


def assert_encoding_equal(ours, fast, chars: int, type_ids_differ: bool = False, overflowing: bool = True):
    """Every value and method of one row's ``Encoding``, at every index up to ``chars`` (+ 2)."""
    assert isinstance(ours, Encoding)
    for name in VALUES:
        assert getattr(ours, name) == getattr(fast, name), name
    assert words_of(ours) == words_of(fast)
    assert len(ours) == len(fast) and repr(ours) == repr(fast)
    if type_ids_differ:  # REFERENCES_DIFFER["overflow token types"]: fast types the second text 1 after the first row
        assert ours.type_ids == [0] * len(fast)
    else:
        assert ours.type_ids == fast.type_ids
    for token in range(len(fast) + 2):
        for name in TOKEN_METHODS:
            got, expected = getattr(ours, name)(token), getattr(fast, name)(token)
            assert got == expected and type(got) is type(expected), (name, token, got, expected)
    words = [word for word in fast.word_ids if word is not None]
    for sequence in (0, 1, 2):
        for index in range(max(words + [chars]) + 2):
            for name in SEQUENCE_METHODS:
                got, expected = getattr(ours, name)(index, sequence), getattr(fast, name)(index, sequence_index=sequence)
                assert got == expected and type(got) is type(expected), (name, index, sequence, got, expected)
    if overflowing:
        assert len(ours.overflowing) == len(fast.overflowing)
        for ours_row, fast_row in zip(ours.overflowing, fast.overflowing):
            assert_encoding_equal(ours_row, fast_row, chars, type_ids_differ)
    else:  # without return_overflowing_tokens the fast Encoding keeps the cut-off windows: docs/tokenizer.md
        assert ours.overflowing == []


def assert_encodings_equal(ours, fast, chars: int, type_ids_differ: bool = False, overflowing: bool = True):
    """``encodings`` and ``enc[i]`` (negative and out-of-range ``i`` too) of two whole outputs."""
    assert isinstance(ours.encodings, list) and len(ours.encodings) == len(fast.encodings) == len(_rows(fast["input_ids"]))
    count = len(fast.encodings)
    for row in range(count):
        assert ours[row] is ours.encodings[row]
        assert_encoding_equal(ours[row], fast[row], chars, type_ids_differ, overflowing)
    assert ours[-1].ids == fast[-1].ids and ours[-count].ids == fast[-count].ids
    for row in (count, -count - 1):
        with pytest.raises(IndexError, match=f"row {row} is out of range: this BatchEncoding has {count} rows"):
            ours[row]
        with pytest.raises(IndexError):
            fast[row]


# ---------------------------------------------------------------------- hypothesis sweep


@st.composite
def encoding_calls(draw):
    """test_tokenization_alignment's calls, with or without the mask fields in the output."""
    text, text_pair, kwargs, side, strings = draw(calls())
    kwargs = dict(
        kwargs,
        return_attention_mask=draw(st.sampled_from([None, False])),
        return_special_tokens_mask=draw(st.booleans()),
    )
    return text, text_pair, kwargs, side, strings


@HYPOTHESIS
@given(call=encoding_calls())
def test_encodings_equal_fast(any_model, call):
    outputs = ours_and_fast(any_model, call)
    if outputs is None:
        return
    ours, fast = outputs
    text, text_pair, kwargs, side, strings = call
    overflow = kwargs["return_overflowing_tokens"]
    chars = max((len(string) for string in strings), default=0)
    assert_encodings_equal(ours, fast, chars, type_ids_differ=overflow and text_pair is not None, overflowing=overflow)
    event("compared with fast")


# ---------------------------------------------------------------------- spelled out


def test_known_rows(unigram):
    """One padded pair batch, read the way code ported from the fast tokenizer reads it."""
    texts, pairs = ["Hello world", "a b"], ["x y", "z"]
    ours = unigram.ours(texts, pairs, padding=True, return_attention_mask=False)
    fast = unigram.fast(texts, pairs, padding=True, return_attention_mask=False)
    assert "attention_mask" not in ours
    row = ours[1]
    assert row.sequence_ids == [None, 0, 0, None, None, 1, None, None, None, None, None]
    assert row.attention_mask == [1] * 7 + [0] * 4  # derived from the padding: the call returned no mask
    assert row.special_tokens_mask == [1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1]
    assert row.word_to_tokens(0, 1) == (5, 6) and type(row.word_to_tokens(0, 1)) is tuple
    assert ours.word_to_tokens(1, 0, 1) == TokenSpan(5, 6)  # the BatchEncoding method keeps its TokenSpan
    assert row.word_to_chars(7) is None  # a word without tokens: None here, InputError from BatchEncoding
    with pytest.raises(InputError, match="no tokens"):
        ours.word_to_chars(1, 7)
    assert_encodings_equal(ours, fast, 12)


def test_padding_side_and_special_tokens_written_in_text(unigram):
    texts = ["x <mask> y", "one two three"]
    kwargs = dict(padding="max_length", max_length=9, return_attention_mask=False, return_special_tokens_mask=False)
    with configured([unigram.ours, unigram.fast], padding_side="left"):
        ours, fast = unigram.ours(texts, **kwargs), unigram.fast(texts, **kwargs)
    assert ours[0].attention_mask[0] == 0 and ours[0].offsets[0] == (0, 0)  # padding on the left
    assert ours[0].special_tokens_mask[ours[0].tokens.index(" <mask>")] == 0  # written in the text: not special
    assert_encodings_equal(ours, fast, 14)


def test_overflowing_rows(unigram):
    """Overflow rows are rows of the batch; the first row of each example also lists the example's later rows."""
    text = ["one two three four five six seven", "a"]
    kwargs = dict(truncation=True, max_length=6, stride=2, padding=True, return_overflowing_tokens=True, return_tensors="np")
    ours, fast = unigram.ours(text, **kwargs), unigram.fast(text, **kwargs)
    samples = ours["overflow_to_sample_mapping"].tolist()
    first = samples.index(0)
    assert [row.ids for row in ours[first].overflowing] == [ours[row].ids for row in range(1, samples.count(0))]
    assert ours[1].overflowing == [] and ours[samples.index(1)].overflowing == []
    assert_encodings_equal(ours, fast, len(text[0]))
    # Question-answering code pops the mapping before calling the model; the rows still know their example.
    ours.pop("overflow_to_sample_mapping")
    fast.pop("overflow_to_sample_mapping")
    assert_encodings_equal(ours, fast, len(text[0]))


def test_reading_ids_does_not_run_the_offsets_pass(unigram):
    ours = unigram.ours(["Hello world", "a"], padding=True)
    row = ours[1]
    assert (row.ids, row.attention_mask, row.type_ids, row.special_tokens_mask, len(row)) == (
        ours["input_ids"][1], ours["attention_mask"][1], [0] * 7, [1, 0, 1, 1, 1, 1, 1], 7)
    assert not isinstance(ours._alignment, Alignment)  # still the deferred pass
    assert row.word_ids == [None, 0, None, None, None, None, None] and isinstance(ours._alignment, Alignment)


def test_one_text_without_tensors(unigram):
    """A single text gives flat lists; its one Encoding still reads them."""
    ours, fast = unigram.ours("Hello world"), unigram.fast("Hello world")
    assert isinstance(ours["input_ids"][0], int)
    assert_encodings_equal(ours, fast, 11)
    empty = unigram.ours("", add_special_tokens=False)
    assert empty[0].ids == [] and len(empty[0]) == 0 and empty[0].attention_mask == []


def test_keys_that_are_not_rows(unigram):
    ours = unigram.ours(["a b", "c"], padding=True)
    fast = unigram.fast(["a b", "c"], padding=True)
    assert ours["input_ids"] == fast["input_ids"]
    with pytest.raises(KeyError):
        ours["no_such_field"]
    with pytest.raises(TypeError, match="got float"):
        ours[1.0]
    with pytest.raises(TypeError):
        fast[1.0]
    assert [row.ids for row in ours[0:2]] == [row.ids for row in fast[0:2]]  # a slice of Encodings
    with pytest.raises(InputError, match="token_index=-1 is negative"):
        ours[0].token_to_word(-1)  # tokenizers: OverflowError
    with pytest.raises(InputError, match="sequence_index=-1 is negative"):
        ours[0].char_to_token(0, -1)


def test_hand_made_batch_encoding_has_no_encodings():
    data = {"input_ids": [[0, 5, 2], [0, 6, 2]], "attention_mask": [[1, 1, 1], [1, 1, 1]]}
    ours, reference = BatchEncoding(data), transformers.BatchEncoding(data)
    assert ours.encodings is None and reference.encodings is None
    assert ours[0:1] == reference[0:1] == {"input_ids": [[0, 5, 2]], "attention_mask": [[1, 1, 1]]}
    with pytest.raises(KeyError, match="no rows as Encodings"):
        ours[0]
    with pytest.raises(KeyError):
        reference[0]


def test_pickle_keeps_the_encodings(unigram):
    text = ["one two three four five six seven", "a"]
    kwargs = dict(truncation=True, max_length=6, stride=1, padding=True, return_overflowing_tokens=True)
    ours = unigram.ours(text, **kwargs)
    ours.pop("overflow_to_sample_mapping")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(pickle.dumps(ours))
    assert_encodings_equal(restored, unigram.fast(text, **kwargs), len(text[0]))
