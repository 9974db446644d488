# %% [markdown]
# # 07 · Loading a checkpoint, and what the keys mean
#
# A Hugging Face checkpoint is a folder with `config.json` (the sizes) and `model.safetensors`
# (named arrays). The names are the attribute paths of the reference's PyTorch modules, and
# xlmr_np's classes use the same attribute names, so a key like
# `roberta.encoder.layer.1.attention.self.query.weight` is literally
# `model.roberta.encoder.layer[1].attention.self.query.weight`. Here we have transformers write
# a (tiny, random) checkpoint, look inside, and load it.

# %%
import functools
import json
import pathlib
import tempfile
import warnings

import numpy as np
import torch
import transformers

from xlmr_np import XLMRobertaModel
from xlmr_np.checkpoint import loading
from xlmr_np.checkpoint.safetensors_io import load_file
from xlmr_np.heads import XLMRobertaForMaskedLM
from xlmr_np.nn import Module
from tutorial_support import show_lines, show_source

print("transformers", transformers.__version__, " torch", torch.__version__)
torch.manual_seed(0)
reference = transformers.XLMRobertaForMaskedLM(transformers.XLMRobertaConfig(
    vocab_size=120, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
    max_position_embeddings=40, type_vocab_size=1, layer_norm_eps=1e-5)).eval()
workdir = tempfile.TemporaryDirectory()          # removed when Python exits
folder = pathlib.Path(workdir.name) / "tiny-xlmr-mlm"
reference.save_pretrained(folder, safe_serialization=True)
print(sorted(p.name for p in folder.iterdir()))

# %% [markdown]
# ## config.json
#
# The sizes, the special ids, and which class wrote it. xlmr_np reads the same fields
# (`XLMRobertaConfig`), checks them, and keeps fields it does not know so they survive a save.

# %%
config = json.loads((folder / "config.json").read_text())
for key in ("architectures", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
            "intermediate_size", "max_position_embeddings", "hidden_act", "pad_token_id", "torch_dtype"):
    print(f"{key:24} {config.get(key)}")

# %% [markdown]
# ## The keys
#
# A safetensors file is a JSON header (name → dtype, shape, byte range) followed by the raw
# bytes. xlmr_np reads it with its own small reader, which checks the header and maps float32
# tensors straight from the file (docs/checkpoints.md):

# %%
tensors = load_file(folder / "model.safetensors")
for key, value in tensors.items():
    print(f"{key:58} {str(value.dtype):8} {value.shape}")

# %% [markdown]
# Reading the keys:
#
# * `roberta.` — the encoder inside a task model (its `base_model_prefix`); a checkpoint saved
#   from the bare `XLMRobertaModel` has no prefix.
# * `embeddings.word_embeddings` / `position_embeddings` / `token_type_embeddings` and their
#   `LayerNorm` — tutorial 02.
# * `encoder.layer.N.attention.self.{query,key,value}` — the projections of tutorial 03, all
#   heads stacked in one `(hidden, hidden)` matrix; `attention.output.dense` and its
#   `LayerNorm` — the residual block after attention (04).
# * `encoder.layer.N.intermediate.dense` (hidden → intermediate) and `output.dense`
#   (intermediate → hidden) with `output.LayerNorm` — the feed-forward block (04).
# * `lm_head.dense`, `lm_head.layer_norm`, `lm_head.bias` — the LM head (06). There is no
#   `lm_head.decoder.weight`: it is tied to the word embeddings and stored once.
#
# `Linear` weights are stored `(out_features, in_features)`, so a layer computes `x W^T + b`.

# %%
assert "lm_head.decoder.weight" not in tensors
assert tensors["roberta.encoder.layer.0.intermediate.dense.weight"].shape == (32, 16)   # (out, in)

# %% [markdown]
# ## Key = attribute path
#
# xlmr_np's `Module` finds parameters by walking attributes, and names them by the path it
# walked. That is the whole mapping; there is no table of names:

# %%
show_source(Module.named_parameters)
show_source(Module.set_parameter)

# %%
with warnings.catch_warnings():
    warnings.simplefilter("error")      # loading this checkpoint must not warn
    model = XLMRobertaForMaskedLM.from_pretrained(folder)


def attribute(obj, key):
    """Follow a dotted key: numbers index lists, names are attributes."""
    return functools.reduce(lambda o, part: o[int(part)] if part.isdigit() else getattr(o, part),
                            key.split("."), obj)


for key, value in tensors.items():
    assert np.array_equal(attribute(model, key), value), key
print(f"all {len(tensors)} tensors are at their attribute paths, e.g.")
print("  model.roberta.encoder.layer[1].attention.self.query.weight[0, :4] =",
      model.roberta.encoder.layer[1].attention.self.query.weight[0, :4])
print("tied: lm_head.decoder.weight is the word embeddings:",
      model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight)

# %% [markdown]
# Same values, not always the same memory. The embeddings and LayerNorm parameters are read-only
# views of the file. Each `Linear` weight is copied once, into Fortran order (column by
# column): its transpose, which `x @ W.T` multiplies by, is then an ordinary row-major
# `(in, out)` matrix, and OpenBLAS multiplies that layout faster (docs/performance.md, item 6).

# %%
query = model.roberta.encoder.layer[1].attention.self.query.weight
print("query.weight: shape", query.shape, "| Fortran order:", query.flags.f_contiguous,
      "| query.weight.T row-major:", query.T.flags.c_contiguous)
print("word embeddings are a view of the file:", not model.roberta.embeddings.word_embeddings.weight.flags.owndata)
assert query.flags.f_contiguous and query.T.flags.c_contiguous

# %% [markdown]
# ## The `roberta.` prefix
#
# The same file loads into the bare encoder: the loader strips the prefix when the model has
# none (and adds it in the opposite case), and warns about the tensors the bare model does not
# use (the LM head):

# %%
show_source(loading.match_prefix)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    encoder = XLMRobertaModel.from_pretrained(folder)
for warning in caught:
    print("warning:", str(warning.message).replace(str(folder), "<folder>"))
np.testing.assert_array_equal(encoder.embeddings.word_embeddings.weight,
                              tensors["roberta.embeddings.word_embeddings.weight"])

# %% [markdown]
# The MLM checkpoint has no pooler (the task models are built without one), so the bare model's
# pooler weights were initialised and named in a warning, as transformers does.
#
# ## Same numbers as the model that wrote the file

# %%
ids = np.array([[0, 15, 27, 99, 2, 1], [0, 42, 2, 1, 1, 1]])
mask = (ids != 1).astype(np.int64)
with torch.no_grad():
    expected = reference(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
ours = model(ids, attention_mask=mask).logits
print("max |xlmr_np - transformers| over the logits:", np.abs(ours - expected).max())
np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)

# %% [markdown]
# ## And back
#
# `save_pretrained` writes the same layout (tied copy left out), and transformers loads it:

# %%
show_lines(loading.state_dict_for_saving, "return {key")
again = pathlib.Path(workdir.name) / "saved-by-xlmr-np"
model.save_pretrained(again)
print(sorted(p.name for p in again.iterdir()))
assert sorted(load_file(again / "model.safetensors")) == sorted(tensors)
reloaded = transformers.XLMRobertaForMaskedLM.from_pretrained(again).eval()
with torch.no_grad():
    round_trip = reloaded(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
print("transformers on xlmr_np's file vs the original: max |difference|", np.abs(round_trip - expected).max())
np.testing.assert_array_equal(round_trip, expected)
