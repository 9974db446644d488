"""Adding tokens at run time (``add_tokens``, ``add_special_tokens``) against both transformers tokenizers.

Every test builds its own tokenizers from the fixture's checkpoint directory (the fixture's are
shared by the whole session) and makes the same calls on ours, transformers' slow
``XLMRobertaTokenizer`` and its fast ``XLMRobertaTokenizerFast``. Ids, vocabulary, special
tokens, decoding and the saved files are compared with the **slow** tokenizer, whose ids we
follow. Offsets, token strings and word ids are compared with a **fast** tokenizer given the same
tokens with ``normalized=False``: the slow tokenizer (and we) match every added token in the raw
text, which is what the fast one does for such tokens. The fast tokenizer given the tokens as
they are differs where ``REFERENCES_DIFFER`` says; each entry is a named test below and a row of
docs/tokenizer.md.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import xlmr_np.tokenization as xlmr_tokenization
from xlmr_np.errors import ConfigError, InputError
from xlmr_np.tokenization import AddedToken, XLMRobertaTokenizer

try:
    from tokenizer_fixtures import MODEL_TYPES, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import MODEL_TYPES, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401

transformers = pytest.importorskip("transformers")

# transformers warns about the drawn combinations it ignores, e.g. max_length with padding=True and no truncation.
pytestmark = pytest.mark.filterwarnings("ignore:`max_length` is ignored:UserWarning")

HYPOTHESIS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

REFERENCES_DIFFER = {
    "normalized tokens": "a token with normalized=True (add_tokens' default for strings, and an AddedToken's unless special=True): the fast tokenizer matches it in its normalised text ('ﬁx' also matches 'fix') and gives the whitespace before it a '▁' token of its own ('a hello' -> ▁a ▁ hello); slow (and we) match the raw text, and the space goes with the text before",
    "trie lookahead": "a token found inside a longer token's partial match that then fails ('York' in 'New Yorkx City', with 'New York City' added): slow's trie skips a character and hands 'New Yorkx City' to SentencePiece whole; fast (and we) cut at the leftmost longest match",
    "added count": "add_tokens / add_special_tokens return how many tokens got a new id in slow (and ours); fast also counts strings that were vocabulary pieces and tokens added again with other flags",
    "special through add_tokens": "add_tokens([AddedToken(..., special=True)]) without special_tokens=True: slow (and we) keep it special, an additional special token; fast makes it a plain added token",
    "cls and sep": "a cls_token / sep_token set by add_special_tokens: slow (and we) put it around texts; fast keeps <s> and </s>, also when loading the saved files",
    "decode": "decode: slow (and we) put spaces around plain added tokens and around additional special tokens past the vocabulary, also with skip_special_tokens; fast joins the tokens, and skips every token added as special, also one replace_additional_special_tokens took off the list",
}

# ---------------------------------------------------------------------- the tokens and the texts

WORDS = ["hello", "New York City", "York", "ab", "abc", "▁the", "x.y", "ée", "ﬁx"]
"""Strings given to ``add_tokens``: plain added tokens (``normalized=True``). "hello", "ab" and
"▁the" are pieces of the trained vocabulary; "abc" overlaps "ab"; "York" is inside "New York City"."""

FLAGGED = [
    dict(content="<lt>", lstrip=True),
    dict(content="<rt>", rstrip=True),
    dict(content="<both>", lstrip=True, rstrip=True),
    dict(content="Zoë", normalized=False),
]
"""``AddedToken`` keywords (as transformers') of tokens that strip whitespace or are not normalised."""

SPECIAL = ["[E1]", "[E1][E2]", "[E2]"]
"""``additional_special_tokens``; "[E1][E2]" is longer than "[E1]" at the same place."""

TEXT_FRAGMENTS = WORDS + [spec["content"] for spec in FLAGGED] + SPECIAL + [
    " ", " ", "  ", "\t", "\n", "\u00a0", ".", ",", "!", "a", "b", "c", "x", "y", "the", "New", "New York", "Yorkx",
    "City", "New Yorkx", "New Yorkx City", "hel", "lo", "é", "e\u0301", "ｈｅｌｌｏ", "fix", "Zoe\u0308", "<mask>", "<s>", "[E", "E2]",
]


def added_token(library, spec: dict, **overrides):
    return library.AddedToken(**{**spec, **overrides})


def add_standard_tokens(tokenizer, library, normalized=None) -> None:
    """The same add_tokens / add_special_tokens calls on any of the tokenizers (``library``: the
    module whose ``AddedToken`` to use); ``normalized=False`` gives every token that flag."""
    if normalized is None:
        tokenizer.add_tokens(WORDS + [added_token(library, spec) for spec in FLAGGED])
    else:
        tokenizer.add_tokens([added_token(library, dict(content=word), normalized=normalized) for word in WORDS])
        tokenizer.add_tokens([added_token(library, spec, normalized=normalized) for spec in FLAGGED])
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL})


@dataclass(repr=False)
class Added:
    """Fresh tokenizers of one model with the standard tokens added: ours, slow, fast, and
    ``raw``: fast with every token ``normalized=False`` (the reference for offsets)."""

    model_type: str
    ours: object
    slow: object
    fast: object
    raw: object

    def __repr__(self) -> str:
        return f"Added({self.model_type!r})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def fresh(directory: str):
    """``(ours, slow, fast)`` loaded from ``directory``: tokenizers of this test only."""
    return (
        XLMRobertaTokenizer.from_pretrained(directory),
        transformers.XLMRobertaTokenizer.from_pretrained(directory),
        transformers.XLMRobertaTokenizerFast.from_pretrained(directory),
    )


@pytest.fixture(scope="module", params=MODEL_TYPES)
def added(request, tokenizer_sets):
    model = tokenizer_sets[request.param]
    ours, slow, fast = fresh(model.directory)
    raw = transformers.XLMRobertaTokenizerFast.from_pretrained(model.directory)
    add_standard_tokens(ours, xlmr_tokenization)
    add_standard_tokens(slow, transformers)
    add_standard_tokens(fast, transformers)
    add_standard_tokens(raw, transformers, normalized=False)
    return Added(request.param, ours, slow, fast, raw)


def leftmost_longest(tokens, text: str):
    """Spans of the added tokens in ``text``, the leftmost longest match first (the fast tokenizer's rule)."""
    pattern = re.compile("|".join(re.escape(token) for token in sorted(tokens, key=len, reverse=True)))
    return [match.span() for match in pattern.finditer(text)]


def slow_trie_differs(slow, text: str) -> bool:
    """Whether slow's trie cuts ``text`` at other tokens than the leftmost longest matches
    (``REFERENCES_DIFFER["trie lookahead"]``)."""
    encoder = slow.added_tokens_encoder
    spans, start = [], 0
    for part in slow.tokens_trie.split(text):
        if part in encoder:
            spans.append((start, start + len(part)))
        start += len(part)
    return spans != leftmost_longest(encoder, text)


def ids(tokenizer, text: str):
    return tokenizer(text, add_special_tokens=False)["input_ids"]


# ---------------------------------------------------------------------- vocabulary


def test_add_tokens_gives_new_ids_from_len_and_vocabulary_pieces_their_own(unigram):
    ours, slow, fast = fresh(unigram.directory)
    size = len(ours)
    assert size == ours.vocab_size == len(slow)
    piece_id = ours.convert_tokens_to_ids("▁the")
    assert piece_id != ours.unk_token_id
    tokens = ["new_tok1", "", "▁the", "new_tok1", "my_new-tok2"]
    assert ours.add_tokens(tokens) == slow.add_tokens(tokens) == 2
    assert ours.convert_tokens_to_ids(["new_tok1", "my_new-tok2", "▁the"]) == [size, size + 1, piece_id]
    fast.add_tokens(tokens)
    assert len(ours) == len(slow) == len(fast) == size + 2
    assert ours.get_vocab() == slow.get_vocab()
    assert ours.vocab_size == slow.vocab_size == size  # the base vocabulary, without added tokens
    assert ours.add_tokens(["new_tok1", "▁the"]) == slow.add_tokens(["new_tok1", "▁the"]) == 0
    assert ours.add_tokens("single") == slow.add_tokens("single") == 1  # one token, not in a list
    assert ours.add_tokens([]) == ours.add_tokens(None) == 0
    assert_same_added_tokens(ours, slow)
    assert ours.convert_ids_to_tokens([size, size + 2]) == slow.convert_ids_to_tokens([size, size + 2]) == ["new_tok1", "single"]
    assert ours.convert_ids_to_tokens(size + 1) == "my_new-tok2"


def assert_same_added_tokens(ours, slow) -> None:
    """Same ``{id: AddedToken}`` (every flag), ``len``, vocabulary and special tokens as the slow tokenizer."""
    theirs = {token_id: (token.content, token.lstrip, token.rstrip, token.single_word, token.normalized, token.special)
              for token_id, token in slow.added_tokens_decoder.items()}
    mine = {token_id: (token.content, token.lstrip, token.rstrip, token.single_word, token.normalized, token.special)
            for token_id, token in ours.added_tokens_decoder.items()}
    assert mine == theirs
    assert ours.added_tokens_encoder == slow.added_tokens_encoder
    assert len(ours) == len(slow) and ours.get_vocab() == slow.get_vocab()
    assert ours.all_special_tokens == slow.all_special_tokens
    assert ours.all_special_ids == slow.all_special_ids
    assert ours.additional_special_tokens == slow.additional_special_tokens
    assert ours.additional_special_tokens_ids == slow.additional_special_tokens_ids
    assert ours.special_tokens_map == slow.special_tokens_map


def test_standard_tokens_equal_slow(added):
    assert_same_added_tokens(added.ours, added.slow)
    assert len(added.ours) == len(added.fast) == len(added.raw)


def test_added_count_differs_in_fast(unigram):
    """``REFERENCES_DIFFER["added count"]``: fast also counts vocabulary pieces and re-added tokens."""
    ours, slow, fast = fresh(unigram.directory)
    tokens = ["hello", "▁the", "brand-new"]
    assert ours.add_tokens(tokens) == slow.add_tokens(tokens) == 1
    assert fast.add_tokens(tokens) == 3
    again = [AddedToken("brand-new", lstrip=True)]
    assert ours.add_tokens(again) == slow.add_tokens([transformers.AddedToken("brand-new", lstrip=True)]) == 0
    assert fast.add_tokens([transformers.AddedToken("brand-new", lstrip=True)]) == 1
    assert ours.added_tokens_decoder[len(ours) - 1].lstrip  # the flags of a token added again are replaced
    assert ours("a brand-new")["input_ids"] == slow("a brand-new")["input_ids"] == fast("a brand-new")["input_ids"]


def test_added_token_takes_transformers_keywords_and_defaults(unigram):
    token = AddedToken("x")
    assert (token.special, token.normalized, token.lstrip, token.rstrip, token.single_word) == (False, True, False, False, False)
    assert AddedToken("x", special=True).normalized is False
    assert str(AddedToken("x", rstrip=True)) == "x"
    ours, slow, _ = fresh(unigram.directory)
    # transformers' (tokenizers') AddedToken objects are accepted too, with their flags.
    theirs = [transformers.AddedToken("<t1>", rstrip=True), transformers.AddedToken("<t2>", special=True, normalized=True)]
    assert ours.add_tokens(theirs) == slow.add_tokens(
        [transformers.AddedToken("<t1>", rstrip=True), transformers.AddedToken("<t2>", special=True, normalized=True)]
    ) == 2
    assert_same_added_tokens(ours, slow)


def test_special_through_add_tokens(unigram):
    """``special_tokens=True``, or an ``AddedToken(special=True)``, makes an additional special token
    (``REFERENCES_DIFFER["special through add_tokens"]`` for the second in fast)."""
    ours, slow, fast = fresh(unigram.directory)
    for tokenizer, library in ((ours, AddedToken), (slow, transformers.AddedToken), (fast, transformers.AddedToken)):
        added_count = tokenizer.add_tokens(["<sp1>", "hello"], special_tokens=True)
        assert added_count == (2 if tokenizer is fast else 1)  # REFERENCES_DIFFER["added count"]
        tokenizer.add_tokens([library("<sp2>", special=True), "<mask>", "<plain>"])
    assert_same_added_tokens(ours, slow)
    assert ours.additional_special_tokens == ["<sp1>", "hello", "<sp2>"]
    assert fast.additional_special_tokens == []  # fast lists none of them
    assert not fast.added_tokens_decoder[ours.convert_tokens_to_ids("<sp2>")].special
    assert ours.added_tokens_decoder[ours.mask_token_id].special  # a special token's string stays special


# ---------------------------------------------------------------------- ids


CASES = [
    "hello", "hello world", "say hello", "ahellob", "xhello.", "hello,hello hello", "hellohello",
    "New York City", "New York Cityscape", "in New York, New York City", "York", "ab abc abcd", "abab", "cab",
    "the ▁the ▁thehe", "x.y x.yz", "ée née", "ﬁx fix", "Zoë Zoe\u0308",
    "a <lt> b", "a   <lt>b", "a<rt>   b", "a <rt>", "x <both>   y", "<both>", "\t<lt>\n<rt>\n",
    "[E1] x [E2]", "[E1][E2]", "[E1] [E2]", "[E1][E2][E1]", "a[E1]b", "<s>[E1]</s>", "the <mask> [E2]",
    "", " ", "hello ", " hello", "York City",
]
"""Added tokens at word starts, inside words, next to spaces and punctuation, repeated, overlapping
(the longest match wins: "[E1][E2]" over "[E1]", "abc" over "ab", "New York City" over "York")."""


def test_ids_equal_slow(added):
    for text in CASES:
        assert added.ours.tokenize(text) == added.slow.tokenize(text), text
        assert added.ours(text)["input_ids"] == added.slow(text)["input_ids"], text
    assert added.ours(CASES)["input_ids"] == added.slow(CASES)["input_ids"]
    assert added.ours.tokenize("abc") == ["abc"] and added.ours.tokenize("[E1][E2]") == ["[E1][E2]"]


def test_pairs_padding_truncation_equal_slow(added):
    pairs = list(zip(CASES, reversed(CASES)))
    for kwargs in (
        dict(padding=True),
        dict(padding="max_length", max_length=24, truncation=True, return_special_tokens_mask=True),
        dict(truncation="only_second", max_length=20, padding=True, return_token_type_ids=True),
        dict(padding=True, pad_to_multiple_of=8, return_length=True),
    ):
        ours = added.ours([first for first, _ in pairs], [second for _, second in pairs], **kwargs)
        slow = added.slow([first for first, _ in pairs], [second for _, second in pairs], **kwargs)
        assert dict(ours) == dict(slow), kwargs
    arrays = added.ours(CASES, padding=True, return_tensors="np")
    assert arrays["input_ids"].tolist() == added.slow(CASES, padding=True)["input_ids"]


def test_split_words_equal_slow_and_offsets_fast(added):
    words = ["say", "hello", "to", "New York City", "[E1]", "a <lt>", "x.y"]
    assert added.ours(words, is_split_into_words=True) == added.slow(words, is_split_into_words=True)
    offsets = dict(is_split_into_words=True, return_offsets_mapping=True)
    ours, raw = added.ours(words, **offsets), added.raw(words, **offsets)
    assert ours == raw and ours.word_ids() == raw.word_ids() and ours.tokens() == raw.tokens()


def test_offsets_tokens_and_word_ids_equal_fast(added):
    """Against fast with the tokens ``normalized=False``; for special tokens and tokens without
    whitespace before them, the fast tokenizer as the tokens were given agrees too."""
    encoding = added.ours(CASES, CASES[::-1], return_offsets_mapping=True, padding=True)
    expected = added.raw(CASES, CASES[::-1], return_offsets_mapping=True, padding=True)
    assert dict(encoding) == dict(expected)
    for row in range(len(CASES)):
        assert encoding.tokens(row) == expected.tokens(row)
        assert encoding.word_ids(row) == expected.word_ids(row)
        assert encoding.sequence_ids(row) == expected.sequence_ids(row)
    deferred, expected = added.ours(CASES), added.raw(CASES)  # the alignment pass, run on first use
    for row in range(len(CASES)):
        assert deferred.word_ids(row) == expected.word_ids(row)
        assert deferred.tokens(row) == expected.tokens(row)
    agreeing = ["xhello.", "a[E1]b", "[E1] x [E2]", "Zoë Zoe\u0308", "hello,hello", "<s>[E1]</s>"]
    for text in agreeing:
        assert added.ours(text, return_offsets_mapping=True) == added.fast(text, return_offsets_mapping=True), text
        assert added.ours(text).word_ids() == added.fast(text).word_ids(), text


def test_normalized_tokens_differ_in_fast(added):
    """``REFERENCES_DIFFER["normalized tokens"]``."""
    ours, slow, fast, raw = added.ours, added.slow, added.fast, added.raw
    space = ours.convert_tokens_to_ids("▁")
    hello = ours.convert_tokens_to_ids("hello")
    assert ids(ours, "a hello") == ids(slow, "a hello") == ids(raw, "a hello") == ids(ours, "a") + [hello]
    assert ids(fast, "a hello") == ids(ours, "a") + [space, hello]
    fix = ours.convert_tokens_to_ids("ﬁx")
    assert fix not in ids(ours, "fix") and ids(ours, "fix") == ids(slow, "fix") == ids(raw, "fix")
    assert fix in ids(fast, "fix")  # matched in the normalised text
    assert ids(ours, "[E1] x") == ids(fast, "[E1] x")  # special tokens are not normalised


def test_trie_lookahead_differs_in_slow(added):
    """``REFERENCES_DIFFER["trie lookahead"]``: we cut where the fast tokenizer cuts."""
    text = "New Yorkx City"
    assert slow_trie_differs(added.slow, text) and not slow_trie_differs(added.slow, "New York Cityx")
    york = added.ours.convert_tokens_to_ids("York")
    assert york in ids(added.ours, text) and york not in ids(added.slow, text)
    assert ids(added.ours, text) == ids(added.raw, text)
    assert added.ours(text, return_offsets_mapping=True) == added.raw(text, return_offsets_mapping=True)


# ---------------------------------------------------------------------- random calls


@st.composite
def added_token_calls(draw):
    """One text or a batch of 1-3, maybe with pairs, of added tokens, their pieces, whitespace and
    punctuation (sometimes with random Unicode); padding, truncation and offsets options."""
    fragment = st.one_of(st.sampled_from(TEXT_FRAGMENTS), st.sampled_from(TEXT_FRAGMENTS), text_strategy(2))
    one = st.lists(fragment, max_size=8).map("".join)
    size = draw(st.one_of(st.none(), st.integers(1, 3)))
    texts = [draw(one)] if size is None else draw(st.lists(one, min_size=size, max_size=size))
    pairs = draw(st.lists(one, min_size=len(texts), max_size=len(texts))) if draw(st.booleans()) else None
    kwargs = dict(
        padding=draw(st.sampled_from([False, True, "max_length"])),
        truncation=draw(st.sampled_from([None, True])),
        max_length=draw(st.one_of(st.none(), st.integers(4, 24))),
        return_special_tokens_mask=draw(st.booleans()),
        add_special_tokens=draw(st.booleans()),
    )
    if size is None:
        return texts[0], pairs and pairs[0], kwargs
    return texts, pairs, kwargs


@HYPOTHESIS
@given(call=added_token_calls(), padding_side=st.sampled_from(["right", "left"]))
def test_random_calls_equal_transformers(added, call, padding_side):
    text, text_pair, kwargs = call
    strings = [string for part in (text, text_pair) if part is not None for string in ([part] if isinstance(part, str) else part)]
    tokenizers = (added.ours, added.slow, added.fast, added.raw)
    for tokenizer in tokenizers:
        tokenizer.padding_side = padding_side
    try:
        ours = added.ours(text, text_pair, return_offsets_mapping=True, **kwargs)
        trie_differs = any(slow_trie_differs(added.slow, string) for string in strings)
        if trie_differs:
            event("slow's trie cuts elsewhere")
        else:
            slow = added.slow(text, text_pair, **kwargs)
            if isinstance(text, list) or slow["input_ids"]:  # slow leaves one text without tokens unpadded (test_tokenization_call.py)
                assert {key: value for key, value in ours.items() if key != "offset_mapping"} == dict(slow)
                event("compared with slow")
        for string in strings:
            mine = ids(added.ours, string)
            if ids(added.fast, string) != mine:
                # REFERENCES_DIFFER["normalized tokens"]: the same tokens normalized=False agree.
                assert ids(added.raw, string) == mine or not string.isascii(), string
                event("fast differs: normalized tokens")
        if not all(ids(added.raw, string) == ids(added.ours, string) for string in strings):
            assert not all(string.isascii() for string in strings), strings
            event("fast normalises the text differently")
            return
        truncating = kwargs["truncation"] or (kwargs["truncation"] is None and kwargs["padding"] is False)
        if text_pair is not None and truncating and kwargs["max_length"] is not None:
            return  # longest_first cuts pairs differently in fast (test_tokenization_call.py)
        if text_pair == "":
            return  # fast drops an empty pair of one example (test_tokenization_call.py)
        raw = added.raw(text, text_pair, return_offsets_mapping=True, **kwargs)
        assert dict(ours) == dict(raw)
        rows = len(ours["input_ids"]) if isinstance(text, list) else 1
        for row in range(rows):
            assert ours.tokens(row) == raw.tokens(row)
            assert ours.word_ids(row) == raw.word_ids(row)
        event("compared with fast")
    finally:
        for tokenizer in tokenizers:
            tokenizer.padding_side = "right"


# ---------------------------------------------------------------------- decode


def test_decode_equals_slow(added):
    sequences = [added.slow(text)["input_ids"] for text in CASES] + [
        [added.ours.convert_tokens_to_ids(token) for token in ("▁a", "hello", "[E1]", "▁b", "New York City", "<rt>", "</s>")]
    ]
    for token_ids in sequences:
        for skip in (False, True):
            for spaces in (True, False):
                for clean_up in (None, False):
                    options = dict(skip_special_tokens=skip, spaces_between_special_tokens=spaces, clean_up_tokenization_spaces=clean_up)
                    assert added.ours.decode(token_ids, **options) == added.slow.decode(token_ids, **options), (token_ids, options)
        assert added.ours.convert_ids_to_tokens(token_ids, skip_special_tokens=True) == added.slow.convert_ids_to_tokens(token_ids, skip_special_tokens=True)
    assert added.ours.batch_decode(sequences) == added.slow.batch_decode(sequences)


def test_decode_differs_in_fast(unigram):
    """``REFERENCES_DIFFER["decode"]``."""
    ours, slow, fast = fresh(unigram.directory)
    for tokenizer in (ours, slow, fast):
        tokenizer.add_tokens(["hello"])
        tokenizer.add_special_tokens({"additional_special_tokens": ["[E1]", "[E2]"]})
        tokenizer.add_special_tokens({"additional_special_tokens": ["[E3]"]})  # [E1], [E2] no longer listed
    token_ids = slow("a [E1] b [E3] xhello")["input_ids"]
    assert ours.decode(token_ids) == slow.decode(token_ids) == "<s> a [E1] b [E3] x hello </s>"
    assert fast.decode(token_ids) == "<s> a[E1] b[E3] xhello</s>"
    assert ours.decode(token_ids, skip_special_tokens=True) == slow.decode(token_ids, skip_special_tokens=True) == "a [E1] b x hello"
    assert fast.decode(token_ids, skip_special_tokens=True) == "a b xhello"


# ---------------------------------------------------------------------- add_special_tokens


def test_additional_special_tokens_replace_or_extend(unigram):
    ours, slow, fast = fresh(unigram.directory)
    for tokenizer in (ours, slow):
        assert tokenizer.add_special_tokens({"additional_special_tokens": ["[A]", "[B]", "hello"]}) == 2
        assert tokenizer.add_special_tokens({"additional_special_tokens": ["[C]", "[A]"]}, replace_additional_special_tokens=False) == 1
    assert_same_added_tokens(ours, slow)
    assert ours.additional_special_tokens == ["[A]", "[B]", "hello", "[C]"]
    for tokenizer in (ours, slow):
        assert tokenizer.add_special_tokens({"additional_special_tokens": ["[D]"]}) == 1
        assert tokenizer.add_special_tokens({"additional_special_tokens": []}) == 0  # an empty list replaces nothing
        assert tokenizer.add_special_tokens({}) == 0
    assert_same_added_tokens(ours, slow)
    assert ours.additional_special_tokens == ["[D]"]
    assert ours.tokenize("x[A]y") == slow.tokenize("x[A]y") == ["▁x", "[A]", "▁y"]  # still an added token
    assert ours.get_special_tokens_mask(ours("[A][D]")["input_ids"], already_has_special_tokens=True) == [1, 0, 1, 1]


def test_named_special_tokens(unigram):
    """pad and mask change as in both references; cls and sep as in slow (``REFERENCES_DIFFER["cls and sep"]``)."""
    ours, slow, fast = fresh(unigram.directory)

    def change(library):
        return {
            "pad_token": "[PAD]", "cls_token": library.AddedToken("<cls>", rstrip=True, special=True),
            "sep_token": "<sep>", "bos_token": "<bos>", "eos_token": "</s>", "mask_token": "<mask>",
        }

    assert ours.add_special_tokens(change(xlmr_tokenization)) == slow.add_special_tokens(change(transformers)) == 4
    fast.add_special_tokens(change(transformers))
    assert_same_added_tokens(ours, slow)
    assert ours.pad_token == "[PAD]" and ours.pad_token_id == fast.pad_token_id == ours.vocab_size  # the first new id
    assert not ours.added_tokens_decoder[ours.mask_token_id].lstrip  # a string strips nothing, as in transformers
    texts = ["the <mask> of", "a <cls>  b <sep> <bos>", "x"]
    for kwargs in (dict(padding=True), dict(padding=True, return_special_tokens_mask=True, return_tensors="np")):
        ours_out, slow_out = ours(texts, **kwargs), slow(texts, **kwargs)
        assert {key: np.asarray(value).tolist() for key, value in ours_out.items()} == {key: np.asarray(value).tolist() for key, value in slow_out.items()}
    row = ours(texts, padding=True)["input_ids"][2]
    assert row[:3] == [ours.cls_token_id, ours.convert_tokens_to_ids("▁x"), ours.sep_token_id] and set(row[3:]) == {ours.pad_token_id}
    assert fast(texts, padding=True)["input_ids"][2][:3] == [0, ours.convert_tokens_to_ids("▁x"), 2]
    assert ours(texts, padding=True).tokens(2)[-1] == "[PAD]" and ours(texts, padding=True).tokens(2)[0] == "<cls>"
    assert ours.decode(ours("a b")["input_ids"], skip_special_tokens=True) == "a b"


def test_unk_token_cannot_be_given_another_string(unigram):
    ours, _, _ = fresh(unigram.directory)
    with pytest.raises(InputError, match="unk_token .*'<unk>'.*'<UNK>'"):
        ours.add_special_tokens({"unk_token": "<UNK>", "pad_token": "[PAD]"})
    assert ours.pad_token == "<pad>" and len(ours) == ours.vocab_size  # nothing changed
    assert ours.add_special_tokens({"unk_token": AddedToken("<unk>", rstrip=True)}) == 0  # its flags may change
    assert ours.added_tokens_decoder[ours.unk_token_id].rstrip


@pytest.mark.parametrize("call, message", [
    (lambda t: t.add_tokens(["ok", 5]), "token must be a str or an AddedToken, got int: 5"),
    (lambda t: t.add_tokens([None]), "got NoneType"),
    (lambda t: t.add_tokens([b"bytes"]), "got bytes"),
    (lambda t: t.add_tokens([AddedToken("<w>", single_word=True)]), "'<w>' has single_word=True"),
    (lambda t: t.add_tokens(["a\ud800"]), "lone surrogate"),
    (lambda t: t.add_special_tokens({"cls": "<c>"}), "'cls' is not a special token key"),
    (lambda t: t.add_special_tokens({"additional_special_tokens": "<x>"}), "must be a list"),
    (lambda t: t.add_special_tokens({"additional_special_tokens": ["<x>", 3]}), "additional special token must be a str"),
    (lambda t: t.add_special_tokens({"pad_token": 1}), "pad_token must be a str"),
    (lambda t: t.add_special_tokens({"pad_token": ""}), "pad_token cannot be the empty string"),
    (lambda t: t.add_special_tokens({"additional_special_tokens": ["<x>", ""]}), "cannot hold the empty string"),
    (lambda t: t.add_special_tokens({"mask_token": AddedToken("<m>", single_word=True)}), "single_word"),
    (lambda t: t.add_special_tokens(["<x>"]), "takes a dict"),
])
def test_bad_input(unigram, call, message):
    ours, _, _ = fresh(unigram.directory)
    ours.add_tokens(["before"])
    state = (len(ours), ours.added_tokens_decoder, ours.special_tokens_map)
    with pytest.raises(InputError, match=re.escape(message)):
        call(ours)
    assert (len(ours), ours.added_tokens_decoder, ours.special_tokens_map) == state  # nothing was added


def test_bad_configuration(unigram):
    with pytest.raises(ConfigError, match="single_word"):
        XLMRobertaTokenizer.from_pretrained(unigram.directory, additional_special_tokens=[AddedToken("<w>", single_word=True)])
    with pytest.raises(ConfigError, match="must be a list"):
        XLMRobertaTokenizer.from_pretrained(unigram.directory, additional_special_tokens="<w>")
    with pytest.raises(ConfigError, match="'<x>' has the negative id -1"):
        XLMRobertaTokenizer.from_pretrained(unigram.directory, added_tokens_decoder={-1: AddedToken("<x>")})
    # Additional special tokens the vocabulary lacks are added at construction, as in transformers.
    ours = XLMRobertaTokenizer.from_pretrained(unigram.directory, additional_special_tokens=["[X]", "▁the"])
    slow = transformers.XLMRobertaTokenizer.from_pretrained(unigram.directory, additional_special_tokens=["[X]", "▁the"])
    assert_same_added_tokens(ours, slow)


# ---------------------------------------------------------------------- files, pickling, later alignment


def test_save_pretrained_round_trip(added, tmp_path):
    directory = str(tmp_path / "ours")
    added.ours.save_pretrained(directory)
    added.slow.save_pretrained(str(tmp_path / "slow"))
    config = json.load(open(os.path.join(directory, "tokenizer_config.json"), encoding="utf-8"))
    assert config == json.load(open(tmp_path / "slow" / "tokenizer_config.json", encoding="utf-8"))
    texts = CASES + corpus_lines()[:20]
    again = XLMRobertaTokenizer.from_pretrained(directory)
    assert again.added_tokens_decoder == added.ours.added_tokens_decoder
    assert_same_added_tokens(again, added.slow)
    assert again(texts, return_offsets_mapping=True) == added.ours(texts, return_offsets_mapping=True)
    slow = transformers.XLMRobertaTokenizer.from_pretrained(directory)
    assert_same_added_tokens(again, slow)
    assert slow(texts)["input_ids"] == added.ours(texts)["input_ids"]
    fast = transformers.XLMRobertaTokenizerFast.from_pretrained(directory)
    assert len(fast) == len(again)
    # The fast tokenizer reads the normalized flags from the files: it tokenises as the fast one
    # given the tokens at run time, which equals ours where REFERENCES_DIFFER["normalized tokens"] does not apply.
    assert fast(texts)["input_ids"] == added.fast(texts)["input_ids"]
    agreeing = [text for text in texts if added.fast(text)["input_ids"] == added.slow(text)["input_ids"]]
    assert len(agreeing) > len(texts) // 2
    assert fast(agreeing)["input_ids"] == again(agreeing)["input_ids"]


def test_saved_special_tokens_load_in_transformers(unigram, tmp_path):
    """Named special tokens set at run time are saved and read back by all three."""
    ours, slow, _ = fresh(unigram.directory)
    for tokenizer, library in ((ours, AddedToken), (slow, transformers.AddedToken)):
        # normalized=False: the fast tokenizer reads the flag from the files (REFERENCES_DIFFER["normalized tokens"]).
        special = [library("[R]", rstrip=True, normalized=False)]
        tokenizer.add_special_tokens({"pad_token": "[PAD]", "cls_token": "<cls>", "additional_special_tokens": special})
    ours.save_pretrained(str(tmp_path))
    texts = ["a [R]  b", "x"]
    for loaded in (XLMRobertaTokenizer.from_pretrained(str(tmp_path)), transformers.XLMRobertaTokenizer.from_pretrained(str(tmp_path))):
        assert_same_added_tokens(loaded, slow)
        assert loaded(texts, padding=True)["input_ids"] == slow(texts, padding=True)["input_ids"]
    fast = transformers.XLMRobertaTokenizerFast.from_pretrained(str(tmp_path))
    assert fast.pad_token_id == ours.pad_token_id and fast.additional_special_tokens == ["[R]"]
    assert fast("a [R]  b")["input_ids"][1:-1] == ours("a [R]  b")["input_ids"][1:-1]  # REFERENCES_DIFFER["cls and sep"]


def test_tokenizer_json_checkpoint_with_added_tokens(unigram, tmp_path):
    """A directory the fast tokenizer saved after adding tokens, without the .model file."""
    _, slow, fast = fresh(unigram.directory)
    for tokenizer in (slow, fast):
        tokenizer.add_tokens(["hello", "brand-new"])
        tokenizer.add_special_tokens({"additional_special_tokens": ["[E1]"]})
    fast.save_pretrained(str(tmp_path))
    os.remove(tmp_path / "sentencepiece.bpe.model")
    ours = XLMRobertaTokenizer.from_pretrained(str(tmp_path))
    assert_same_added_tokens(ours, slow)
    assert ours(CASES + ["xbrand-new[E1]"])["input_ids"] == slow(CASES + ["xbrand-new[E1]"])["input_ids"]


def test_pickle_keeps_added_tokens(unigram):
    ours, _, _ = fresh(unigram.directory)
    ours.add_tokens(["brand-new"])
    ours.add_special_tokens({"additional_special_tokens": ["[E1]"]})
    clone = pickle.loads(pickle.dumps(ours))
    assert clone("a brand-new [E1]")["input_ids"] == ours("a brand-new [E1]")["input_ids"]
    assert len(clone) == len(ours) and clone.additional_special_tokens == ["[E1]"]


def test_alignment_of_an_earlier_call_ignores_tokens_added_since(unigram):
    """The deferred alignment pass tokenises with the added and special tokens of its call."""
    ours, _, fast = fresh(unigram.directory)
    texts = ["New York xhello there", "hi"]
    before = ours(texts, padding=True)
    expected = fast(texts, padding=True)
    ours.add_special_tokens({"cls_token": "<cls>", "pad_token": "[PAD]"})
    ours.add_tokens(["hel", "New York"])
    assert before.word_ids(0) == expected.word_ids(0) and before.tokens(0) == expected.tokens(0)
    assert before.tokens(1) == expected.tokens(1) and before.tokens(1)[-1] == "<pad>"
    after = ours(texts, padding=True)
    assert after.tokens(0)[:2] == ["<cls>", "New York"] and after.tokens(1)[-1] == "[PAD]"  # a new call sees them
