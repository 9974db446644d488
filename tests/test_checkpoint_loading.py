"""Checkpoint layouts real models come in, and save_pretrained read back by transformers."""

import json
import warnings

import numpy as np
import pytest
import torch
from transformers import XLMRobertaForMaskedLM as ReferenceMaskedLM
from transformers import XLMRobertaModel as ReferenceModel

import xlmr_np
from reference import assert_close, reference_checkpoint
from xlmr_np import CheckpointError
from xlmr_np.checkpoint.safetensors_io import float32_to_bfloat16, load_file, save_file
from xlmr_np.nn import Linear

CONFIG = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
              intermediate_size=24, max_position_embeddings=24, type_vocab_size=1, layer_norm_eps=1e-5)
IDS = np.array([[0, 5, 7, 9, 2, 1], [0, 11, 12, 2, 1, 1]])
MASK = (IDS != 1).astype(np.int64)


def reference_hidden(model):
    with torch.no_grad():
        output = model(torch.tensor(IDS), attention_mask=torch.tensor(MASK))
    return output.last_hidden_state if hasattr(output, "last_hidden_state") else output.hidden_states[-1]


@pytest.fixture(scope="module")
def base_checkpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("base")
    return directory, reference_checkpoint(directory, ReferenceModel, CONFIG)


def test_save_pretrained_loads_in_transformers_with_identical_outputs(base_checkpoint, tmp_path):
    directory, reference = base_checkpoint
    ours = xlmr_np.XLMRobertaModel.from_pretrained(directory)
    ours.save_pretrained(tmp_path)
    reloaded = ReferenceModel.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        expected = reference(torch.tensor(IDS), attention_mask=torch.tensor(MASK))
        again = reloaded(torch.tensor(IDS), attention_mask=torch.tensor(MASK))
    np.testing.assert_array_equal(again.last_hidden_state.numpy(), expected.last_hidden_state.numpy())
    np.testing.assert_array_equal(again.pooler_output.numpy(), expected.pooler_output.numpy())


def test_fresh_model_saves_and_loads_in_transformers(tmp_path):
    config = xlmr_np.XLMRobertaConfig(**CONFIG)
    ours = xlmr_np.XLMRobertaModel(config, seed=3)
    weights = ours.embeddings.word_embeddings.weight
    assert abs(float(weights.std()) - config.initializer_range) < 0.003
    assert not weights[config.pad_token_id].any(), "padding row starts at zero"
    ours.save_pretrained(tmp_path)
    reference = ReferenceModel.from_pretrained(tmp_path).eval()
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, reference_hidden(reference),
                 "fresh model reloaded by transformers")
    np.testing.assert_array_equal(xlmr_np.XLMRobertaModel(config, seed=3).embeddings.word_embeddings.weight,
                                  weights)


def test_head_checkpoint_loads_into_base_model(tmp_path):
    """A masked-LM checkpoint (``roberta.`` prefix, no pooler) loads into the bare encoder: the
    pooler is initialised with a warning, the LM head is reported unused."""
    reference = reference_checkpoint(tmp_path, ReferenceMaskedLM, CONFIG)
    with pytest.warns(UserWarning) as records:
        ours = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    messages = " ".join(str(r.message) for r in records)
    assert "pooler.dense.weight" in messages and "lm_head.dense.weight" in messages
    with torch.no_grad():
        expected = reference.roberta(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).last_hidden_state
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, expected, "masked-LM checkpoint in base model")


def test_legacy_layernorm_names_and_buffers(base_checkpoint, tmp_path):
    directory, reference = base_checkpoint
    tensors = {key: np.array(value) for key, value in load_file(directory / "model.safetensors").items()}
    legacy = {}
    for key, value in tensors.items():
        key = key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        legacy["roberta." + key] = value
    legacy["roberta.embeddings.position_ids"] = np.arange(24, dtype=np.int64)[None]
    save_file(legacy, tmp_path / "model.safetensors", {"format": "pt"})
    (tmp_path / "config.json").write_text((directory / "config.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing unexpected: the buffer is silently skipped
        ours = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, reference_hidden(reference), "legacy names")


@pytest.mark.parametrize("precision", ["float16", "bfloat16"])
def test_half_precision_checkpoints_load_as_float32(tmp_path, precision):
    torch_dtype = getattr(torch, precision)
    reference = reference_checkpoint(tmp_path / "f32", ReferenceModel, CONFIG).to(torch_dtype)
    reference.save_pretrained(tmp_path / "half", safe_serialization=True)
    ours = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path / "half")
    assert ours.embeddings.word_embeddings.weight.dtype == np.float32
    # Reference: the same half-precision weights widened to float32 and run in float32.
    widened = ReferenceModel.from_pretrained(tmp_path / "half", torch_dtype=torch.float32).eval()
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, reference_hidden(widened),
                 f"{precision} checkpoint")


def test_bfloat16_conversion_rounds_like_torch():
    values = np.random.default_rng(0).standard_normal(10001).astype(np.float32) * 100
    expected = torch.tensor(values).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(float32_to_bfloat16(values), expected)


def test_sharded_checkpoints_both_ways(base_checkpoint, tmp_path):
    directory, reference = base_checkpoint
    ours = xlmr_np.XLMRobertaModel.from_pretrained(directory)
    ours.save_pretrained(tmp_path / "ours", max_shard_size="4KB")
    index = json.loads((tmp_path / "ours" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 2
    assert_close(reference_hidden(ReferenceModel.from_pretrained(tmp_path / "ours").eval()),
                 reference_hidden(reference), "sharded by xlmr_np, loaded by transformers")
    reference.save_pretrained(tmp_path / "theirs", safe_serialization=True, max_shard_size="4KB")
    again = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path / "theirs")
    assert_close(again(IDS, attention_mask=MASK).last_hidden_state, reference_hidden(reference),
                 "sharded by transformers")


def test_single_safetensors_file(base_checkpoint):
    directory, reference = base_checkpoint
    ours = xlmr_np.XLMRobertaModel.from_pretrained(directory / "model.safetensors")
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, reference_hidden(reference), "single file")


def test_float32_checkpoints_are_memory_mapped(base_checkpoint):
    directory, _ = base_checkpoint
    ours = xlmr_np.XLMRobertaModel.from_pretrained(directory)
    weight = ours.embeddings.word_embeddings.weight
    assert not weight.flags.owndata and not weight.flags.writeable


def test_missing_and_misshapen_tensors_are_named(base_checkpoint, tmp_path):
    directory, _ = base_checkpoint
    tensors = {key: np.array(value) for key, value in load_file(directory / "model.safetensors").items()}
    (tmp_path / "config.json").write_text((directory / "config.json").read_text())
    partial = dict(tensors)
    del partial["encoder.layer.1.output.dense.weight"]
    save_file(partial, tmp_path / "model.safetensors", {"format": "pt"})
    with pytest.raises(CheckpointError, match="encoder.layer.1.output.dense.weight"):
        xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)
    wrong = dict(tensors)
    wrong["encoder.layer.0.attention.self.query.weight"] = np.zeros((16, 8), np.float32)
    save_file(wrong, tmp_path / "model.safetensors", {"format": "pt"})
    with pytest.raises(CheckpointError, match=r"query.weight.*\(16, 8\).*\(16, 16\)"):
        xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)


def test_missing_files_are_clear(tmp_path):
    with pytest.raises(CheckpointError, match="neither a directory nor a file"):
        xlmr_np.XLMRobertaModel.from_pretrained(tmp_path / "nowhere", config=xlmr_np.XLMRobertaConfig())
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        xlmr_np.XLMRobertaModel.from_pretrained(tmp_path, config=xlmr_np.XLMRobertaConfig(**CONFIG))


def test_save_pretrained_refuses_a_file_and_a_bad_shard_size_before_writing(tmp_path):
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG))
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(CheckpointError, match="a_file' is a file; save_pretrained needs a directory"):
        model.save_pretrained(tmp_path / "a_file")
    with pytest.raises(xlmr_np.ConfigError, match="is a file"):
        model.config.save_pretrained(tmp_path / "a_file")
    for size in ("lots", "0GB", 0, -5, "inf"):
        with pytest.raises(xlmr_np.InputError, match=f"max_shard_size={size!r} is not a size"):
            model.save_pretrained(tmp_path / "sharded", max_shard_size=size)
    assert not (tmp_path / "sharded").exists()
    model.save_pretrained(tmp_path / "sharded", max_shard_size="1.5KiB")
    assert len(set(json.loads((tmp_path / "sharded" / "model.safetensors.index.json").read_text())
                   ["weight_map"].values())) > 2


def test_lm_head_bias_saved_under_the_decoder_name(tmp_path):
    """Older masked-LM checkpoints carry the shared bias as lm_head.decoder.bias only."""
    reference = reference_checkpoint(tmp_path / "new", ReferenceMaskedLM, CONFIG)
    tensors = {key: np.array(value) for key, value in load_file(tmp_path / "new" / "model.safetensors").items()}
    tensors["lm_head.decoder.bias"] = tensors.pop("lm_head.bias")
    (tmp_path / "old").mkdir()
    save_file(tensors, tmp_path / "old" / "model.safetensors", {"format": "pt"})
    (tmp_path / "old" / "config.json").write_text((tmp_path / "new" / "config.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing re-initialised, nothing unused
        ours = xlmr_np.XLMRobertaForMaskedLM.from_pretrained(tmp_path / "old")
    with torch.no_grad():
        expected = reference(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).logits
    assert_close(ours(IDS, attention_mask=MASK).logits, expected, "masked LM with decoder.bias key")


def test_linear_weights_are_copied_into_fortran_order(base_checkpoint):
    """On the CPU every Linear weight is an own Fortran-order copy with the checkpoint's exact
    values (``lay_out_linear_weights``); outputs equal those of row-major weights."""
    directory, _ = base_checkpoint
    tensors = load_file(directory / "model.safetensors")
    ours = xlmr_np.XLMRobertaModel.from_pretrained(directory)
    linears = {path: module for path, module in ours.named_modules() if isinstance(module, Linear)}
    assert len(linears) == 2 * 6 + 1  # six per layer and the pooler
    for path, linear in linears.items():
        assert linear.weight.flags.f_contiguous and linear.weight.flags.owndata, path
        np.testing.assert_array_equal(linear.weight, tensors[f"{path}.weight"], err_msg=path)
    laid_out = ours(IDS, attention_mask=MASK).last_hidden_state
    packed = ours.encode_batch(IDS, attention_mask=MASK).last_hidden_state  # fused QKV weight in Fortran order
    for linear in linears.values():
        linear.weight = np.ascontiguousarray(linear.weight)
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, laid_out, "row-major vs Fortran-order weights",
                 atol=1e-6, rtol=0)
    assert_close(ours.encode_batch(IDS, attention_mask=MASK).last_hidden_state, packed,
                 "encode_batch, row-major vs Fortran-order weights", atol=1e-6, rtol=0)


def test_layout_keeps_the_tied_decoder_and_survives_moves_and_pruning(tmp_path):
    reference_checkpoint(tmp_path, ReferenceMaskedLM, CONFIG)
    model = xlmr_np.XLMRobertaForMaskedLM.from_pretrained(tmp_path)
    embeddings = model.roberta.embeddings.word_embeddings.weight
    assert model.lm_head.decoder.weight is embeddings and embeddings.flags.c_contiguous  # rows for lookups
    assert model.lm_head.dense.weight.flags.f_contiguous
    model.to("numpy", dtype="float64")
    assert model.lm_head.dense.weight.flags.f_contiguous
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    model.prune_heads({0: [1]})
    query = model.roberta.encoder.layer[0].attention.self.query.weight
    assert query.shape == (8, 16) and query.flags.f_contiguous
    fresh = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**CONFIG))
    assert fresh.encoder.layer[1].intermediate.dense.weight.flags.f_contiguous
