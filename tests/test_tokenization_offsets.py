"""Offsets mapping against transformers' *fast* tokenizer (``XLMRobertaTokenizerFast``).

The slow tokenizer cannot return offsets at all. Our offsets must equal the fast tokenizer's
whenever the fast tokenizer produces the same ids as the slow one (ids always follow the slow
tokenizer). Where the two transformers tokenizers disagree on ids, there is no reference; we
check that our offsets are still well-formed, and list such inputs explicitly.
"""

import pytest
from hypothesis import HealthCheck, given, settings

from xlmr_np.tokenization.alignment import AlignedText, append_replacement
from xlmr_np.tokenization.charsmap import CharsMap
from xlmr_np.tokenization.graphemes import grapheme_list
from xlmr_np.tokenization.normalization import sentencepiece_pipeline
from xlmr_np.tokenization.sentencepiece_model import read_normalizer_settings

try:
    from tokenizer_fixtures import any_model, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401

HYPOTHESIS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TRICKY_TEXTS = [
    "Hello world",
    " Hello",
    "Hello ",
    "  Hello   world  ",
    "a\tb\nc\r\nd\u3000e\u00a0f",
    "Paris is the <mask> of France.",
    "Paris is the   <mask>   of France.",
    "x<mask>",
    "<s>Hello</s>",
    "x </s> y",
    "ﬁne ﬂow",  # one character becomes two
    "cafe\u0301",  # two characters become one
    "Ⅻ ½ ㎏",  # one character becomes several
    "１２３ ＡＢＣ",
    "\u200bab",  # zero-width space: becomes a space
    "\x1fab cd",  # a deleted control character at the very start shifts later spans (fast quirk, reproduced)
    "x\x1fab",
    "a\u200bb\u200b",
    "a\u00adb",
    "¨ ΅",  # compatibility characters that start with a space
    "😀 👍🏽 👨\u200d👩\u200d👧 🇫🇷 ❤️",
    "Mixed: Hello Привет Γειά שלום مرحبا नमस्ते สวัสดี 你好 こんにちは 안녕.",
    "\U000446cd unassigned",
    "\u2581x\u2581",
]

# Inputs on which transformers' fast and slow tokenizers produce *different ids*: the fast
# normaliser works on grapheme clusters and shortens some of them, or skips compositions that
# SentencePiece makes. Offsets have no reference there.
FAST_DIFFERS = [
    "\u1100\u1161",  # conjoining jamo: SentencePiece composes 가, the fast normaliser does not
    "e\u0323\u0302x",  # e + dot below + circumflex: the fast normaliser keeps only ẹ
    "x\u00a0\u0301y",  # no-break space + combining acute: the fast normaliser drops the accent
    "ﬁ\u0301",
    ("x", ""),  # an empty second text: the fast tokenizer drops the pair entirely
]


def assert_offsets_equal_fast(tokenizers, text, text_pair=None):
    ours = tokenizers.ours(text, text_pair, return_offsets_mapping=True)
    fast = tokenizers.fast(text, text_pair, return_offsets_mapping=True)
    assert ours["input_ids"] == tokenizers.slow(text, text_pair)["input_ids"]
    if fast["input_ids"] != ours["input_ids"]:
        return False
    assert ours["offset_mapping"] == fast["offset_mapping"]
    return True


def assert_well_formed(text, offsets):
    for start, end in offsets:
        assert 0 <= start <= end <= len(text)


def test_corpus_offsets_equal_fast(any_model):
    lines = corpus_lines()
    ours = any_model.ours(lines, return_offsets_mapping=True)
    fast = any_model.fast(lines, return_offsets_mapping=True)
    assert ours["input_ids"] == fast["input_ids"]
    assert ours["offset_mapping"] == fast["offset_mapping"]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tricky_offsets_equal_fast(any_model, text):
    assert assert_offsets_equal_fast(any_model, text), "expected the fast tokenizer to agree on ids here"


@pytest.mark.parametrize("text", FAST_DIFFERS)
def test_fast_and_slow_disagree_here(unigram, text):
    text, text_pair = text if isinstance(text, tuple) else (text, None)
    slow = unigram.slow(text, text_pair)["input_ids"]
    assert unigram.fast(text, text_pair)["input_ids"] != slow
    ours = unigram.ours(text, text_pair, return_offsets_mapping=True)
    assert ours["input_ids"] == slow
    assert_well_formed(text, ours["offset_mapping"])


def test_pair_offsets_are_relative_to_each_text(unigram):
    assert assert_offsets_equal_fast(unigram, "What is it?", "It is a <mask> test.")
    ours = unigram.ours("ab", "cd", return_offsets_mapping=True)
    second = [span for span, sequence in zip(ours["offset_mapping"], ours.sequence_ids()) if sequence == 1]
    assert second[0][0] == 0


def test_offsets_of_special_and_padding_tokens_are_zero(unigram):
    ours = unigram.ours(["a", "a longer one"], padding=True, return_offsets_mapping=True)
    fast = unigram.fast(["a", "a longer one"], padding=True, return_offsets_mapping=True)
    assert dict(ours) == dict(fast)
    assert ours["offset_mapping"][0][-1] == (0, 0)


def test_offsets_with_numpy(unigram):
    ours = unigram.ours(["a b", "c d"], return_offsets_mapping=True, return_tensors="np")
    fast = unigram.fast(["a b", "c d"], return_offsets_mapping=True, return_tensors="np")
    assert ours["offset_mapping"].shape == fast["offset_mapping"].shape
    assert (ours["offset_mapping"] == fast["offset_mapping"]).all()


@HYPOTHESIS
@given(text=text_strategy())
def test_random_text_offsets_equal_fast(any_model, text):
    if not assert_offsets_equal_fast(any_model, text):
        assert_well_formed(text, any_model.ours(text, return_offsets_mapping=True)["offset_mapping"])


@HYPOTHESIS
@given(first=text_strategy(5), second=text_strategy(5))
def test_random_pair_offsets_equal_fast(unigram, first, second):
    assert_offsets_equal_fast(unigram, first, second)


@HYPOTHESIS
@given(text=text_strategy())
def test_sentencepiece_replay_reproduces_sentencepiece_normalisation(unigram, text):
    """The fallback alignment (SentencePiece's rules) rebuilds exactly the text SentencePiece tokenises."""
    normalizer = read_normalizer_settings(unigram.model_bytes)
    charsmap = CharsMap(normalizer.precompiled_charsmap)
    for stretch in unigram.ours._splitter.split(text):
        if stretch.token_id is not None or not stretch.text:
            continue
        aligned = AlignedText.from_original(stretch.text, stretch.start)
        sentencepiece_pipeline(aligned, charsmap, normalizer.add_dummy_prefix)
        assert aligned.text == "".join(unigram.ours._processor.encode(stretch.text, out_type=str))


# ---------------------------------------------------------------------- building blocks


def test_charsmap_longest_and_shortest_matches(unigram):
    charsmap = CharsMap(read_normalizer_settings(unigram.model_bytes).precompiled_charsmap)
    assert charsmap.char_replacement("ﬁ") == "fi"
    assert charsmap.char_replacement("a") is None
    assert charsmap.longest_match("e\u0323\u0302", 0) == (3, "ệ")  # SentencePiece: longest key
    assert charsmap.shortest_match("e\u0323\u0302") == "ẹ"  # fast tokenizer: shortest key
    assert charsmap.longest_match("xe\u0301", 1) == (2, "é")
    assert not CharsMap(b"")


@pytest.mark.parametrize(
    "text, clusters",
    [
        ("e\u0301x", ["e\u0301", "x"]),
        ("\r\n\n", ["\r\n", "\n"]),
        ("🇫🇷🇯🇵🇧", ["🇫🇷", "🇯🇵", "🇧"]),
        ("👨\u200d👩\u200d👧!", ["👨\u200d👩\u200d👧", "!"]),
        ("\u1100\u1161\u11a8각", ["\u1100\u1161\u11a8", "각"]),
        ("กำ", ["กำ"]),
        ("\u0600a", ["\u0600a"]),
        ("a\u200b\u0301", ["a", "\u200b", "\u0301"]),
        ("", []),
    ],
)
def test_grapheme_clusters(text, clusters):
    assert grapheme_list(text) == clusters


def test_alignment_edit_rules():
    text = AlignedText.from_original("ﬁne", 10)
    edits = []
    append_replacement(edits, 1, "fi")  # one character becomes two: the second is an insertion
    edits += [("n", 0), ("e", 0)]
    text.rewrite(edits)
    assert text.text == "fine"
    assert text.spans == [(10, 11), (10, 11), (11, 12), (12, 13)]

    text = AlignedText.from_original("e\u0301x", 0)
    edits = []
    append_replacement(edits, 2, "é")  # two characters become one: the accent's span is dropped
    edits.append(("x", 0))
    text.rewrite(edits)
    assert text.text == "éx" and text.spans == [(0, 1), (2, 3)]
