"""The whole ``tokenizer(...)`` call against transformers: random inputs with random options.

Hypothesis draws an input — one text or a batch, with or without a pair (a ``text_pair`` list
or ``(text, pair)`` tuples), as strings or, with ``is_split_into_words=True``, as lists of
words; texts mix scripts, whitespace runs, empty strings and special tokens written inside
them — and a combination of the call's options: ``add_special_tokens``, ``padding``,
``truncation``, ``max_length``, ``pad_to_multiple_of``, ``stride`` with
``return_overflowing_tokens``, ``return_offsets_mapping``, ``return_special_tokens_mask``,
``return_length``, ``return_attention_mask``, ``return_token_type_ids``; and the tokenizers'
settings: both sides for padding and truncation, ``model_max_length`` (none, 8 or 16). Every
returned field is compared exactly with:

* the **slow** ``XLMRobertaTokenizer`` (whose ids we follow), for every call it answers the
  same way: no offsets (it has none) and no overflow (it returns a flat list instead of rows);
* the **fast** ``XLMRobertaTokenizerFast``, for every call (offsets, overflow windows and
  ``overflow_to_sample_mapping`` included), whenever it tokenises the texts as the slow one
  does (docs/tokenizer.md lists the normalisation differences).

Where the two disagree, or one of them has no answer (an error, or a logged "cannot truncate"
with an over-long result), the test checks what docs/tokenizer.md says we do;
``REFERENCES_DIFFER`` names each such case.
"""

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import InputError
from xlmr_np.tokenization.inputs import LARGE_INTEGER, VERY_LARGE_INTEGER

try:
    from tokenizer_fixtures import (  # noqa: F401
        any_model, configured, draw_call_inputs, tokenised_strings, tokenizer_sets)
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import (  # noqa: F401
        any_model, configured, draw_call_inputs, tokenised_strings, tokenizer_sets)

# transformers warns about the drawn combinations it ignores, e.g. max_length with padding=True and no truncation.
pytestmark = pytest.mark.filterwarnings("ignore:`max_length` is ignored:UserWarning")

HYPOTHESIS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PADDINGS = [False, True, "longest", "max_length"]
TRUNCATIONS = [None, False, True, "longest_first", "only_first", "only_second"]

REFERENCES_DIFFER = {
    "unpadded empty text": "one text without any token ('' or [] words with add_special_tokens=False): slow leaves it unpadded (with return_tensors='np' a float64 array of shape (1, 0)); fast and we pad it like any row",
    "empty pair": "one text with text_pair '' (or [] words): the fast tokenizer drops the pair; slow and we keep <s> A </s></s></s>",
    "longest_first split": "longest_first on a pair removing an odd number of tokens: slow (and we) keep the extra token in the first text, fast in the second",
    "overflow token types": "return_token_type_ids with overflow rows of a pair: the fast tokenizer gives the second text's tokens type 1 in every row after the first (XLM-R has one token type); we give 0 everywhere, as slow",
    "length": "return_length in a padded batch: slow (and we) count tokens before padding, fast after; one text: slow gives an int, fast a list",
}


@dataclass
class Call:
    text: object
    text_pair: object
    kwargs: dict
    settings: dict  # the tokenizers' truncation_side, padding_side and model_max_length
    strings: list = field(default_factory=list)  # every text or word that gets tokenised

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return f"tokenizer({self.text!r}, {self.text_pair!r}, **{self.kwargs!r}) with {self.settings!r}"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis prints dataclasses field by field otherwise
        printer.text(repr(self))

    @property
    def batched(self) -> bool:
        first = self.text[0] if isinstance(self.text, list) and self.text else None
        return isinstance(self.text, list) and (not self.kwargs["is_split_into_words"] or isinstance(first, list))

    @property
    def paired(self) -> bool:
        return self.text_pair is not None or (self.batched and isinstance(self.text[0], tuple))

    @property
    def special_count(self) -> int:
        return (4 if self.paired else 2) if self.kwargs["add_special_tokens"] else 0

    @property
    def limit(self) -> Optional[int]:
        """``max_length``, else ``model_max_length`` unless that means "no limit" (transformers' rule)."""
        if self.kwargs["max_length"] is not None:
            return self.kwargs["max_length"]
        return self.settings["model_max_length"] if self.settings["model_max_length"] <= LARGE_INTEGER else None

    @property
    def strategy(self) -> Optional[str]:
        """The truncation transformers applies: None, or a strategy name (its rules for defaults)."""
        truncation = self.kwargs["truncation"]
        if truncation is None:  # max_length alone (no padding) switches truncation on
            strategy = "longest_first" if self.kwargs["max_length"] is not None and self.kwargs["padding"] is False else None
        else:
            strategy = "longest_first" if truncation is True else truncation or None
        return strategy if self.limit is not None else None


@st.composite
def calls(draw):
    split = draw(st.booleans())
    text, text_pair, examples = draw_call_inputs(draw, split)
    if isinstance(text, list) and text_pair is not None and not split and draw(st.booleans()):
        text, text_pair = [tuple(example) for example in examples], None  # a batch of (text, pair) tuples
    kwargs = dict(
        add_special_tokens=draw(st.booleans()),
        padding=draw(st.sampled_from(PADDINGS)),
        truncation=draw(st.sampled_from(TRUNCATIONS)),
        max_length=draw(st.one_of(st.none(), st.integers(0, 20))),
        pad_to_multiple_of=draw(st.sampled_from([None, None, 1, 3, 8])),
        stride=draw(st.sampled_from([0, 0, 1, 2, 5])),
        return_overflowing_tokens=draw(st.booleans()),
        return_offsets_mapping=draw(st.booleans()),
        return_special_tokens_mask=draw(st.booleans()),
        return_length=draw(st.booleans()),
        return_attention_mask=draw(st.sampled_from([None, True, False])),
        return_token_type_ids=draw(st.sampled_from([None, True, False])),
        is_split_into_words=split,
    )
    strings = tokenised_strings(examples, split)
    settings = dict(
        truncation_side=draw(st.sampled_from(["right", "left"])),
        padding_side=draw(st.sampled_from(["right", "left"])),
        model_max_length=draw(st.sampled_from([VERY_LARGE_INTEGER, VERY_LARGE_INTEGER, 8, 16])),
    )
    return Call(text, text_pair, kwargs, settings, strings)


def outcome(tokenizer, call: Call, **overrides):
    """The tokenizer's output, or the exception it raised (Rust panics are BaseExceptions)."""
    try:
        return tokenizer(call.text, call.text_pair, **{**call.kwargs, **overrides})
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # noqa: B036 - pyo3's PanicException derives from BaseException
        return error


def rows(encoding, call: Call, key: str = "input_ids", plain: bool = False):
    """The rows of a field (one row for a single text; ``plain``: of a call without overflow)."""
    values = encoding[key]
    return values if call.batched or (call.kwargs["return_overflowing_tokens"] and not plain) else [values]


def slow_answer(tokenizers, call: Call):
    """What the slow tokenizer says about the call: ``(output or None, whether it refused)``.

    It has no offsets and no overflow rows, so it runs without those; the output is None when
    it refuses the arguments (raises), when it could not truncate (it logs an error and
    returns rows longer than max_length), or when the call asks for offsets or overflow rows.
    """
    slow = outcome(tokenizers.slow, call, return_offsets_mapping=False, return_overflowing_tokens=False)
    if isinstance(slow, BaseException):
        return None, True
    if call.strategy and any(len(row) > call.limit for row in rows(slow, call, plain=True)):
        return None, True
    if call.kwargs["return_offsets_mapping"] or call.kwargs["return_overflowing_tokens"]:
        return None, False
    if not call.batched and not slow["input_ids"]:
        return None, False  # REFERENCES_DIFFER["unpadded empty text"]
    return slow, False


def fast_reference(tokenizers, call: Call):
    """Whether the fast tokenizer is a reference for this call (see ``REFERENCES_DIFFER``)."""
    fast, slow = tokenizers.fast, tokenizers.slow
    for string in call.strings:  # it normalises some texts differently, giving other ids
        if fast(string, add_special_tokens=False)["input_ids"] != slow(string, add_special_tokens=False)["input_ids"]:
            return False
    if not call.batched and call.text_pair in ("", []):
        return False  # REFERENCES_DIFFER["empty pair"]
    if call.paired and call.strategy == "longest_first" and not call.kwargs["return_overflowing_tokens"]:
        return False  # REFERENCES_DIFFER["longest_first split"]
    return True


def our_error_is_expected(call: Call, slow_refused: bool, fast) -> bool:
    """We raise InputError where a reference raises, or where docs/tokenizer.md says we refuse."""
    if slow_refused or isinstance(fast, BaseException):
        return True  # a reference raised, or the slow one could not truncate
    if call.strategy and call.limit < call.special_count:
        return True  # max_length below the special tokens: the fast tokenizer returns the texts untruncated
    if call.strategy and call.limit == call.special_count:  # no room for text: the fast tokenizer empties every text
        if call.kwargs["return_overflowing_tokens"] or call.paired and call.strategy in ("only_first", "only_second"):
            return True  # we refuse to cut the text only_first/only_second keeps, and overflow windows of nothing
    return bool(call.kwargs["return_overflowing_tokens"] and call.paired and call.strategy == "longest_first")


def comparable(encoding, call: Call) -> dict:
    """The fields compared with the fast tokenizer (see ``REFERENCES_DIFFER``)."""
    skipped = {"length"}
    if call.paired and call.kwargs["return_overflowing_tokens"]:
        skipped.add("token_type_ids")
    return {key: value for key, value in encoding.items() if key not in skipped}


@HYPOTHESIS
@given(call=calls())
def test_call_equals_transformers(any_model, call):
    tokenizers = [any_model.ours, any_model.slow, any_model.fast]
    with configured(tokenizers, **call.settings):
        ours = outcome(any_model.ours, call)
        slow, slow_refused = slow_answer(any_model, call)
        fast = outcome(any_model.fast, call)
        if isinstance(ours, BaseException):
            assert isinstance(ours, InputError), f"{type(ours).__name__}: {ours}"
            assert slow is None, f"we raised {ours} where the slow tokenizer answers"
            if fast_reference(any_model, call):
                assert our_error_is_expected(call, slow_refused, fast), f"we raised {ours} where transformers answers"
            event("we raise InputError")
            return
        if slow is not None:
            assert dict(ours) == dict(slow)  # every field, length included
            event("compared with slow")
        if not fast_reference(any_model, call):
            event("fast is no reference")
            return
        if isinstance(fast, BaseException):
            # The fast tokenizer refuses stride > max_length - 2 up front and panics on a stride
            # not below the truncated window even without overflow; slow and we ignore a stride
            # that cuts no window.
            assert "stride" in str(fast), f"the fast tokenizer raised {fast!r} where we return"
            event("fast refuses the stride")
            return
        assert comparable(ours, call) == comparable(fast, call)
        event("compared with fast")
        if "token_type_ids" in ours:
            assert not any(any(row) for row in rows(ours, call, "token_type_ids"))  # REFERENCES_DIFFER["overflow token types"]
        for row in range(len(rows(fast, call))):
            assert ours.sequence_ids(row) == fast.sequence_ids(row)
        if call.kwargs["return_length"] and call.kwargs["return_overflowing_tokens"]:
            # Without padding; "do_not_pad" rather than False keeps transformers' truncation default unchanged.
            unpadded = outcome(any_model.fast, call, padding=call.kwargs["padding"] and "do_not_pad", pad_to_multiple_of=None)
            assert ours["length"] == [len(row) for row in unpadded["input_ids"]]  # REFERENCES_DIFFER["length"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=calls())
def test_numpy_output_equals_the_lists(any_model, call):
    """``return_tensors="np"`` lays out padded rows straight into arrays (``padding.padded_array``,
    no padded lists): the arrays equal those of the lists the call returns without it (which the
    sweep above compares with transformers), and so do the rows' sequence ids."""
    with configured([any_model.ours], **call.settings):
        lists = outcome(any_model.ours, call)
        arrays = outcome(any_model.ours, call, return_tensors="np")
    if isinstance(lists, BaseException):
        assert type(arrays) is type(lists) and str(arrays) == str(lists)
        return
    if isinstance(arrays, BaseException):  # only rows of different lengths are refused as arrays
        assert "needs rows of one length" in str(arrays)
        assert len({len(row) for row in rows(lists, call)}) > 1
        event("ragged rows refused")
        return
    assert set(arrays) == set(lists)
    for key, value in lists.items():
        expected = np.asarray(value, dtype=np.int64)
        if arrays[key].ndim == expected.ndim + 1:  # one text: a batch of one row
            expected = expected[None]
        assert arrays[key].dtype == np.int64 and arrays[key].shape == expected.shape, key
        np.testing.assert_array_equal(arrays[key], expected, err_msg=key)
    for row in range(len(rows(lists, call))):
        assert arrays.sequence_ids(row) == lists.sequence_ids(row)
    event("compared")


def test_return_length_follows_slow(any_model):
    """``length`` counts a batch's rows before padding and a single padded text with its padding (slow's rules)."""
    ours, slow, fast = any_model.ours, any_model.slow, any_model.fast
    batch = ["a b c", "a"]
    assert ours(batch, padding=True, return_length=True)["length"] == slow(batch, padding=True, return_length=True)["length"]
    assert fast(batch, padding=True, return_length=True)["length"] != slow(batch, padding=True, return_length=True)["length"]
    single = dict(padding="max_length", max_length=10, return_length=True)
    assert ours("a b", **single)["length"] == slow("a b", **single)["length"] == 10
    assert ours("a b", return_length=True, return_tensors="np")["length"].tolist() == [len(ours("a b")["input_ids"])]


def test_split_into_words_equals_transformers(any_model):
    ours, slow, fast = any_model.ours, any_model.slow, any_model.fast
    sentence = ["Paris", "is", "the", "<mask>", "of", "France."]
    assert ours(sentence, is_split_into_words=True) == slow(sentence, is_split_into_words=True)
    offsets = dict(is_split_into_words=True, return_offsets_mapping=True)
    assert ours(sentence, **offsets) == fast(sentence, **offsets)  # spans count from each word's start
    batch = [sentence, ["a <mask>", " spaced ", ""], []]
    assert ours(batch, [["x"], ["y"], ["z"]], is_split_into_words=True, padding=True) == fast(
        batch, [["x"], ["y"], ["z"]], is_split_into_words=True, padding=True
    )  # the slow tokenizer fails on an example with no words ([]): IndexError
    # One example without words is <s></s>, as the fast tokenizer gives (slow: ValueError).
    assert ours([], is_split_into_words=True)["input_ids"] == fast([], is_split_into_words=True)["input_ids"] == [0, 2]


@pytest.mark.parametrize("text, text_pair", [("a b", None), (["a", 3], None), ([["a"], "b"], None), (["a"], "b"), ([["a"]], [["b"], ["c"]])])
def test_split_into_words_needs_lists_of_words(any_model, text, text_pair):
    with pytest.raises(InputError, match="is_split_into_words|word|text_pair"):
        any_model.ours(text, text_pair, is_split_into_words=True)
