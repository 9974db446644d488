"""token-classification (NER) against transformers' pipeline with ``XLMRobertaTokenizerFast``.

A random-weight ``XLMRobertaForTokenClassification`` with B-/I- labels is saved next to the test
tokenizer (tests/tokenizer_fixtures.py); its classifier weights are scaled up so that every
label, "O" included, is predicted somewhere and near-ties between labels are rare. Entities,
groups, words and character spans must be equal to the reference's, scores within 1e-4.
"""

import shutil
import warnings

import numpy as np
import pytest
import torch
import transformers

from reference import assert_close, reference_checkpoint
from tokenizer_fixtures import tokenizer_sets, unigram  # noqa: F401 - pytest fixtures
from xlmr_np import InputError
from xlmr_np.pipelines import pipeline
from xlmr_np.pipelines.token_classification import TokenClassificationPipeline, metaspace_decode
from xlmr_np.tokenization import XLMRobertaTokenizer

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
TEXTS = [
    "Angela Merkel besuchte gestern Paris und traf Emmanuel Macron.",
    "Владимир живёт в Санкт-Петербурге, а Ольга — в Киеве.",
    "東京 と 大阪 は 日本 の 都市 です。",
    "Ça va très bien, merci! Zoë est à Montréal.",
    "مرحبا بكم في القاهرة",
    "  extra   spaces, <unk> and <mask> tokens 😀 👍🏽  ",
]
LONG_TEXT = (" ".join(TEXTS[:4]) + " Kraków, Łódź i Gdańsk leżą w Polsce; नमस्ते दिल्ली।") * 2


def model_max_length_tokenizers(directory, length):
    """Ours and the reference fast tokenizer with a short ``model_max_length`` (windows, truncation)."""
    return (XLMRobertaTokenizer.from_pretrained(directory, model_max_length=length),
            transformers.XLMRobertaTokenizerFast.from_pretrained(directory, model_max_length=length))


def reference_pipeline(directory, tokenizer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.pipeline("token-classification", model=directory, tokenizer=tokenizer, framework="pt")


@pytest.fixture(scope="module")
def ner_checkpoint(tmp_path_factory, unigram):  # noqa: F811 - the fixture's value
    directory = str(tmp_path_factory.mktemp("ner-checkpoint"))
    settings = dict(vocab_size=len(unigram.slow), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=48, max_position_embeddings=130, type_vocab_size=1, layer_norm_eps=1e-5,
                    id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)})
    reference = reference_checkpoint(directory, transformers.XLMRobertaForTokenClassification, settings)
    with torch.no_grad():
        reference.classifier.weight.mul_(20.0)
    reference.save_pretrained(directory, safe_serialization=True)
    for name in ("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        shutil.copy(f"{unigram.fast_directory}/{name}", f"{directory}/{name}")
    ours = pipeline("ner", model=directory)
    theirs = reference_pipeline(directory, transformers.XLMRobertaTokenizerFast.from_pretrained(directory))
    return directory, ours, theirs


def assert_same_entities(got, want, context):
    """Equal keys and values (entity, word, index, start, end); scores within the tolerance."""
    assert len(got) == len(want), f"{context}: {len(got)} entities vs {len(want)}\n{got}\n{want}"
    for mine, theirs in zip(got, want):
        assert set(mine) == set(theirs), context
        for key, value in theirs.items():
            if key != "score":
                assert mine[key] == value, f"{context}: {key} {mine[key]!r} vs {value!r}"
    if got:
        assert_close(np.array([entity["score"] for entity in got]),
                     np.array([float(entity["score"]) for entity in want]), "ner scores")


@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
def test_entities_match_transformers(ner_checkpoint, strategy):
    _, ours, theirs = ner_checkpoint
    batch = ours(TEXTS, aggregation_strategy=strategy)  # one packed batch, results in input order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference warns about its subword heuristic
        expected = [theirs(text, aggregation_strategy=strategy) for text in TEXTS]
    for text, got, want in zip(TEXTS, batch, expected):
        assert_same_entities(got, want, f"{strategy}: {text!r}")
    assert any(batch), "no entity at all: the test model predicts only 'O'"
    if strategy == "none":
        assert all(entity["entity"] != "O" for entities in batch for entity in entities)
        everything = ours(TEXTS[2], ignore_labels=[])
        assert_same_entities(everything, theirs(TEXTS[2], ignore_labels=[]), "ignore_labels=[]")
        assert {entity["entity"] for entity in everything} >= {"O"}


def test_long_text_windows_with_stride_match_transformers(ner_checkpoint):
    directory, _, _ = ner_checkpoint
    ours_tokenizer, fast = model_max_length_tokenizers(directory, 24)
    ours = pipeline("ner", model=directory, tokenizer=ours_tokenizer)
    theirs = reference_pipeline(directory, fast)
    assert len(ours_tokenizer(LONG_TEXT, truncation=True, stride=5, return_overflowing_tokens=True)["input_ids"]) > 5
    for strategy in ("simple", "first", "average", "max"):
        got = ours(LONG_TEXT, aggregation_strategy=strategy, stride=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = theirs(LONG_TEXT, aggregation_strategy=strategy, stride=5)
        assert_same_entities(got, want, f"stride, {strategy}")
        assert got[-1]["end"] > len(LONG_TEXT) // 2  # entities come from the later windows too
    # Without stride a long text is cut at model_max_length, as in the reference.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = theirs(LONG_TEXT, aggregation_strategy="simple")
    assert_same_entities(ours(LONG_TEXT, aggregation_strategy="simple"), want, "truncated")


def test_call_forms_and_registration(ner_checkpoint):
    directory, ours, _ = ner_checkpoint
    assert isinstance(ours, TokenClassificationPipeline)
    assert isinstance(pipeline("token-classification", model=directory), TokenClassificationPipeline)
    alone = ours(TEXTS[1], aggregation_strategy="AVERAGE")  # any case, as the reference
    # Same entities; scores equal up to float32 rounding (a batch's matmuls have other shapes).
    assert_same_entities(ours([TEXTS[0], TEXTS[1]], aggregation_strategy="average")[1], alone, "batched")
    assert ours("") == [] and ours([]) == []
    assert metaspace_decode(["\u2581a\u2581b", "\u2581", "c\u2581", "\u2581"]) == "ab c  "  # the fast decoder


def test_bad_input_is_rejected(ner_checkpoint):
    _, ours, _ = ner_checkpoint
    with pytest.raises(InputError, match="aggregation_strategy='longest'"):
        ours(TEXTS[0], aggregation_strategy="longest")
    with pytest.raises(InputError, match="stride=4 .*'none'"):
        ours(TEXTS[0], stride=4)
    with pytest.raises(InputError, match="stride=500 must be smaller"):
        ours(TEXTS[0], aggregation_strategy="simple", stride=500)
    with pytest.raises(InputError, match="stride must be a non-negative integer, got -1"):
        ours(TEXTS[0], aggregation_strategy="simple", stride=-1)
    with pytest.raises(InputError, match="ignore_labels"):
        ours(TEXTS[0], ignore_labels="O")
    with pytest.raises(InputError, match="got int: 7"):
        ours([TEXTS[0], 7])
