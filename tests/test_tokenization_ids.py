"""Token ids, tokens and vocabulary of xlmr_np's tokenizer against transformers' slow tokenizer.

Reference: ``transformers.XLMRobertaTokenizer`` (slow, SentencePiece-based). Every comparison is
exact. Both a unigram model (XLM-R's real type) and a BPE model are covered.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from tokenizer_fixtures import any_model, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TRICKY_TEXTS = [
    "",
    " ",
    "   ",
    "\t\n",
    "Hello world",
    "Hello world ",
    " Hello world",
    "  Hello   world  ",
    "Hello\tworld\nagain\r\nand\u3000again\u00a0end",
    "ﬁne ﬂow ＡＢＣ １２３ ① Ⅻ ½",
    "cafe\u0301 café e\u0323\u0302 ệ",
    "\u1100\u1161\u11a8 각",
    "Zero\u200bwidth\u200djoiner\u200cand\ufeffbom\u00adsoft",
    "\u2581already\u2581metaspace\u2581",
    "<s>",
    "<mask>",
    "Paris is the <mask> of France.",
    "Paris is the<mask>of France.",
    "Paris is the   <mask>   of France.",
    "\u00a0<mask>\u3000",
    "x\x1f<mask>",
    "<s>Hello</s></s>World</s>",
    "<pad><unk><mask></s><s>",
    "<mask<mask>>",
    "a<s",
    "😀 👍🏽 👨\u200d👩\u200d👧 🇫🇷 ❤️ 1️⃣",
    "𝄞 𝑥 𐌀",
    "\U000446cd unassigned \U000e0001",
    "Mixed: Hello Привет Γειά שלום مرحبا नमस्ते สวัสดี 你好 こんにちは 안녕.",
    "a" * 300,
    "word " * 200,
]


def test_corpus_ids_equal_slow(any_model):
    lines = corpus_lines()
    assert any_model.ours(lines)["input_ids"] == any_model.slow(lines)["input_ids"]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tricky_ids_and_tokens_equal_slow(any_model, text):
    assert any_model.ours(text)["input_ids"] == any_model.slow(text)["input_ids"]
    assert any_model.ours.tokenize(text) == any_model.slow.tokenize(text)
    assert any_model.ours.encode(text) == any_model.slow.encode(text)


@pytest.mark.parametrize("text", TRICKY_TEXTS[:20])
def test_tricky_pairs_equal_slow(unigram, text):
    other = "Second text, with <mask> inside."
    assert unigram.ours(text, other)["input_ids"] == unigram.slow(text, other)["input_ids"]
    assert unigram.ours(other, text)["input_ids"] == unigram.slow(other, text)["input_ids"]


def test_ids_path_equals_offsets_path(unigram):
    """Ids computed from integer SentencePiece output equal those computed from pieces."""
    lines = corpus_lines() + TRICKY_TEXTS
    plain = unigram.ours(lines)["input_ids"]
    with_offsets = unigram.ours(lines, return_offsets_mapping=True)["input_ids"]
    assert plain == with_offsets


def test_batch_of_many_texts_uses_batch_api_and_matches(unigram):
    lines = corpus_lines()[:100] * 2  # above the threshold where SentencePiece's list API is used
    assert unigram.ours(lines)["input_ids"] == [unigram.ours(line)["input_ids"] for line in lines]


@HYPOTHESIS
@given(text=text_strategy())
def test_random_text_ids_equal_slow(any_model, text):
    assert any_model.ours(text)["input_ids"] == any_model.slow(text)["input_ids"]
    assert any_model.ours.tokenize(text) == any_model.slow.tokenize(text)


@HYPOTHESIS
@given(first=text_strategy(6), second=text_strategy(6))
def test_random_pairs_equal_slow(unigram, first, second):
    ours = unigram.ours(first, second, return_token_type_ids=True, return_special_tokens_mask=True)
    slow = unigram.slow(first, second, return_token_type_ids=True, return_special_tokens_mask=True)
    assert dict(ours) == dict(slow)


@HYPOTHESIS
@given(texts=st.lists(text_strategy(5), min_size=1, max_size=5))
def test_random_batches_equal_slow(unigram, texts):
    assert dict(unigram.ours(texts, padding=True)) == dict(unigram.slow(texts, padding=True))


def test_batch_of_tuples_is_a_batch_of_pairs(unigram):
    pairs = [("a question?", "some context"), ("another", "one more")]
    expected = unigram.slow(pairs)["input_ids"]
    assert unigram.ours(pairs)["input_ids"] == expected
    assert unigram.ours([a for a, _ in pairs], [b for _, b in pairs])["input_ids"] == expected


def test_pair_layout_and_token_type_ids(unigram):
    ours = unigram.ours("a b", "c", return_token_type_ids=True)
    first, second = unigram.ours.encode("a b", add_special_tokens=False), unigram.ours.encode("c", add_special_tokens=False)
    assert ours["input_ids"] == [0] + first + [2, 2] + second + [2]
    assert ours["token_type_ids"] == [0] * len(ours["input_ids"])
    assert ours.sequence_ids() == [None] + [0] * len(first) + [None, None] + [1] * len(second) + [None]


def test_add_special_tokens_false(unigram):
    for text in TRICKY_TEXTS[:12]:
        assert unigram.ours.encode(text, add_special_tokens=False) == unigram.slow.encode(text, add_special_tokens=False)
    assert unigram.ours("a", "b", add_special_tokens=False)["input_ids"] == unigram.slow("a", "b", add_special_tokens=False)["input_ids"]


def test_return_tensors_np(unigram):
    ours = unigram.ours(["short", "a longer text here"], padding=True, return_tensors="np")
    slow = unigram.slow(["short", "a longer text here"], padding=True, return_tensors="np")
    for key in slow:
        assert isinstance(ours[key], np.ndarray) and ours[key].dtype == np.int64
        np.testing.assert_array_equal(ours[key], slow[key])
    single = unigram.ours("one text", return_tensors="np")
    assert single["input_ids"].shape == (1, len(unigram.ours("one text")["input_ids"]))


def test_batch_encoding_attribute_access(unigram):
    encoding = unigram.ours("hello")
    assert encoding.input_ids is encoding["input_ids"]
    assert list(encoding.keys()) == ["input_ids", "attention_mask"]
    with pytest.raises(AttributeError):
        encoding.not_a_key


# ---------------------------------------------------------------------- vocabulary and specials


def test_vocabulary_matches_slow(any_model):
    ours, slow = any_model.ours, any_model.slow
    assert ours.vocab_size == slow.vocab_size == len(ours) == len(slow)
    assert ours.get_vocab() == slow.get_vocab()
    ids = list(range(ours.vocab_size))
    assert ours.convert_ids_to_tokens(ids) == slow.convert_ids_to_tokens(ids)
    tokens = slow.convert_ids_to_tokens(ids) + ["<s>", "<mask>", "not-a-piece", "▁the", ""]
    assert ours.convert_tokens_to_ids(tokens) == slow.convert_tokens_to_ids(tokens)
    assert ours.convert_tokens_to_ids("<mask>") == slow.convert_tokens_to_ids("<mask>")


def test_fairseq_layout(unigram):
    """<s>=0, <pad>=1, </s>=2, <unk>=3, pieces shifted by one, <mask> last."""
    ours = unigram.ours
    processor = ours._processor
    assert [ours.cls_token_id, ours.pad_token_id, ours.sep_token_id, ours.unk_token_id] == [0, 1, 2, 3]
    assert ours.bos_token_id == 0 and ours.eos_token_id == 2
    assert ours.mask_token_id == len(processor) + 1 == ours.vocab_size - 1
    for piece_id in range(3, len(processor)):
        assert ours.convert_tokens_to_ids(processor.IdToPiece(piece_id)) == piece_id + 1
    assert ours.convert_tokens_to_ids(processor.IdToPiece(0)) == 3  # SentencePiece's <unk>


def test_special_token_attributes_match_slow(unigram):
    ours, slow = unigram.ours, unigram.slow
    assert ours.all_special_tokens == slow.all_special_tokens
    assert ours.all_special_ids == slow.all_special_ids
    assert ours.special_tokens_map == slow.special_tokens_map
    for role in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
        assert getattr(ours, f"{role}_token") == getattr(slow, f"{role}_token")
        assert getattr(ours, f"{role}_token_id") == getattr(slow, f"{role}_token_id")
    assert ours.model_max_length == slow.model_max_length
    assert ours.num_special_tokens_to_add() == 2 and ours.num_special_tokens_to_add(pair=True) == 4


def test_special_token_helpers_match_slow(unigram):
    ours, slow = unigram.ours, unigram.slow
    a, b = [10, 11, 12], [20, 21]
    assert ours.build_inputs_with_special_tokens(a) == slow.build_inputs_with_special_tokens(a)
    assert ours.build_inputs_with_special_tokens(a, b) == slow.build_inputs_with_special_tokens(a, b)
    assert ours.get_special_tokens_mask(a) == slow.get_special_tokens_mask(a)
    assert ours.get_special_tokens_mask(a, b) == slow.get_special_tokens_mask(a, b)
    with_specials = [0, 10, 3, 2, 2, 20, 1, ours.mask_token_id, 2]
    assert ours.get_special_tokens_mask(with_specials, already_has_special_tokens=True) == slow.get_special_tokens_mask(
        with_specials, already_has_special_tokens=True
    )
    assert ours.create_token_type_ids_from_sequences(a, b) == slow.create_token_type_ids_from_sequences(a, b)


def test_mask_strips_whitespace_on_its_left(unigram):
    ours = unigram.ours
    assert ours.tokenize("the <mask> of") == ours.tokenize("the<mask> of")
    assert ours.tokenize("the <mask> of")[-1] == "▁of"  # the right side is not stripped
    assert ours.convert_tokens_to_ids(ours.tokenize("<mask>")) == [ours.mask_token_id]
