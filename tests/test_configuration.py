"""XLMRobertaConfig: reading and writing config.json as transformers does, and validation."""

import json

import pytest
from transformers import XLMRobertaConfig as ReferenceConfig

from xlmr_np import ConfigError, XLMRobertaConfig


def test_defaults_equal_the_reference_class():
    ours = XLMRobertaConfig().to_dict()
    theirs = json.loads(ReferenceConfig().to_json_string(use_diff=False))
    for key, value in ours.items():
        if key in theirs:
            assert theirs[key] == value, key


def test_round_trip_with_transformers_keeps_unknown_keys(tmp_path):
    reference = ReferenceConfig(vocab_size=123, hidden_size=24, num_attention_heads=3,
                                position_embedding_type="relative_key", id2label={0: "neg", 1: "pos", 2: "mid"},
                                problem_type="single_label_classification", my_custom_field=[1, 2])
    reference.save_pretrained(tmp_path)
    ours = XLMRobertaConfig.from_pretrained(tmp_path)
    assert ours.vocab_size == 123 and ours.num_labels == 3 and ours.id2label[2] == "mid"
    assert ours.label2id == {"neg": 0, "pos": 1, "mid": 2}
    assert ours.extra["my_custom_field"] == [1, 2]
    out = tmp_path / "ours"
    ours.save_pretrained(out)
    again = ReferenceConfig.from_pretrained(out)
    for key in ("vocab_size", "hidden_size", "position_embedding_type", "id2label", "problem_type",
                "my_custom_field", "layer_norm_eps"):
        assert getattr(again, key) == getattr(reference, key), key
    assert XLMRobertaConfig.from_pretrained(out) == ours


@pytest.mark.parametrize("kwargs, words", [
    (dict(hidden_size=30, num_attention_heads=4), ["hidden_size=30", "num_attention_heads=4"]),
    (dict(hidden_act="gelu_bogus"), ["gelu_bogus", "gelu_new", "relu"]),
    (dict(position_embedding_type="rotary"), ["rotary", "relative_key_query"]),
    (dict(vocab_size=10**12), ["vocab_size", "1000000000000"]),
    (dict(vocab_size="big"), ["vocab_size", "integer"]),
    (dict(hidden_dropout_prob=1.5), ["hidden_dropout_prob"]),
    (dict(layer_norm_eps=0.0), ["layer_norm_eps"]),
    (dict(add_cross_attention=True), ["is_decoder"]),
    (dict(pad_token_id=40000), ["pad_token_id=40000", "vocab_size"]),
    (dict(problem_type="ranking"), ["ranking"]),
])
def test_invalid_values_name_the_problem(kwargs, words):
    with pytest.raises(ConfigError) as error:
        XLMRobertaConfig(**kwargs)
    for word in words:
        assert word in str(error.value)


def test_bad_files_are_clear_errors(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        XLMRobertaConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"vocab_size": 10}))
    with pytest.raises(ConfigError, match="hidden_size, num_hidden_layers, num_attention_heads"):
        XLMRobertaConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        XLMRobertaConfig.from_pretrained(tmp_path)
    with pytest.raises(ConfigError, match="cannot read"):
        XLMRobertaConfig.from_pretrained(tmp_path / "absent")
