"""Hostile config.json files and model inputs: refused with a ConfigError / InputError that says why.

Config: wrong types, NaN/inf, nested garbage, duplicate keys, absurd sizes (refused from the
parameter estimate before anything is allocated). Inputs: NaN/inf in float inputs are refused
by name; NaN/inf produced inside the model (float16 overflow, broken weights) are reported with
the layer where they first appear instead of being returned.
"""

import json
import math
import tracemalloc

import numpy as np
import pytest

import xlmr_np
from xlmr_np import ConfigError, InputError, XLMRobertaConfig
from xlmr_np.configuration import MAX_PARAMETER_BYTES

SMALL = dict(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
             intermediate_size=32, max_position_embeddings=32, type_vocab_size=1, layer_norm_eps=1e-5)
IDS = np.array([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]])


def write_config(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def load(tmp_path, **changes):
    values = dict(SMALL, model_type="xlm-roberta")
    values.update(changes)
    return XLMRobertaConfig.from_json_file(write_config(tmp_path, json.dumps(values)))


# -- config.json ------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value, words", [
    ("vocab_size", 10**12, ["vocab_size", "1000000000000"]),
    ("hidden_size", "768", ["hidden_size", "integer"]),
    ("num_hidden_layers", 2.0, ["num_hidden_layers", "integer"]),
    ("num_attention_heads", True, ["num_attention_heads", "integer"]),
    ("layer_norm_eps", float("nan"), ["layer_norm_eps", "finite"]),
    ("layer_norm_eps", float("inf"), ["layer_norm_eps", "finite"]),
    ("initializer_range", float("-inf"), ["initializer_range", "finite"]),
    ("hidden_dropout_prob", float("nan"), ["hidden_dropout_prob"]),
    ("classifier_dropout", "0.1", ["classifier_dropout", "number"]),
    ("hidden_act", ["gelu"], ["hidden_act", "string"]),
    ("hidden_act", {"name": "gelu"}, ["hidden_act"]),
    ("position_embedding_type", {"a": [1]}, ["position_embedding_type"]),
    ("id2label", [1, 2], ["id2label", "object"]),
    ("id2label", {"one": "A"}, ["id2label", "not integers"]),
    ("id2label", {"1e400": "A"}, ["id2label"]),
    ("id2label", {"0": "A", "5": "B"}, ["id2label", "keys 0..1", "[0, 5]"]),  # pipelines read id2label[1]
    ("label2id", "LABEL_0", ["label2id", "object"]),
    ("num_labels", 10**12, ["num_labels"]),
    ("num_labels", "3", ["num_labels"]),
    ("pruned_heads", {"0": 1}, ["pruned_heads"]),
    ("pruned_heads", {"x": [0]}, ["pruned_heads"]),
    ("pruned_heads", [[0]], ["pruned_heads"]),
    ("is_decoder", "yes", ["is_decoder", "true or false"]),
    ("pad_token_id", 1.5, ["pad_token_id"]),
    # Found by scripts/fuzz.py: accepted, then a TypeError in the first forward.
    ("pad_token_id", None, ["pad_token_id is null"]),
    ("use_cache", None, ["use_cache"]),
])
def test_wrong_types_and_values_are_refused(tmp_path, field, value, words):
    with pytest.raises(ConfigError) as error:
        load(tmp_path, **{field: value})
    for word in words:
        assert word in str(error.value), str(error.value)
    assert "config.json" in str(error.value)


@pytest.mark.parametrize("sizes", [
    dict(hidden_size=10**6, num_hidden_layers=10**4, num_attention_heads=1),
    dict(hidden_size=2**16, num_attention_heads=1, vocab_size=2**20),
    dict(hidden_size=4096, num_attention_heads=32, intermediate_size=2**24, num_hidden_layers=64),
    dict(hidden_size=8192, num_attention_heads=64, max_position_embeddings=2**26, pad_token_id=1),
])
def test_absurd_sizes_are_refused_before_allocating(tmp_path, sizes):
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as error:
            load(tmp_path, **sizes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"refusing took {peak} bytes"
    message = str(error.value)
    assert "GiB" in message and f"{MAX_PARAMETER_BYTES // 2**30} GiB limit" in message
    for field, value in sizes.items():
        if field in ("hidden_size", "vocab_size", "num_hidden_layers", "intermediate_size"):
            assert f"{field}={value}" in message


def test_real_large_configs_still_load():
    """xlm-roberta-large (560M parameters) and the 10.7B XLM-R XXL are inside the limit."""
    large = XLMRobertaConfig(vocab_size=250002, hidden_size=1024, num_hidden_layers=24,
                             num_attention_heads=16, intermediate_size=4096, max_position_embeddings=514)
    assert 5.5e8 < large.parameter_estimate() < 5.8e8
    xxl = XLMRobertaConfig(vocab_size=250880, hidden_size=4096, num_hidden_layers=48, num_attention_heads=32,
                           intermediate_size=16384, max_position_embeddings=514)
    assert 1.0e10 < xxl.parameter_estimate() < 1.1e10


def test_parameter_estimate_matches_a_real_model():
    for extra in ({}, {"position_embedding_type": "relative_key"},
                  {"is_decoder": True, "add_cross_attention": True}):
        config = XLMRobertaConfig(**SMALL, **extra)
        actual = xlmr_np.XLMRobertaModel(config).num_parameters()
        assert actual <= config.parameter_estimate() <= actual * 1.2, extra


@pytest.mark.parametrize("text, words", [
    (b"\xff\xfe{}", ["UTF-8"]),
    ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
    ('{"vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "x": '
     + "[" * 50_000 + "]" * 50_000 + "}", ["nested too deeply"]),
    ('{"vocab_size": 50, "vocab_size": 60}', ["'vocab_size'", "twice"]),
    ('{"id2label": {"0": "a", "0": "b"}}', ["'0'", "twice"]),
    ("[1, 2]", ["JSON object"]),
    ('{"vocab_size": 50', ["not valid JSON"]),
    ("", ["not valid JSON"]),
    ('{"vocab_size": NaN, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}',
     ["vocab_size", "integer"]),
    ('{"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2}', ["misses", "vocab_size"]),
    ('{"vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, '
     '"model_type": ["bert"]}', ["model_type"]),
    ('{"vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "self": 1}',
     ["self"]),
])
def test_garbage_files_are_refused(tmp_path, text, words):
    with pytest.raises(ConfigError) as error:
        XLMRobertaConfig.from_json_file(write_config(tmp_path, text))
    for word in words:
        assert word in str(error.value), str(error.value)


def test_huge_config_file_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr("xlmr_np.configuration.MAX_CONFIG_BYTES", 1000)
    with pytest.raises(ConfigError, match="larger than 1000 bytes"):
        XLMRobertaConfig.from_json_file(write_config(tmp_path, " " * 2000 + "{}"))


def test_overrides_and_setters_are_checked(tmp_path):
    write_config(tmp_path, json.dumps(SMALL))
    with pytest.raises(ConfigError, match="layer_norm_eps"):
        XLMRobertaConfig.from_pretrained(tmp_path, layer_norm_eps=float("nan"))
    config = XLMRobertaConfig(**SMALL)
    with pytest.raises(ConfigError, match="num_labels"):
        config.num_labels = 10**12
    with pytest.raises(ConfigError, match="hidden_act"):
        XLMRobertaConfig(**SMALL, hidden_act=["gelu"])


def test_unknown_keys_are_kept_even_odd_ones(tmp_path):
    config = load(tmp_path, custom={"nested": [1, {"a": None}]}, architectures=["XLMRobertaModel"])
    assert config.extra["custom"] == {"nested": [1, {"a": None}]}
    assert json.loads(config.to_json_string())["custom"] == {"nested": [1, {"a": None}]}


# -- model inputs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model():
    return xlmr_np.XLMRobertaModel(XLMRobertaConfig(**SMALL), seed=0)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_embeds_are_refused(model, value):
    embeds = np.zeros((2, 5, 16), np.float32)
    embeds[1, 3, 7] = value
    with pytest.raises(InputError) as error:
        model(inputs_embeds=embeds)
    assert "inputs_embeds" in str(error.value) and "(1, 3, 7)" in str(error.value)


def test_values_beyond_float16_range_are_refused_with_a_hint():
    model = xlmr_np.XLMRobertaModel(XLMRobertaConfig(**SMALL)).to("numpy", dtype="float16")
    embeds = np.zeros((1, 3, 16), np.float32)
    embeds[0, 1, 2] = 1e6
    with np.errstate(over="ignore"), pytest.raises(InputError, match=r"inputs_embeds.*\(0, 1, 2\).*65504"):
        model(inputs_embeds=embeds)


def test_non_finite_masks_and_encoder_states_are_refused():
    config = XLMRobertaConfig(**SMALL, is_decoder=True, add_cross_attention=True)
    decoder = xlmr_np.XLMRobertaModel(config)
    states = np.zeros((2, 4, 16), np.float32)
    decoder(IDS, encoder_hidden_states=states)
    states[0, 2, 5] = np.nan
    with pytest.raises(InputError, match=r"encoder_hidden_states.*\(0, 2, 5\)"):
        decoder(IDS, encoder_hidden_states=states)
    with pytest.raises(InputError, match="encoder_attention_mask"):
        decoder(IDS, encoder_hidden_states=np.zeros((2, 4, 16)),
                encoder_attention_mask=np.array([[1, 1, np.nan, 1], [1, 1, 1, 1]]))
    with pytest.raises(InputError, match="attention_mask"):
        decoder(IDS, attention_mask=np.array([[1, np.inf, 1, 1, 1], [1, 1, 1, 0, 0]]))
    with pytest.raises(InputError, match="head_mask"):
        decoder(IDS, head_mask=np.array([1.0, np.nan]))


def test_broken_weights_name_the_layer():
    model = xlmr_np.XLMRobertaModel(XLMRobertaConfig(**SMALL), seed=0)
    weight = np.array(model.encoder.layer[1].attention.output.dense.weight)
    weight[3, 4] = np.nan
    model.encoder.layer[1].attention.output.dense.weight = weight
    with np.errstate(invalid="ignore"), pytest.raises(InputError, match="encoder layer 1 .of 3"):
        model(IDS)
    with np.errstate(invalid="ignore"), pytest.raises(InputError, match="encoder layer 1 .of 3"):
        model(IDS, output_hidden_states=True)
    table = np.array(model.embeddings.word_embeddings.weight)
    table[6, 0] = np.inf
    model.embeddings.word_embeddings.weight = table
    with np.errstate(invalid="ignore"), pytest.raises(InputError, match="embeddings output"):
        model(IDS)
    model.check_finite = False
    with np.errstate(invalid="ignore"):
        assert np.isnan(model(IDS).last_hidden_state).any()


def test_float16_overflow_names_the_layer():
    """Weights that are fine in float32 but overflow float16 in layer 2's feed-forward."""
    model = xlmr_np.XLMRobertaModel(XLMRobertaConfig(**SMALL), seed=0)
    layer = model.encoder.layer[2]
    for dense in (layer.intermediate.dense, layer.output.dense):
        dense.weight = np.array(dense.weight) * 3000.0
    reference = model(IDS).last_hidden_state
    assert np.isfinite(reference).all(), "finite in float32"
    half = model.to("numpy", dtype="float16")
    assert np.isfinite(half.encoder.layer[2].output.dense.weight).all()
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(InputError, match=r"encoder layer 2 .*float16 overflows.*dtype=.float32."):
        half(IDS)


def test_finite_outputs_are_untouched(model):
    output = model(IDS, attention_mask=(IDS != 1).astype(np.int64))
    assert np.isfinite(output.last_hidden_state).all()
    assert math.isfinite(float(output.pooler_output.sum()))
