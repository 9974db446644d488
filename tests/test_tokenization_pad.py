"""``tokenizer.pad(...)`` against transformers' ``PreTrainedTokenizerBase.pad`` (4.39.3).

Hypothesis draws a list of examples — texts, maybe pairs, each encoded on its own by a
tokenizer's ``__call__`` with or without ``attention_mask``, ``token_type_ids``,
``special_tokens_mask`` and ``length`` — in one of the forms data collators pass (a list of
dicts, a list of ``BatchEncoding``\\ s, a dict of lists, an unpadded batch ``BatchEncoding``,
NumPy-valued examples, one example), and pads them with every strategy, ``max_length``,
``pad_to_multiple_of``, ``return_attention_mask``, ``return_tensors`` None / ``"np"``, both
padding sides and ``model_max_length`` none or 16. Every field is compared exactly, values,
types and key order:

* ``ours.pad`` on the **slow** tokenizer's examples with ``slow.pad`` on them, and on the
  **fast** tokenizer's examples with ``fast.pad`` (``pad`` is the same code in both classes);
* ``ours.pad`` on **our** examples with ``slow.pad`` on slow's: our calls give slow's ids
  (docs/tokenizer.md). ``REFERENCES_DIFFER`` names the case where fast's examples differ.

``DIFFERS_FROM_TRANSFORMERS`` names where we do something else than both references on purpose
(docs/tokenizer.md, "Padding encoded examples").
"""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import InputError
from xlmr_np.tokenization.inputs import VERY_LARGE_INTEGER

try:
    from tokenizer_fixtures import any_model, configured, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, configured, text_strategy, tokenizer_sets, unigram  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:`max_length` is ignored:UserWarning")

HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

PADDINGS = [True, False, "longest", "max_length", "do_not_pad"]
FORMS = ["list of dicts", "list of BatchEncodings", "dict of lists", "batch BatchEncoding", "numpy examples", "one example"]

REFERENCES_DIFFER = {
    "other examples": "the fast tokenizer's calls give other examples than the slow one's (its normalisation, an empty pair dropped, length as a list): pad pads what it is given, so fast.pad(fast's) differs from slow.pad(slow's); ours.pad pads our examples as slow.pad pads slow's (our calls follow slow)",
}

DIFFERS_FROM_TRANSFORMERS = {
    "ragged np": "return_tensors='np' with fields of different lengths (no padding, max_length below the longest row, an unpadded field): transformers makes object arrays of arrays or raises ValueError; we raise InputError",
    "numpy one example": "one example given as 1-D NumPy arrays: transformers raises ValueError ('type of 0 unknown: numpy.int64'); we pad it and return NumPy arrays",
    "empty rows np": "return_tensors='np' where every row is empty (add_special_tokens=False, empty texts): transformers makes float64 arrays of shape (n, 0); ours are int64, as every other field",
    "empty": "input_ids == []: transformers returns the input itself (a dict, not converted by return_tensors); we return a BatchEncoding of the same fields, converted by return_tensors",
}


@st.composite
def pad_cases(draw):
    size = draw(st.integers(1, 4))
    texts = draw(st.lists(text_strategy(4), min_size=size, max_size=size))
    pairs = draw(st.one_of(st.none(), st.lists(text_strategy(3), min_size=size, max_size=size)))
    add_special_tokens = draw(st.booleans())
    call = dict(
        add_special_tokens=add_special_tokens,
        return_token_type_ids=draw(st.sampled_from([None, True])) if add_special_tokens else None,
        return_attention_mask=draw(st.sampled_from([None, False])),
        return_special_tokens_mask=draw(st.booleans()),
        return_length=draw(st.booleans()),
    )
    pad = dict(
        padding=draw(st.sampled_from(PADDINGS)),
        max_length=draw(st.one_of(st.none(), st.integers(0, 20))),
        pad_to_multiple_of=draw(st.sampled_from([None, None, 1, 3, 8])),
        return_attention_mask=draw(st.sampled_from([None, True, False])),
        return_tensors=draw(st.sampled_from([None, "np"])),
    )
    tokenizer_settings = dict(
        padding_side=draw(st.sampled_from(["right", "left"])),
        model_max_length=draw(st.sampled_from([VERY_LARGE_INTEGER, 16])),
    )
    return dict(texts=texts, pairs=pairs, call=call, pad=pad, form=draw(st.sampled_from(FORMS)), settings=tokenizer_settings)


def pad_input(tokenizer, case):
    """The examples ``tokenizer``'s own calls make of the case's texts, in the case's form."""
    texts, pairs, call = case["texts"], case["pairs"], case["call"]
    if case["form"] == "batch BatchEncoding":
        return tokenizer(texts, pairs, **call)
    examples = [tokenizer(text, None if pairs is None else pairs[index], **call) for index, text in enumerate(texts)]
    if case["form"] == "list of BatchEncodings":
        return examples
    examples = [dict(example) for example in examples]
    if case["form"] == "list of dicts":
        return examples
    if case["form"] == "dict of lists":
        return {key: [example[key] for example in examples] for key in examples[0]}
    if case["form"] == "numpy examples":
        return [{key: np.asarray(value) for key, value in example.items()} for example in examples]
    return examples[0]  # one example


def run(pad, inputs, kwargs):
    """``pad``'s result or the exception it raised (on a copy: transformers changes a single example's dict)."""
    try:
        return pad(copy.deepcopy(inputs), **kwargs)
    except Exception as error:  # noqa: BLE001 - the references' errors are compared below
        return error


def is_ragged(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


def canonical(result) -> str:
    """A result as comparable text: the error's type, or every field's values."""
    if isinstance(result, Exception):
        return type(result).__name__
    return repr(sorted((key, value.tolist() if isinstance(value, np.ndarray) else value) for key, value in result.items()))


def assert_same(ours, expected, case, key_order=True):
    """Our result for a case equals transformers' (or is the documented error or difference); the
    fields in the same order unless ``key_order`` is False (the calls made the examples' keys in another order)."""
    numpy_single = case["form"] == "one example" and isinstance(expected, Exception) and "unknown" in str(expected)
    if numpy_single:  # (not drawn: examples from calls hold lists) — see test_numpy_one_example
        raise AssertionError("unexpected reference error")
    if isinstance(expected, Exception) or any(is_ragged(value) for value in expected.values()):
        event("DIFFERS_FROM_TRANSFORMERS: ragged np")
        assert case["pad"]["return_tensors"] == "np" or case["form"] == "numpy examples", expected
        assert isinstance(ours, InputError), ours
        return
    assert not isinstance(ours, Exception), ours
    assert (list(ours) if key_order else set(ours)) == (list(expected) if key_order else set(expected))
    if not hasattr(expected, "encodings"):  # a plain dict: transformers returns an empty input as it is
        event("DIFFERS_FROM_TRANSFORMERS: empty")
        assert {key: np.asarray(value).tolist() for key, value in ours.items()} == {
            key: np.asarray(value).tolist() for key, value in expected.items()}
        return
    event("compared")
    for key, value in expected.items():
        mine = ours[key]
        assert type(mine) is type(value), (key, mine, value)
        if isinstance(value, np.ndarray) and value.size == 0 and value.dtype == np.float64:
            event("DIFFERS_FROM_TRANSFORMERS: empty rows np")
            assert mine.dtype == np.int64 and mine.shape == value.shape, (key, mine, value)
        elif isinstance(value, np.ndarray):
            assert mine.dtype == value.dtype and mine.shape == value.shape, (key, mine, value)
            np.testing.assert_array_equal(mine, value)
        else:
            assert mine == value, (key, mine, value)
    assert ours.encodings is None and ours.is_fast is False


# Found by a randomised run: the slow tokenizer's call orders an example's keys otherwise than ours
# (input_ids, special_tokens_mask, attention_mask), and pad returns an empty example as it is.
EMPTY_EXAMPLE_OTHER_KEY_ORDER = dict(
    texts=[""], pairs=None,
    call=dict(add_special_tokens=False, return_token_type_ids=None, return_attention_mask=None,
              return_special_tokens_mask=True, return_length=False),
    pad=dict(padding=True, max_length=None, pad_to_multiple_of=None, return_attention_mask=None, return_tensors=None),
    form="one example", settings=dict(padding_side="right", model_max_length=VERY_LARGE_INTEGER),
)


@HYPOTHESIS
@given(case=pad_cases())
@example(case=EMPTY_EXAMPLE_OTHER_KEY_ORDER)
@example(case={**EMPTY_EXAMPLE_OTHER_KEY_ORDER, "call": {**EMPTY_EXAMPLE_OTHER_KEY_ORDER["call"], "return_special_tokens_mask": False},
               "pad": {**EMPTY_EXAMPLE_OTHER_KEY_ORDER["pad"], "return_attention_mask": False, "return_tensors": "np"},
               "form": "list of dicts"})  # the mask left alone, with its empty row: int64 as the padded fields
def test_pad_equals_transformers(any_model, case):
    ours, slow, fast = any_model.ours, any_model.slow, any_model.fast
    with configured([ours, slow, fast], **case["settings"]):
        expected = {}
        for name, reference in (("slow", slow), ("fast", fast)):
            inputs = pad_input(reference, case)
            expected[name] = run(reference.pad, inputs, case["pad"])
            assert_same(run(ours.pad, inputs, case["pad"]), expected[name], case)
        own = run(ours.pad, pad_input(ours, case), case["pad"])
        assert_same(own, expected["slow"], case, key_order=False)  # our examples are slow's, so is their padding
        if canonical(expected["fast"]) != canonical(expected["slow"]):
            event("REFERENCES_DIFFER: other examples")


def test_list_of_dicts_equals_dict_of_lists(unigram):
    ours = unigram.ours
    examples = [dict(ours(text, return_special_tokens_mask=True)) for text in ["Hello world", "Hi", ""]]
    by_field = {key: [example[key] for example in examples] for key in examples[0]}
    for side in ("right", "left"):
        with configured([ours], padding_side=side):
            for kwargs in ({}, {"padding": "max_length", "max_length": 12}, {"pad_to_multiple_of": 4}):
                from_list, from_dict = ours.pad(examples, **kwargs), ours.pad(by_field, **kwargs)
                assert dict(from_list) == dict(from_dict)
                assert len({len(row) for rows in from_list.values() for row in rows}) == 1


def test_padding_side_and_created_mask(unigram):
    """The pad values of every field on both sides, an attention mask made where the examples have none."""
    ours, slow = unigram.ours, unigram.slow
    examples = [{"input_ids": [0, 7, 2], "special_tokens_mask": [1, 0, 1], "token_type_ids": [0, 0, 0]}, {"input_ids": [0, 2]}]
    examples[1].update(special_tokens_mask=[1, 1], token_type_ids=[0, 0])
    right = {"input_ids": [[0, 7, 2, 1, 1], [0, 2, 1, 1, 1]], "special_tokens_mask": [[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]],
             "token_type_ids": [[0] * 5, [0] * 5], "attention_mask": [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]}
    for side in ("right", "left"):
        with configured([ours, slow], padding_side=side):
            padded = ours.pad(examples, padding="max_length", max_length=5)
            assert dict(padded) == dict(slow.pad(copy.deepcopy(examples), padding="max_length", max_length=5))
            if side == "right":
                assert dict(padded) == right
            else:
                assert padded["input_ids"] == [[1, 1, 0, 7, 2], [1, 1, 1, 0, 2]]
                assert padded["attention_mask"] == [[0, 0, 1, 1, 1], [0, 0, 0, 1, 1]]
                assert padded["special_tokens_mask"] == [[1, 1, 1, 0, 1], [1, 1, 1, 1, 1]]


def test_numpy_and_tensor_inputs_give_numpy(unigram):
    """Arrays or torch tensors as input_ids: NumPy arrays back (transformers: the input's tensor type)."""
    ours, slow = unigram.ours, unigram.slow
    lists = [{"input_ids": [0, 7, 9, 2], "labels": 1}, {"input_ids": [0, 2], "labels": 0}]
    expected = slow.pad(copy.deepcopy(lists), return_tensors="np")
    arrays = [{key: np.asarray(value) for key, value in example.items()} for example in lists]
    batch = {"input_ids": np.array([[0, 7, 9, 2], [0, 2, 1, 1]]), "labels": np.array([1, 0])}
    inputs = [arrays, batch]
    torch = pytest.importorskip("torch")
    inputs.append([{key: torch.tensor(value) for key, value in example.items()} for example in lists])
    for given in inputs:
        padded = ours.pad(given)
        assert set(padded) == {"input_ids", "labels", "attention_mask"}
        assert all(isinstance(value, np.ndarray) and value.dtype == np.int64 for value in padded.values())
    np.testing.assert_array_equal(ours.pad(arrays)["input_ids"], expected["input_ids"])
    np.testing.assert_array_equal(ours.pad(arrays)["attention_mask"], expected["attention_mask"])
    np.testing.assert_array_equal(ours.pad(batch)["attention_mask"], [[1, 1, 1, 1], [1, 1, 1, 1]])  # as given: no padding to see


def test_numpy_one_example(unigram):
    """DIFFERS_FROM_TRANSFORMERS["numpy one example"]."""
    ours, slow = unigram.ours, unigram.slow
    example = {"input_ids": np.array([0, 7, 2])}
    with pytest.raises(ValueError, match="unknown"):
        slow.pad(copy.deepcopy(example), padding="max_length", max_length=5)
    padded = ours.pad(example, padding="max_length", max_length=5)
    np.testing.assert_array_equal(padded["input_ids"], [0, 7, 2, 1, 1])
    np.testing.assert_array_equal(padded["attention_mask"], [1, 1, 1, 0, 0])
    expected = slow.pad({"input_ids": [0, 7, 2]}, padding="max_length", max_length=5, return_tensors="np")
    assert {key: value.tolist() for key, value in padded.items()} == {key: value.tolist() for key, value in expected.items()}


def test_inputs_are_not_changed(unigram):
    ours = unigram.ours
    example = {"input_ids": [0, 7, 2]}
    batch = [{"input_ids": [0, 7, 2], "attention_mask": [1, 1, 1]}, {"input_ids": [0, 2], "attention_mask": [1, 1]}]
    saved = copy.deepcopy((example, batch))
    ours.pad(example, padding="max_length", max_length=6)
    padded = ours.pad(batch)
    assert (example, batch) == saved
    padded["input_ids"][0].append(5)  # rows are new lists, also the ones not padded
    assert batch == saved[1]


def test_output_is_a_batch_encoding_without_rows(unigram):
    """As transformers' pad output (also from a fast tokenizer): no encodings, alignment methods refuse."""
    ours, fast = unigram.ours, unigram.fast
    padded = ours.pad(ours(["Hello world", "Hi"]))
    reference = fast.pad(fast(["Hello world", "Hi"]))
    assert padded.encodings is None and reference.encodings is None
    assert padded.is_fast is False and reference.is_fast is False
    assert padded.n_sequences is None
    assert padded.input_ids == reference.input_ids
    with pytest.raises(InputError, match="only available on the output of a tokenizer call"):
        padded.sequence_ids(0)
    with pytest.raises(InputError):
        padded.word_ids(0)
    with pytest.raises(KeyError):
        padded[0]


def test_empty_input(unigram):
    """DIFFERS_FROM_TRANSFORMERS["empty"]; an empty list of examples is an error (transformers: IndexError)."""
    ours, slow = unigram.ours, unigram.slow
    assert dict(ours.pad({"input_ids": []})) == slow.pad({"input_ids": []}) == {"input_ids": []}
    assert dict(ours.pad({"input_ids": []}, return_attention_mask=True)) == {"input_ids": [], "attention_mask": []}
    padded = ours.pad({"input_ids": []}, return_tensors="np")
    assert padded["input_ids"].shape == (0,) and padded["input_ids"].dtype == np.int64
    assert dict(ours.pad({"input_ids": [[]]}, pad_to_multiple_of=8)) == {"input_ids": [[]], "attention_mask": [[]]}
    with pytest.raises(IndexError):
        slow.pad([])
    with pytest.raises(InputError, match="empty list"):
        ours.pad([])


def test_attention_mask_not_asked_for_is_left_alone(unigram):
    """return_attention_mask=False: a given mask is neither padded nor dropped (transformers' rule)."""
    ours, slow = unigram.ours, unigram.slow
    examples = [dict(ours("Hello world")), dict(ours("Hi"))]
    padded = ours.pad(examples, return_attention_mask=False)
    assert dict(padded) == dict(slow.pad(copy.deepcopy(examples), return_attention_mask=False))
    assert padded["attention_mask"] == [example["attention_mask"] for example in examples]
    assert "attention_mask" not in ours.pad([{"input_ids": [0, 2]}, {"input_ids": [0]}], return_attention_mask=False)
    with pytest.raises(InputError, match="'attention_mask'.*different shapes"):
        ours.pad(examples, return_attention_mask=False, return_tensors="np")


def test_fields_left_alone_with_empty_rows_are_int64_arrays(unigram):
    """DIFFERS_FROM_TRANSFORMERS["empty rows np"] also for the fields pad does not pad: a mask not
    asked for and any other field (transformers: float64 arrays of shape (n, 0) for all of them)."""
    ours = unigram.ours
    examples = [{"input_ids": [], "attention_mask": [], "labels": []}, {"input_ids": [], "attention_mask": [], "labels": []}]
    padded = ours.pad(examples, return_attention_mask=False, return_tensors="np")
    for key in ("input_ids", "attention_mask", "labels"):
        assert padded[key].dtype == np.int64 and padded[key].shape == (2, 0), (key, padded[key])
    labels = ours.pad([{"input_ids": [5], "labels": [0.5]}], return_tensors="np")["labels"]
    assert labels.dtype == np.float64 and labels.tolist() == [[0.5]]  # values keep NumPy's dtype
    scores = ours.pad({"input_ids": [[]], "scores": np.zeros((1, 0), np.float32)}, return_tensors="np")["scores"]
    assert scores.dtype == np.float32  # an array given stays as it is


BAD_INPUTS = [
    ([{"attention_mask": [1, 1]}], {}, "needs 'input_ids'"),
    ([{"input_ids": [0, 2], "token_type_ids": [0, 0]}, {"input_ids": [0, 2]}], {}, "example 1 has no 'token_type_ids'"),
    ([{"input_ids": [0, 5, 2], "attention_mask": [1, 1]}], {}, "example 0: 'attention_mask' has 2 items but 'input_ids' has 3"),
    ({"input_ids": [0, 5, 2], "special_tokens_mask": [1, 0, 0, 1]}, {}, "'special_tokens_mask' has 4 items but 'input_ids' has 3"),
    ([{"input_ids": [0, 5.0, 2]}], {}, "example 0: 'input_ids' must hold ints, got float: 5.0"),
    ([{"input_ids": [0, "a"]}], {}, "must hold ints, got str"),
    ({"input_ids": [[0, 2], 7]}, {}, "example 1: 'input_ids' must be a list of ints, got int"),
    ({"input_ids": [[0, 2], [0]], "labels": [1]}, {}, "'labels' has 1 items but 'input_ids' has 2 examples"),
    ({"input_ids": "0 2"}, {}, "'input_ids' must be a list"),
    ([{"input_ids": [0, 2]}], {"padding": "max_length", "max_length": -1}, "max_length must be an int >= 0, got -1"),
    ([{"input_ids": [0, 2]}], {"padding": "shortest"}, "padding='shortest' is not one of"),
    ([{"input_ids": [0, 2]}], {"pad_to_multiple_of": 0}, "pad_to_multiple_of must be an int > 0, got 0"),
    ([{"input_ids": [0, 2]}], {"return_tensors": "pt"}, "return_tensors='pt' is not supported"),
    ([{"input_ids": [0, 2]}], {"padding": "max_length", "max_length": 2**30}, "padding is limited to"),
    ([{"input_ids": [0, 2]}, {"input_ids": [0]}], {"padding": False, "return_tensors": "np"}, "needs rows of one length but 'input_ids' has lengths"),
    ([{"input_ids": [0, 2], "words": [1, 2]}, {"input_ids": [0], "words": [1]}], {"return_tensors": "np"}, "one array of 'words'"),
    ([{"input_ids": [0, 2]}, [0, 2]], {}, "item 1 is a list"),
    ("0 2", {}, "takes a dict / BatchEncoding or a list of them, got str"),
    ([], {}, "empty list"),
]


@pytest.mark.parametrize("inputs, kwargs, message", BAD_INPUTS)
def test_bad_input(unigram, inputs, kwargs, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.").replace("*", r"\*")):
        unigram.ours.pad(inputs, **kwargs)
