"""fill-mask, feature-extraction, sentence embeddings and text-classification against transformers.

Each test saves a random-weight transformers model next to the test tokenizer (trained in
tests/tokenizer_fixtures.py) and runs transformers' pipeline of the same name on the same
directory; token choices must be equal and scores agree within the parity tolerance.
"""

import json
import shutil
import warnings

import numpy as np
import pytest
import torch
import transformers

from reference import assert_close, reference_checkpoint
from tokenizer_fixtures import tokenizer_sets, unigram  # noqa: F401 - pytest fixtures
from xlmr_np import CheckpointError, InputError, XLMRobertaConfig, XLMRobertaForSequenceClassification
from xlmr_np.pipelines import pipeline

TEXTS = ["The cat sat on the mat.", "Привет, как дела?", "Ça va très bien, merci!", "日本語のテキスト", "Hi"]


def checkpoint(tmp_path, unigram, hf_class, **config):  # noqa: F811 - the fixture's value
    vocab = len(unigram.slow)
    settings = dict(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=48, max_position_embeddings=130, type_vocab_size=1, layer_norm_eps=1e-5)
    settings.update(config)
    reference = reference_checkpoint(tmp_path, hf_class, settings)
    for name in ("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        shutil.copy(f"{unigram.fast_directory}/{name}", tmp_path / name)
    return reference


def reference_pipeline(task, tmp_path, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.pipeline(task, model=str(tmp_path), framework="pt", **options)


def test_fill_mask_matches_transformers(tmp_path, unigram):  # noqa: F811
    checkpoint(tmp_path, unigram, transformers.XLMRobertaForMaskedLM)
    ours = pipeline("fill-mask", model=str(tmp_path))
    theirs = reference_pipeline("fill-mask", tmp_path)
    for text in ["The cat <mask> on the mat.", "Привет, <mask> дела?", "<mask> va très <mask>, merci!"]:
        mine, expected = ours(text, top_k=4), theirs(text, top_k=4)
        if isinstance(expected[0], dict):
            mine, expected = [mine], [expected]
        for got, want in zip(mine, expected):
            assert [p["token"] for p in got] == [p["token"] for p in want], text
            assert [p["token_str"] for p in got] == [p["token_str"] for p in want]
            assert [p["sequence"] for p in got] == [p["sequence"] for p in want]
            assert_close(np.array([p["score"] for p in got]), np.array([p["score"] for p in want]),
                         "fill-mask scores")
    batch = ours(["A <mask>.", "The cat <mask> on the mat."], top_k=2)
    alone = ours("The cat <mask> on the mat.", top_k=2)
    assert [p["token"] for p in batch[1]] == [p["token"] for p in alone]
    assert_close(np.array([p["score"] for p in batch[1]]), np.array([p["score"] for p in alone]),
                 "fill-mask batch vs alone")
    with pytest.raises(InputError, match="no <mask> token"):
        ours("nothing to fill")


def test_feature_extraction_matches_transformers(tmp_path, unigram):  # noqa: F811
    checkpoint(tmp_path, unigram, transformers.XLMRobertaModel)
    ours = pipeline("feature-extraction", model=str(tmp_path))
    theirs = reference_pipeline("feature-extraction", tmp_path)
    for text, mine in zip(TEXTS, ours(TEXTS)):
        assert_close(np.array(mine), np.array(theirs(text)), "feature-extraction")


def test_sentence_embeddings_follow_sentence_transformers_config(tmp_path, unigram):  # noqa: F811
    reference = checkpoint(tmp_path, unigram, transformers.XLMRobertaModel)
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]))
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
         "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}))
    embed = pipeline("sentence-embedding", model=str(tmp_path))
    assert embed.pooling == ["mean"] and embed.normalize
    vectors = embed(TEXTS)
    # sentence-transformers' recipe on the reference: masked mean over a padded batch, then L2.
    batch = unigram.fast(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = reference(**batch).last_hidden_state
    mask = batch["attention_mask"][..., None].float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), p=2, dim=1)
    assert_close(vectors, expected, "sentence embeddings (mean, normalised)")
    # A batch gives each text the vector it gets alone (no padding leaks into the mean).
    assert_close(embed(TEXTS[1]), vectors[1], "sentence embedding alone vs in a batch")
    cls = pipeline("sentence-embedding", model=str(tmp_path), pooling="cls", normalize=False)(TEXTS)
    assert_close(cls, hidden[:, 0], "sentence embeddings (cls)")


@pytest.mark.parametrize("labels, problem_type", [(3, None), (1, None), (4, "multi_label_classification")])
def test_text_classification_matches_transformers(tmp_path, unigram, labels, problem_type):  # noqa: F811
    names = {i: f"class_{i}" for i in range(labels)}
    checkpoint(tmp_path, unigram, transformers.XLMRobertaForSequenceClassification,
               id2label=names, label2id={v: k for k, v in names.items()}, problem_type=problem_type)
    ours = pipeline("text-classification", model=str(tmp_path))
    theirs = reference_pipeline("text-classification", tmp_path)
    single, expected = ours(TEXTS[0]), theirs(TEXTS[0])
    assert [r["label"] for r in single] == [r["label"] for r in expected]
    assert_close(np.array([r["score"] for r in single]), np.array([r["score"] for r in expected]),
                 "text-classification scores")
    for mine, want in zip(ours(TEXTS, top_k=None), theirs(TEXTS, top_k=None)):
        assert [r["label"] for r in mine] == [r["label"] for r in want]
        assert_close(np.array([r["score"] for r in mine]), np.array([r["score"] for r in want]),
                     "text-classification scores")
    legacy = ours(TEXTS)
    assert [r["label"] for r in legacy] == [r["label"] for r in theirs(TEXTS)]
    pair = {"text": TEXTS[0], "text_pair": TEXTS[2]}
    assert ours(pair, top_k=1)[0]["label"] == theirs(pair, top_k=1)[0]["label"]


def test_pipeline_errors_are_clear(tmp_path, unigram):  # noqa: F811
    with pytest.raises(InputError, match="unknown task 'summarization'"):
        pipeline("summarization")
    with pytest.raises(InputError, match="default model is a masked LM"):
        pipeline("text-classification")
    checkpoint(tmp_path, unigram, transformers.XLMRobertaModel)
    for name in ("sentencepiece.bpe.model", "tokenizer.json"):
        (tmp_path / name).unlink()
    with pytest.raises(CheckpointError, match="has no tokenizer"):
        pipeline("feature-extraction", model=str(tmp_path))
    with pytest.raises(CheckpointError, match="not a checkpoint directory"):
        pipeline("feature-extraction", model=str(tmp_path / "config.json"))


def test_bad_pipeline_inputs_name_the_problem(unigram):  # noqa: F811
    fill = pipeline("fill-mask")  # the default model: 32 tokens at most
    for bad in (None, 5, b"a <mask>"):
        with pytest.raises(InputError, match="fill-mask pipeline takes a text or a list of texts"):
            fill(bad)
    with pytest.raises(InputError, match=r"the <mask> token in the input 'word word .*\(1006 characters\) "
                                         r"comes after the first 32 tokens"):
        fill("word " * 200 + "<mask>")
    with pytest.raises(InputError, match="no <mask> token in the input 'hello'"):
        fill("hello")
    for size in ("2", 2.5, 0):
        with pytest.raises(InputError, match=f"batch_size must be an integer >= 1, got {size!r}"):
            pipeline("fill-mask", batch_size=size)
    for pooling in (5, []):
        with pytest.raises(InputError, match="pooling must be a mode or a non-empty list"):
            pipeline("sentence-embedding", pooling=pooling)
    for length in ("5", 0):
        with pytest.raises(InputError, match=f"max_length must be an integer >= 1, got {length!r}"):
            pipeline("sentence-embedding", max_length=length)
    classify = pipeline("text-classification", tokenizer=unigram.ours, model=XLMRobertaForSequenceClassification(
        XLMRobertaConfig(vocab_size=len(unigram.slow), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=20, max_position_embeddings=40)))
    for bad in ({"text_pair": "b"}, ["a", "b"]):
        with pytest.raises(InputError, match=r"input 0 is .*takes a str, or a dict \{'text': ..., 'text_pair': ...\}"):
            classify([bad])
    assert classify([{"text": "a", "text_pair": "b"}])[0]["label"] in ("LABEL_0", "LABEL_1")
