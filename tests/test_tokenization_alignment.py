"""``BatchEncoding``'s alignment methods against transformers' *fast* tokenizer.

``tokens``, ``word_ids``, ``words``, ``sequence_ids``, ``token_to_sequence``, ``token_to_word``,
``word_to_tokens``, ``token_to_chars``, ``char_to_token``, ``word_to_chars``, ``char_to_word``,
``n_sequences`` and ``is_fast`` are compared exactly with the ``BatchEncoding`` that
``XLMRobertaTokenizerFast`` returns for the same call — texts, pairs and word lists drawn by
hypothesis, with padding on either side, truncation, overflow rows with a stride,
``add_special_tokens=False`` — at every token, word and character index of every row (and one
past the end). Calls where the fast tokenizer is no reference (it tokenises a text differently,
drops an empty pair, or splits longest_first differently: docs/tokenizer.md) are left out.
Where transformers raises, we raise ``InputError``.
"""

import pickle
import warnings

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import InputError
from xlmr_np.tokenization import BatchEncoding
from xlmr_np.tokenization.batch_encoding import CharSpan, TokenSpan
from xlmr_np.tokenization.rows import word_ids_of_pieces

try:
    from tokenizer_fixtures import (  # noqa: F401
        any_model, configured, draw_call_inputs, tokenised_strings, tokenizer_sets, unigram)
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import (  # noqa: F401
        any_model, configured, draw_call_inputs, tokenised_strings, tokenizer_sets, unigram)

# transformers warns about drawn combinations it ignores, e.g. max_length with padding=True and no truncation.
pytestmark = pytest.mark.filterwarnings("ignore:`max_length` is ignored:UserWarning")

HYPOTHESIS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

INDEX_METHODS = ["token_to_sequence", "token_to_word", "token_to_chars"]  # (batch_index, token_index)
SEQUENCE_METHODS = ["word_to_tokens", "word_to_chars", "char_to_token", "char_to_word"]  # (batch_index, index, sequence_index)


def answer(method, *args, **kwargs):
    """The method's result, or the type of exception it raised (compared by "both raised")."""
    try:
        return method(*args, **kwargs)
    except (InputError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
        return ("raised", error)


def rows_of(encoding):
    return len(_rows(encoding["input_ids"]))


def assert_alignment_equal(ours, fast, texts_length: int):
    """Every alignment method of ``ours`` equals ``fast``'s at every index (one past the end included)."""
    assert ours.is_fast and fast.is_fast
    assert ours.n_sequences == fast.n_sequences
    row_count = rows_of(fast)
    assert rows_of(ours) == row_count
    for row in range(row_count):
        assert ours.tokens(row) == fast.tokens(row)
        assert ours.word_ids(row) == fast.word_ids(row)
        assert ours.sequence_ids(row) == fast.sequence_ids(row)
        length = len(fast.tokens(row))
        for token in range(length + 2):
            for name in INDEX_METHODS:
                assert getattr(ours, name)(row, token) == getattr(fast, name)(row, token), (name, row, token)
        words = [word for word in fast.word_ids(row) if word is not None]
        for sequence in (0, 1, 2):
            for word in range(max(words, default=0) + 2):
                for name in ("word_to_tokens", "word_to_chars"):
                    expected = answer(getattr(fast, name), row, word, sequence_index=sequence)
                    got = answer(getattr(ours, name), row, word, sequence_index=sequence)
                    if isinstance(expected, tuple) and expected[0] == "raised":
                        # transformers: TypeError from CharSpan(*None), the word has no tokens
                        assert isinstance(got, tuple) and isinstance(got[1], InputError), (name, row, word, sequence, got)
                    else:
                        assert got == expected, (name, row, word, sequence)
            for char in range(texts_length + 2):
                for name in ("char_to_token", "char_to_word"):
                    assert getattr(ours, name)(row, char, sequence_index=sequence) == getattr(fast, name)(
                        row, char, sequence_index=sequence
                    ), (name, row, char, sequence)
    # One index means row 0, whatever the batch size (transformers does not check).
    for name in INDEX_METHODS:
        assert getattr(ours, name)(1) == getattr(fast, name)(1)
    for name in SEQUENCE_METHODS[2:]:
        assert getattr(ours, name)(0) == getattr(fast, name)(0)
    assert ours.word_to_tokens(0) == fast.word_to_tokens(0)


# ---------------------------------------------------------------------- hypothesis sweep

@st.composite
def calls(draw):
    split = draw(st.booleans())
    text, text_pair, examples = draw_call_inputs(draw, split)
    strings = tokenised_strings(examples, split)
    overflow = draw(st.booleans())
    truncation = draw(st.sampled_from([None, True, "only_first", "only_second"] if overflow else [None, True]))
    kwargs = dict(
        add_special_tokens=draw(st.booleans()),
        padding=draw(st.sampled_from([False, True, "max_length"])),
        truncation=truncation,
        max_length=draw(st.one_of(st.none(), st.integers(4, 16))),
        stride=draw(st.sampled_from([0, 1, 2])) if overflow else 0,
        return_overflowing_tokens=overflow,
        return_offsets_mapping=draw(st.booleans()),  # False: the deferred offsets pass
        return_tensors=draw(st.sampled_from([None, "np"])),
        is_split_into_words=split,
    )
    side = dict(padding_side=draw(st.sampled_from(["right", "left"])), truncation_side=draw(st.sampled_from(["right", "left"])))
    return text, text_pair, kwargs, side, strings  # strings: every text or word that gets tokenised


def ours_and_fast(any_model, call):
    """Our and the fast tokenizer's outputs of a drawn call, or None (with a hypothesis event
    saying why) where the fast tokenizer is no reference: it tokenises a string differently,
    drops an empty pair, splits longest_first otherwise, or one of the two refuses the call."""
    text, text_pair, kwargs, side, strings = call
    ours_tokenizer, fast_tokenizer = any_model.ours, any_model.fast
    for string in strings:  # where the fast tokenizer tokenises differently, it is no reference
        if fast_tokenizer(string, add_special_tokens=False)["input_ids"] != ours_tokenizer(string, add_special_tokens=False)["input_ids"]:
            event("fast tokenises differently")
            return None
    if text_pair in ("", []):
        event("fast drops an empty pair")
        return None
    with configured([ours_tokenizer, fast_tokenizer], **side):
        try:
            ours = ours_tokenizer(text, text_pair, **kwargs)
        except InputError:
            event("we raise InputError")  # test_tokenization_call checks when
            return None
        try:
            fast = fast_tokenizer(text, text_pair, **kwargs)
        except BaseException as error:  # noqa: B036 - pyo3's PanicException derives from BaseException
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            event("fast raises")
            return None
    if [list(row) for row in _rows(ours["input_ids"])] != [list(row) for row in _rows(fast["input_ids"])]:
        event("ids differ (longest_first split)")  # docs/tokenizer.md: fast keeps the extra token in the second text
        return None
    return ours, fast


@HYPOTHESIS
@given(call=calls())
def test_alignment_equals_fast(any_model, call):
    outputs = ours_and_fast(any_model, call)
    if outputs is not None:
        strings = call[4]
        assert_alignment_equal(*outputs, max((len(string) for string in strings), default=0))
        event("compared with fast")


def _rows(ids):
    ids = ids.tolist() if hasattr(ids, "tolist") else ids
    return ids if ids and isinstance(ids[0], list) else [ids]


# ---------------------------------------------------------------------- how words are cut

RAW_TEXTS = [
    "Hello world",
    "Hello,  world!  How's it going?",  # punctuation stays in its word; a run of spaces is one cut
    "  leading and trailing  ",
    "a\tb\nc\u3000d\u00a0e",  # every kind of whitespace cuts
    "Paris is the <mask> of France.",  # <mask> is a word, with the space it strips
    "Paris is the   <mask>of France.",
    "<mask><mask> x<mask>y",  # added tokens next to each other and inside a word
    "<s> x </s><pad>",
    "a <unk> b",
    "😀 😀😀 x",  # "▁" on its own is a piece, in the word it starts
    "x\u2581y \u2581\u2581z",  # a written "▁" cuts like a space
    "a \x1f b \u200b c",  # characters normalisation deletes
    "a\x1fb\u200bc\ufeffd",  # a deleted character joins, a zero-width space or BOM cuts (both become spaces)
    "ﬁne ﬂow Ⅻ ½",
    "x a\u0301\u0302\u01cd y",  # fast normalises the cluster to "á" but gets the same ids: its unknown piece is "Ǎ", not "\u0302Ǎ"
    "3.14, 2,71 (x) [y] {z}",
    "",
    " ",
]


@pytest.mark.parametrize("text", RAW_TEXTS)
def test_words_of_raw_text_equal_fast(any_model, text):
    ours, fast = any_model.ours(text), any_model.fast(text)
    assert ours["input_ids"] == fast["input_ids"]
    assert_alignment_equal(ours, fast, len(text))


def test_word_ids_of_raw_text():
    """The rule, spelled out: a word starts at a stretch's first piece and at each piece starting with "▁"."""
    assert word_ids_of_pieces(["▁He", "ll", "o", ",", "▁wor", "ld"], 0) == ([0, 0, 0, 0, 1, 1], 2)
    assert word_ids_of_pieces(["▁", "😀", "▁x"], 5) == ([5, 5, 6], 7)
    assert word_ids_of_pieces(["ab", "▁c"], 3) == ([3, 4], 5)  # a stretch's first piece always starts a word
    assert word_ids_of_pieces([], 2) == ([], 2)


def test_known_word_ids(unigram):
    encoding = unigram.ours("Hello,  world! a <mask> b")
    assert encoding.tokens() == ["<s>", "▁He", "ll", "o", ",", "▁wor", "ld", "!", "▁a", " <mask>", "▁b", "</s>"]
    assert encoding.word_ids() == [None, 0, 0, 0, 0, 1, 1, 1, 2, 3, 4, None]
    assert encoding.word_to_chars(3) == CharSpan(16, 23)  # the stripped space belongs to <mask>
    assert encoding.char_to_word(6) is None  # the first of two spaces: no token covers it (the "▁" of "▁wor" is the second)
    assert encoding.word_to_tokens(1) == TokenSpan(5, 8)


def test_unknown_tokens(tokenizer_sets):
    """The fast tokenizer calls an unknown piece by its text (unigram) or <unk> (BPE); ids are <unk> in both."""
    unigram, bpe = tokenizer_sets["unigram"], tokenizer_sets["bpe"]
    for model, unknown in ((unigram, "☃☃"), (bpe, "<unk>")):
        ours = model.ours("a ☃☃ b")
        assert ours.tokens() == model.fast("a ☃☃ b").tokens()
        assert unknown in ours.tokens() and model.ours.unk_token_id in ours["input_ids"]


# ---------------------------------------------------------------------- the NER use case


def align_labels(encoding, labels_per_example, ignore=-100):
    """The usual token-classification recipe: a word's label on its first token, ``ignore`` elsewhere."""
    aligned = []
    for row, labels in enumerate(labels_per_example):
        previous, row_labels = None, []
        for word in encoding.word_ids(row):
            row_labels.append(ignore if word is None or word == previous else labels[word])
            previous = word
        aligned.append(row_labels)
    return aligned


def test_ner_labels_align_like_fast(any_model):
    sentences = [
        ["Angela", "Merkel", "visited", "Paris", "."],
        ["Der", "Bürgermeister", "von", "Zürich", "sprach", "über", "Straßenbahnen", "."],
        ["東京", "は", "日本", "の", "首都", "です"],
        ["Mr.", "O'Neil", "", "said", "hello", "<mask>"],  # an empty word gets no token; <mask> is a word
    ]
    labels = [[index % 5 for index in range(len(words))] for words in sentences]
    for kwargs in (dict(padding=True), dict(padding="max_length", truncation=True, max_length=12)):
        for padding_side in ("right", "left"):
            with configured([any_model.ours, any_model.fast], padding_side=padding_side):
                ours = any_model.ours(sentences, is_split_into_words=True, return_tensors="np", **kwargs)
                fast = any_model.fast(sentences, is_split_into_words=True, return_tensors="np", **kwargs)
            assert (ours["input_ids"] == fast["input_ids"]).all()
            assert align_labels(ours, labels) == align_labels(fast, labels)
    # Spelled out for the first sentence: every word has a first token that carries its label.
    ours = any_model.ours(sentences, is_split_into_words=True)
    first = align_labels(ours, labels)[0]
    assert [label for label in first if label != -100] == labels[0]
    assert sorted({word for word in ours.word_ids(3) if word is not None}) == [0, 1, 3, 4, 5]


# ---------------------------------------------------------------------- errors and edge cases


def test_where_transformers_raises_we_raise_input_error(unigram):
    ours = unigram.ours(["Hello world", "a b"], padding=True)
    fast = unigram.fast(["Hello world", "a b"], padding=True)
    for name in INDEX_METHODS + SEQUENCE_METHODS:
        with pytest.raises(InputError, match="index=-1 is negative"):
            getattr(ours, name)(0, -1)
        with pytest.raises((AttributeError, OverflowError)):  # transformers: a missing _seq_len, or Rust's usize
            getattr(fast, name)(0, -1)
        with pytest.raises(InputError, match="batch_index=2 is out of range for 2 rows"):
            getattr(ours, name)(2, 0)
        with pytest.raises(IndexError):
            getattr(fast, name)(2, 0)
    for name in ("tokens", "word_ids", "sequence_ids"):
        with pytest.raises(InputError, match="batch_index=5"):
            getattr(ours, name)(5)
        assert getattr(ours, name)(-1) == getattr(fast, name)(-1)  # a negative row counts from the end
    with pytest.raises(InputError, match="sequence_index=-1"):
        ours.char_to_token(0, 0, sequence_index=-1)
    with pytest.raises(InputError, match="word 7 of sequence 0 has no tokens"):
        ours.word_to_chars(0, 7)
    with pytest.raises(TypeError):
        fast.word_to_chars(0, 7)
    with pytest.raises(InputError, match="must be an int"):
        ours.token_to_word(0, 1.5)


def test_past_the_end_is_none(unigram):
    ours = unigram.ours("Hello world")
    assert ours.token_to_word(100) is ours.token_to_chars(100) is ours.char_to_token(100) is ours.word_to_tokens(100) is None
    assert ours.token_to_word(100) == unigram.fast("Hello world").token_to_word(100)


def test_hand_made_batch_encoding_has_no_alignment():
    encoding = BatchEncoding({"input_ids": [[0, 5, 2]]})
    assert not encoding.is_fast and encoding.n_sequences is None
    for call in (lambda: encoding.word_ids(), lambda: encoding.tokens(), lambda: encoding.char_to_token(0)):
        with pytest.raises(InputError, match="only available on the output of a tokenizer call"):
            call()


def test_words_is_a_deprecated_alias(unigram):
    ours = unigram.ours("Hello world")
    with pytest.warns(FutureWarning, match="word_ids"):
        assert ours.words() == ours.word_ids() == unigram.fast("Hello world").word_ids()


def test_deferred_pass_keeps_the_call_settings(unigram):
    """Alignment computed after the tokenizer's settings changed still describes the call's rows."""
    text = ["one two three four five six", "seven"]
    kwargs = dict(padding=True, truncation=True, stride=1, return_overflowing_tokens=True)
    with configured([unigram.ours, unigram.fast], padding_side="left", truncation_side="left", model_max_length=6):
        ours = unigram.ours(text, **kwargs)
        fast = unigram.fast(text, **kwargs)
        eager = unigram.ours(text, return_offsets_mapping=True, **kwargs)
    assert rows_of(ours) > 2
    assert_alignment_equal(ours, fast, len(text[0]))  # first use after the settings were restored
    assert [eager.word_ids(row) for row in range(rows_of(eager))] == [ours.word_ids(row) for row in range(rows_of(ours))]


@pytest.mark.parametrize("offsets", [False, True])
def test_pickle_keeps_the_alignment(unigram, offsets):
    ours = unigram.ours(["Hello world", "a <mask> b"], ["x y", "z"], padding=True, return_offsets_mapping=offsets)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickled = pickle.dumps(ours)  # with offsets=False, before any alignment method ran: the pass runs now
    assert len(pickled) < len(unigram.model_bytes) / 4  # the tokenizer (its model) is not pickled along
    restored = pickle.loads(pickled)
    assert restored.n_sequences == 2 and restored.is_fast
    fast = unigram.fast(["Hello world", "a <mask> b"], ["x y", "z"], padding=True)
    assert restored.word_ids(1) == ours.word_ids(1) == fast.word_ids(1)
    assert restored.word_ids(1)[:8] == [None, 0, 1, 2, None, None, 0, None]  # then padding
    assert restored.char_to_token(1, 0, sequence_index=1) == ours.char_to_token(1, 0, sequence_index=1) == 6
