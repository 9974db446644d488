"""Every task model against its transformers class: logits, losses, tying, loading and saving.

Each hypothesis example builds a random-weight reference model of the class, saves it with
``save_pretrained``, loads it with xlmr_np and compares logits and loss on a random, randomly
padded batch with random labels (including ignored ``-100`` positions).
"""

import json
import warnings

import numpy as np
import pytest
import torch
import transformers
from hypothesis import given, strategies as st
from safetensors.numpy import load_file

import xlmr_np.heads as heads
from reference import assert_close, random_batch, reference_checkpoint, to_numpy
from strategies import small_configs
from xlmr_np import InputError, XLMRobertaConfig

transformers.logging.set_verbosity_error()

HEAD_CLASSES = [
    ("XLMRobertaForMaskedLM", "lm_head."),
    ("XLMRobertaForCausalLM", "lm_head."),
    ("XLMRobertaForSequenceClassification", "classifier."),
    ("XLMRobertaForMultipleChoice", "classifier."),
    ("XLMRobertaForTokenClassification", "classifier."),
    ("XLMRobertaForQuestionAnswering", "qa_outputs."),
]
SMALL = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
             intermediate_size=20, max_position_embeddings=30)


def torch_inputs(inputs):
    return {key: (torch.tensor(value) if isinstance(value, np.ndarray) else value)
            for key, value in inputs.items()}


def run_both(ours, theirs, **inputs):
    """Run xlmr_np and the reference on the same NumPy inputs."""
    with torch.no_grad():
        expected = theirs(**torch_inputs(inputs))
    return ours(**inputs), expected


def draw_batch(data, rng, config, max_chunks=10, batch=None):
    """Random ids, padding mask and token types of a length the feed-forward chunking allows."""
    chunk = config["chunk_size_feed_forward"] or 1
    seq = chunk * data.draw(st.integers(1, max_chunks // chunk), label="chunks")
    if batch is None:
        batch = data.draw(st.integers(1, 3), label="batch")
    padding = data.draw(st.sampled_from(["right", "left"]), label="padding")
    ids, mask = random_batch(rng, batch, seq, config["vocab_size"], padding=padding)
    token_types = rng.integers(0, config["type_vocab_size"], size=ids.shape)
    return dict(input_ids=ids, attention_mask=mask, token_type_ids=token_types)


def token_labels(rng, shape, num_classes, ignored=0.3):
    labels = rng.integers(0, num_classes, size=shape)
    labels[rng.random(shape) < ignored] = -100
    return labels


def load(cls_name, directory, **kwargs):
    return getattr(heads, cls_name).from_pretrained(directory, **kwargs)


# -- parity with the reference, one test per task model ------------------------------------------


@given(config=small_configs(decoder=False), tie=st.booleans(), seed=st.integers(0, 2**16), data=st.data())
def test_masked_lm_matches_reference(tmp_path_factory, config, tie, seed, data):
    config = {**config, "tie_word_embeddings": tie}
    directory = tmp_path_factory.mktemp("mlm")
    reference = reference_checkpoint(directory, transformers.XLMRobertaForMaskedLM, config, seed=seed)
    model = load("XLMRobertaForMaskedLM", directory)
    rng = np.random.default_rng(seed)
    inputs = draw_batch(data, rng, config)
    inputs["labels"] = token_labels(rng, inputs["input_ids"].shape, config["vocab_size"])
    actual, expected = run_both(model, reference, output_hidden_states=True, **inputs)
    assert_close(actual.logits, expected.logits, "masked_lm logits")
    assert_close(actual.loss, expected.loss, "masked_lm loss")
    assert_close(actual.hidden_states, expected.hidden_states, "masked_lm hidden_states")
    tied = model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    assert tied == tie


@given(config=small_configs(decoder=True), seed=st.integers(0, 2**16), data=st.data())
def test_causal_lm_matches_reference(tmp_path_factory, config, seed, data):
    directory = tmp_path_factory.mktemp("clm")
    reference = reference_checkpoint(directory, transformers.XLMRobertaForCausalLM, config, seed=seed)
    model = load("XLMRobertaForCausalLM", directory)
    rng = np.random.default_rng(seed)
    inputs = draw_batch(data, rng, config)
    if config["add_cross_attention"]:
        batch = inputs["input_ids"].shape[0]
        inputs["encoder_hidden_states"] = rng.standard_normal((batch, 4, config["hidden_size"])).astype(np.float32)
    # Without labels the cache comes back; with labels the loss (and no cache).
    actual, expected = run_both(model, reference, **inputs)
    assert_close(actual.logits, expected.logits, "causal_lm logits")
    assert_close(actual.past_key_values, expected.past_key_values, "causal_lm past_key_values")
    inputs["labels"] = token_labels(rng, inputs["input_ids"].shape, config["vocab_size"])
    actual, expected = run_both(model, reference, **inputs)
    assert_close(actual.loss, expected.loss, "causal_lm loss")
    assert actual.past_key_values is None and expected.past_key_values is None


LABEL_KINDS = ["single_label", "multi_label", "regression_multi", "preset_single"]


@given(config=small_configs(decoder=False), num_labels=st.integers(1, 4), kind=st.sampled_from(LABEL_KINDS),
       seed=st.integers(0, 2**16), data=st.data())
def test_sequence_classification_matches_reference(tmp_path_factory, config, num_labels, kind, seed, data):
    """Every problem type, inferred from num_labels and the label dtype or preset in the config."""
    if num_labels == 1:  # always regression, whatever the labels' dtype
        kind = data.draw(st.sampled_from(["regression", "regression_column"]), label="regression labels")
    config = {**config, "num_labels": num_labels,
              "classifier_dropout": data.draw(st.sampled_from([None, 0.2]), label="classifier_dropout")}
    if kind == "regression_multi":
        config["problem_type"] = "regression"
    if kind == "preset_single":
        config["problem_type"] = "single_label_classification"
    directory = tmp_path_factory.mktemp("seqcls")
    reference = reference_checkpoint(directory, transformers.XLMRobertaForSequenceClassification, config,
                                     seed=seed)
    model = load("XLMRobertaForSequenceClassification", directory)
    rng = np.random.default_rng(seed)
    inputs = draw_batch(data, rng, config)
    batch = inputs["input_ids"].shape[0]
    if kind == "regression":
        inputs["labels"] = rng.standard_normal(batch).astype(np.float32)
    elif kind == "regression_column":
        inputs["labels"] = rng.standard_normal((batch, 1)).astype(np.float32)
    elif kind in ("single_label", "preset_single"):
        inputs["labels"] = rng.integers(0, num_labels, size=batch)
    else:  # multi-label 0/1 indicators, or regression on several outputs
        inputs["labels"] = (rng.random((batch, num_labels)) < 0.5).astype(np.float32)
    actual, expected = run_both(model, reference, **inputs)
    assert_close(actual.logits, expected.logits, "sequence_classification logits")
    assert_close(actual.loss, expected.loss, "sequence_classification loss")
    assert model.config.problem_type == reference.config.problem_type


@given(config=small_configs(decoder=False), seed=st.integers(0, 2**16), data=st.data())
def test_multiple_choice_matches_reference(tmp_path_factory, config, seed, data):
    directory = tmp_path_factory.mktemp("mc")
    reference = reference_checkpoint(directory, transformers.XLMRobertaForMultipleChoice, config, seed=seed)
    model = load("XLMRobertaForMultipleChoice", directory)
    rng = np.random.default_rng(seed)
    choices = data.draw(st.integers(1, 4), label="choices")
    batch = data.draw(st.integers(1, 2), label="questions")
    flat = draw_batch(data, rng, config, max_chunks=8, batch=batch * choices)
    inputs = {key: value.reshape(batch, choices, -1) for key, value in flat.items()}  # (batch, choices, seq)
    inputs["labels"] = rng.integers(0, choices, size=batch)
    actual, expected = run_both(model, reference, **inputs)
    assert actual.logits.shape == (batch, choices)
    assert_close(actual.logits, expected.logits, "multiple_choice logits")
    assert_close(actual.loss, expected.loss, "multiple_choice loss")


@given(config=small_configs(decoder=False), num_labels=st.integers(1, 5), seed=st.integers(0, 2**16),
       data=st.data())
def test_token_classification_matches_reference(tmp_path_factory, config, num_labels, seed, data):
    config = {**config, "num_labels": num_labels}
    directory = tmp_path_factory.mktemp("tokcls")
    reference = reference_checkpoint(directory, transformers.XLMRobertaForTokenClassification, config,
                                     seed=seed)
    model = load("XLMRobertaForTokenClassification", directory)
    rng = np.random.default_rng(seed)
    inputs = draw_batch(data, rng, config)
    inputs["labels"] = token_labels(rng, inputs["input_ids"].shape, num_labels)
    actual, expected = run_both(model, reference, **inputs)
    assert_close(actual.logits, expected.logits, "token_classification logits")
    assert_close(actual.loss, expected.loss, "token_classification loss")


@given(config=small_configs(decoder=False), seed=st.integers(0, 2**16), data=st.data())
def test_question_answering_matches_reference(tmp_path_factory, config, seed, data):
    """Gold positions inside, at and beyond the window, and negative ones, as the reference clamps them."""
    directory = tmp_path_factory.mktemp("qa")
    reference = reference_checkpoint(directory, transformers.XLMRobertaForQuestionAnswering, config, seed=seed)
    model = load("XLMRobertaForQuestionAnswering", directory)
    rng = np.random.default_rng(seed)
    inputs = draw_batch(data, rng, config)
    batch, seq = inputs["input_ids"].shape
    inputs["start_positions"] = rng.integers(-2, seq + 3, size=batch)
    inputs["end_positions"] = rng.integers(0, seq + 3, size=(batch, 1))
    actual, expected = run_both(model, reference, **inputs)
    assert_close(actual.start_logits, expected.start_logits, "question_answering start_logits")
    assert_close(actual.end_logits, expected.end_logits, "question_answering end_logits")
    expected_loss = expected.loss.numpy()
    if np.isnan(expected_loss):  # every position ignored
        assert np.isnan(to_numpy(actual.loss))
    else:
        assert_close(actual.loss, expected.loss, "question_answering loss")


def test_all_ignored_labels_give_nan_as_reference(tmp_path):
    reference = reference_checkpoint(tmp_path, transformers.XLMRobertaForTokenClassification, SMALL)
    model = load("XLMRobertaForTokenClassification", tmp_path)
    ids = np.array([[0, 5, 6, 2]])
    labels = np.full((1, 4), -100)
    actual, expected = run_both(model, reference, input_ids=ids, labels=labels)
    assert np.isnan(expected.loss.numpy()) and np.isnan(actual.loss)


def test_return_dict_false_gives_the_reference_tuple_order(tmp_path):
    reference = reference_checkpoint(tmp_path, transformers.XLMRobertaForQuestionAnswering, SMALL)
    model = load("XLMRobertaForQuestionAnswering", tmp_path)
    inputs = dict(input_ids=np.array([[0, 5, 6, 2]]), start_positions=np.array([1]), end_positions=np.array([2]),
                  return_dict=False)
    actual, expected = run_both(model, reference, **inputs)
    assert len(actual) == len(expected) == 3
    for ours, theirs in zip(actual, expected):
        assert_close(ours, theirs, "question_answering tuple")


# -- tying the decoder to the word embeddings ------------------------------------------------------


@pytest.mark.parametrize("cls_name", ["XLMRobertaForMaskedLM", "XLMRobertaForCausalLM"])
def test_tied_decoder_round_trips_through_transformers(tmp_path, cls_name):
    """Saved by xlmr_np: one copy of the matrix, no decoder keys; transformers loads it tied,
    with the same logits, and its own save loads back tied."""
    config = XLMRobertaConfig(**SMALL, is_decoder=cls_name == "XLMRobertaForCausalLM")
    model = getattr(heads, cls_name)(config, seed=3)
    rng = np.random.default_rng(0)
    model.lm_head.bias[:] = rng.standard_normal(model.lm_head.bias.shape)  # visible in the logits
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    assert model.lm_head.decoder.bias is model.lm_head.bias
    model.save_pretrained(tmp_path / "ours")
    keys = set(load_file(tmp_path / "ours" / "model.safetensors"))
    assert "lm_head.decoder.weight" not in keys and "lm_head.decoder.bias" not in keys
    assert {"lm_head.bias", "roberta.embeddings.word_embeddings.weight"} <= keys
    assert json.loads((tmp_path / "ours" / "config.json").read_text())["architectures"] == [cls_name]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing or unexpected weights on either side
        theirs = getattr(transformers, cls_name).from_pretrained(tmp_path / "ours").eval()
    assert theirs.lm_head.decoder.weight is theirs.roberta.embeddings.word_embeddings.weight
    ids = rng.integers(3, 40, size=(2, 6))
    actual, expected = run_both(model, theirs, input_ids=ids)
    assert_close(actual.logits, expected.logits, "tied lm logits, loaded by transformers")

    theirs.save_pretrained(tmp_path / "theirs", safe_serialization=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load(cls_name, tmp_path / "theirs")
    assert again.lm_head.decoder.weight is again.roberta.embeddings.word_embeddings.weight
    assert_close(again(input_ids=ids).logits, expected.logits, "tied lm logits, reloaded by xlmr_np")


def test_untied_decoder_is_its_own_parameter(tmp_path):
    """tie_word_embeddings=False: the decoder weight is saved and loaded separately (the bias
    stays shared with lm_head.bias, as in the reference)."""
    config = XLMRobertaConfig(**SMALL, tie_word_embeddings=False)
    model = heads.XLMRobertaForMaskedLM(config, seed=4)
    assert model.lm_head.decoder.weight is not model.roberta.embeddings.word_embeddings.weight
    model.save_pretrained(tmp_path / "ours")
    keys = set(load_file(tmp_path / "ours" / "model.safetensors"))
    assert "lm_head.decoder.weight" in keys and "lm_head.decoder.bias" not in keys
    theirs = transformers.XLMRobertaForMaskedLM.from_pretrained(tmp_path / "ours").eval()
    assert theirs.lm_head.decoder.weight is not theirs.roberta.embeddings.word_embeddings.weight
    ids = np.random.default_rng(1).integers(3, 40, size=(2, 5))
    actual, expected = run_both(model, theirs, input_ids=ids)
    assert_close(actual.logits, expected.logits, "untied lm logits, loaded by transformers")


def test_tie_survives_backend_and_dtype_moves():
    model = heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL))
    ids = np.array([[0, 7, 8, 9, 2]])
    before = model(input_ids=ids).logits
    model.to("numpy", "float64")
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    assert model.lm_head.decoder.weight.dtype == np.float64 and model.roberta.dtype == "float64"
    after = model(input_ids=ids).logits
    assert after.dtype == np.float64
    np.testing.assert_allclose(after, before, atol=1e-5)
    model.roberta.embeddings.word_embeddings.weight[5] += 1.0  # one array: the decoder sees it too
    assert model.lm_head.decoder.weight[5, 0] == model.roberta.embeddings.word_embeddings.weight[5, 0]
    assert len(list(model.named_parameters())) == len({id(v) for _, v in model.named_parameters()})


# -- loading and saving every head -----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:.*does not use, ignored")  # the base checkpoint's pooler
@pytest.mark.parametrize("cls_name, head_prefix", HEAD_CLASSES)
def test_base_checkpoint_loads_with_fresh_head_and_a_warning(tmp_path, cls_name, head_prefix):
    base = reference_checkpoint(tmp_path, transformers.XLMRobertaModel, {**SMALL, "is_decoder": "Causal" in cls_name})
    with pytest.warns(UserWarning, match="newly initialised") as caught:
        model = load(cls_name, tmp_path, seed=7)
    message = " ".join(str(w.message) for w in caught if "newly initialised" in str(w.message))
    assert head_prefix in message
    assert "roberta.embeddings" not in message and "encoder.layer" not in message
    word = model.roberta.embeddings.word_embeddings.weight
    np.testing.assert_array_equal(word, base.embeddings.word_embeddings.weight.detach().numpy())
    for key, value in model.named_parameters():
        if key.startswith(head_prefix) and key.endswith("weight") and "norm" not in key:
            assert 0.005 < float(np.std(value)) < 0.05, key  # drawn with initializer_range 0.02
    with pytest.warns(UserWarning, match="newly initialised"):
        again = load(cls_name, tmp_path, seed=7)  # the seed fixes the new weights
    for (key, a), (_, b) in zip(model.named_parameters(), again.named_parameters()):
        np.testing.assert_array_equal(a, b, err_msg=key)


@pytest.mark.parametrize("cls_name, head_prefix", HEAD_CLASSES)
def test_saved_head_model_loads_in_transformers(tmp_path, cls_name, head_prefix):
    """xlmr_np save_pretrained -> transformers from_pretrained of the same class -> same outputs,
    and transformers' own checkpoint -> xlmr_np -> same outputs."""
    config = XLMRobertaConfig(**SMALL, num_labels=2, is_decoder="Causal" in cls_name)
    model = getattr(heads, cls_name)(config, seed=11)
    model.save_pretrained(tmp_path / "ours", max_shard_size="20KB")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theirs = getattr(transformers, cls_name).from_pretrained(tmp_path / "ours").eval()
    rng = np.random.default_rng(2)
    ids = rng.integers(3, 40, size=(2, 5))
    if cls_name == "XLMRobertaForMultipleChoice":
        ids = rng.integers(3, 40, size=(2, 3, 5))
    actual, expected = run_both(model, theirs, input_ids=ids)
    field = "start_logits" if "Question" in cls_name else "logits"
    assert_close(actual[field], expected[field], f"{cls_name} saved by xlmr_np")
    theirs.save_pretrained(tmp_path / "theirs", safe_serialization=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = load(cls_name, tmp_path / "theirs")
    assert_close(back(input_ids=ids)[field], expected[field], f"{cls_name} saved by transformers")


def test_warnings_for_the_wrong_decoder_setting():
    with pytest.warns(UserWarning, match="is_decoder=True"):
        heads.XLMRobertaForCausalLM(XLMRobertaConfig(**SMALL))
    with pytest.warns(UserWarning, match="is_decoder=False"):
        heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL, is_decoder=True))


def test_question_answering_needs_two_labels():
    from xlmr_np import ConfigError
    with pytest.raises(ConfigError, match="num_labels=2"):
        heads.XLMRobertaForQuestionAnswering(XLMRobertaConfig(**SMALL, num_labels=3))


def test_dropout_in_heads_is_seeded_and_eval_is_deterministic():
    config = XLMRobertaConfig(**SMALL, num_labels=3, classifier_dropout=0.5)
    model = heads.XLMRobertaForSequenceClassification(config)
    ids = np.array([[0, 5, 6, 7, 2]])
    a, b = model.train(seed=1)(input_ids=ids).logits, model.train(seed=1)(input_ids=ids).logits
    np.testing.assert_array_equal(a, b)
    assert model.classifier.dropout.p == 0.5
    np.testing.assert_array_equal(model.eval()(input_ids=ids).logits, model(input_ids=ids).logits)
    assert not np.allclose(a, model(input_ids=ids).logits)


# -- bad labels ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models():
    def config(name):
        return XLMRobertaConfig(**SMALL, num_labels=2 if "Question" in name else 3, is_decoder="Causal" in name)
    return {name: getattr(heads, name)(config(name)) for name, _ in HEAD_CLASSES}


IDS = np.array([[0, 5, 6, 2], [0, 7, 2, 1]])


@pytest.mark.parametrize("cls_name, kwargs, words", [
    ("XLMRobertaForMaskedLM", dict(labels=np.zeros((2, 3), np.int64)), ["labels has shape (2, 3)", "(2, 4)"]),
    ("XLMRobertaForMaskedLM", dict(labels=np.full((2, 4), 40)), ["id 40", "(0, 0)", "vocab_size=40", "-100"]),
    ("XLMRobertaForMaskedLM", dict(labels=np.full((2, 4), -5)), ["id -5"]),
    ("XLMRobertaForMaskedLM", dict(labels=np.zeros((2, 4), np.float32)), ["integers", "float32"]),
    ("XLMRobertaForCausalLM", dict(labels=[[0, 5, 6, 2], [0, 7, 2, 99]]), ["id 99", "(1, 3)"]),
    ("XLMRobertaForTokenClassification", dict(labels=[[0, 1, 2, 3], [0, 0, 0, 0]]),
     ["id 3", "(0, 3)", "num_labels=3"]),
    ("XLMRobertaForTokenClassification", dict(labels=np.zeros((2, 4), np.float64)), ["integers", "float64"]),
    ("XLMRobertaForSequenceClassification", dict(labels=np.array([0, 3])), ["id 3", "num_labels=3"]),
    ("XLMRobertaForSequenceClassification", dict(labels=np.array([0, 1, 2])), ["labels has shape (3,)"]),
    ("XLMRobertaForSequenceClassification", dict(labels=np.zeros((2, 2), np.float32)),
     ["labels has shape (2, 2)", "(2, 3)"]),
    ("XLMRobertaForQuestionAnswering", dict(start_positions=np.array([0.5, 1.0]), end_positions=np.array([1, 2])),
     ["start_positions", "integers"]),
    ("XLMRobertaForQuestionAnswering", dict(start_positions=np.array([1, 2, 3]), end_positions=np.array([1, 2])),
     ["start_positions has shape (3,)"]),
])
def test_bad_labels_name_the_problem(models, cls_name, kwargs, words):
    with pytest.raises(InputError) as error:
        models[cls_name](input_ids=IDS, **kwargs)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_bad_multiple_choice_labels(models):
    model = models["XLMRobertaForMultipleChoice"]
    ids = np.stack([IDS, IDS, IDS], axis=1)  # (2, 3, 4)
    with pytest.raises(InputError, match="id 3 at position .* num_choices=3"):
        model(input_ids=ids, labels=np.array([0, 3]))
    with pytest.raises(InputError, match="3-D"):
        model(input_ids=IDS)
    with pytest.raises(InputError, match=r"num_choices >= 1, seq\), got shape \(2, 0, 4\)"):
        model(input_ids=np.zeros((2, 0, 4), np.int64))


def test_rejected_labels_leave_problem_type_unset(models):
    model = models["XLMRobertaForSequenceClassification"]
    with pytest.raises(InputError):
        model(input_ids=IDS, labels=np.array([0, 7]))
    assert model.config.problem_type is None


def test_multi_label_needs_float_labels(models):
    model = models["XLMRobertaForSequenceClassification"]
    model.config.problem_type = "multi_label_classification"
    try:
        with pytest.raises(InputError, match="must be floats"):
            model(input_ids=IDS, labels=np.zeros((2, 3), np.int8))
    finally:
        model.config.problem_type = None


def assert_nested_close(actual, expected, what):
    """Tuples of arrays (hidden states, attentions, a cache of per-layer tuples) item by item."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), (what, len(actual), len(expected))
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_nested_close(a, e, f"{what}[{index}]")
    else:
        assert_close(actual, to_numpy(expected), what)


@pytest.mark.parametrize("cls_name", [name for name, _ in HEAD_CLASSES])
def test_five_dimensional_head_mask_through_every_head_matches_reference(tmp_path, cls_name):
    """Every task model hands head_mask to the encoder as is: a 5-D (layers, batch, heads, queries,
    keys) mask, whose batch axis for multiple choice is the flattened batch * choices, as in the
    reference; the attentions returned are the masked probabilities."""
    config = dict(SMALL, is_decoder=cls_name == "XLMRobertaForCausalLM")
    reference = reference_checkpoint(tmp_path, getattr(transformers, cls_name), config)
    model = load(cls_name, tmp_path)
    rng = np.random.default_rng(8)
    ids, mask = random_batch(rng, 4, 6, config["vocab_size"], padding="left")
    inputs = dict(input_ids=ids, attention_mask=mask, output_attentions=True)
    if cls_name == "XLMRobertaForMultipleChoice":  # 2 questions x 2 choices, run as a batch of 4
        inputs.update(input_ids=ids.reshape(2, 2, 6), attention_mask=mask.reshape(2, 2, 6))
    inputs["head_mask"] = np.where(rng.random((2, 4, 2, 6, 6)) < 0.3, 0.0, rng.random((2, 4, 2, 6, 6)))
    actual, expected = run_both(model, reference, **inputs)
    for field in ("logits", "start_logits", "end_logits"):
        if field in expected:
            assert_close(actual[field], expected[field], f"{cls_name} {field} with a 5-D head_mask")
    assert_close(actual.attentions, expected.attentions, f"{cls_name} attentions with a 5-D head_mask")
    if cls_name == "XLMRobertaForMultipleChoice":
        with pytest.raises(InputError, match=r"batch=4"):  # the mask's batch axis must be batch * choices
            model(**{**inputs, "head_mask": np.ones((2, 2, 2, 6, 6))})


@pytest.mark.filterwarnings("ignore:If you want to use XLMRobertaForMaskedLM")  # the decoder config, on purpose
@pytest.mark.parametrize("cls_name", [name for name, _ in HEAD_CLASSES])
def test_tuple_outputs_of_a_decoder_config_match_reference(tmp_path, cls_name):
    """return_dict=False gives the reference's tuple: loss, the head's outputs, then the encoder's
    cache (a decoder config caches by default, even for a classifier), hidden states, attentions."""
    config = dict(SMALL, is_decoder=True, num_labels=2 if "QuestionAnswering" in cls_name else 3)
    reference = reference_checkpoint(tmp_path, getattr(transformers, cls_name), config)
    model = load(cls_name, tmp_path)
    rng = np.random.default_rng(7)
    ids, mask = random_batch(rng, 2, 6, config["vocab_size"])
    inputs = dict(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True,
                  return_dict=False)
    if cls_name == "XLMRobertaForMultipleChoice":
        inputs.update(input_ids=np.stack([ids, ids[::-1]]), attention_mask=np.stack([mask, mask[::-1]]),
                      labels=np.array([0, 1]))
    elif cls_name == "XLMRobertaForQuestionAnswering":
        inputs.update(start_positions=np.array([1, 2]), end_positions=np.array([3, 9]))
    elif cls_name == "XLMRobertaForSequenceClassification":
        inputs.update(labels=np.array([0, 2]))
    elif cls_name != "XLMRobertaForCausalLM":  # causal LM: no labels, so the cache is kept
        inputs.update(labels=token_labels(rng, ids.shape, 3 if "Token" in cls_name else config["vocab_size"]))
    actual, expected = run_both(model, reference, **inputs)
    assert isinstance(actual, tuple)
    assert_nested_close(actual, expected, f"{cls_name} tuple")
