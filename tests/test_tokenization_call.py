"""The ``tokenizer(...)`` call's options against transformers.

``return_length`` follows the slow ``XLMRobertaTokenizer``; ``is_split_into_words`` follows the
slow tokenizer's ids and the fast ``XLMRobertaTokenizerFast``'s offsets (and its answer for an
example without words, where the slow one fails).
"""

import pytest

from xlmr_np.errors import InputError

try:
    from tokenizer_fixtures import any_model, tokenizer_sets  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, tokenizer_sets  # noqa: F401


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
