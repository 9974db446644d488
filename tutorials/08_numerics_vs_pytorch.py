# %% [markdown]
# # 08 · Verifying the numbers against PyTorch
#
# "Numerically equal to transformers" cannot mean bit-equal: the two run the same float32
# operations in a different order (BLAS blocking, fused kernels), and every reordering rounds
# differently. This tutorial measures how far apart they are, layer by layer, and shows how
# to tell rounding from a bug: in float64 both implementations agree to ~1e-15, so any float32
# gap is rounding; and in float32 each is as far from the float64 result as from the other.

# %%
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import torch
import transformers

from xlmr_np import XLMRobertaModel
from tutorial_support import save_figure

LAYERS = 12
torch.manual_seed(0)
reference = transformers.XLMRobertaModel(transformers.XLMRobertaConfig(
    vocab_size=500, hidden_size=64, num_hidden_layers=LAYERS, num_attention_heads=4,
    intermediate_size=256, max_position_embeddings=130, type_vocab_size=1, layer_norm_eps=1e-5)).eval()
# A fresh model's LayerNorm weights are 1 and its biases 0; randomise them, as the tests do
# (tests/reference.py), so that a misplaced scale or shift could not hide.
with torch.no_grad():
    for name, parameter in reference.named_parameters():
        if name.endswith("bias") or "LayerNorm" in name:
            parameter.add_(torch.randn_like(parameter) * 0.1)
workdir = tempfile.TemporaryDirectory()          # removed when Python exits
folder = workdir.name
reference.save_pretrained(folder, safe_serialization=True)

ours32 = XLMRobertaModel.from_pretrained(folder)                    # float32, the default
ours64 = XLMRobertaModel.from_pretrained(folder, dtype="float64")
print(f"{LAYERS} layers, hidden 64, {ours32.num_parameters():,} parameters")

# %% [markdown]
# Four sentences of 64, 50, 30 and 12 tokens, right-padded. We keep every layer's output
# (`output_hidden_states=True`: the embeddings plus one array per layer) and compare only the
# real tokens.

# %%
rng = np.random.default_rng(0)
ids = rng.integers(3, 500, size=(4, 64))
mask = np.zeros_like(ids)
for row, length in enumerate((64, 50, 30, 12)):
    mask[row, :length] = 1
    ids[row, length:] = 1                     # <pad>
real = mask.astype(bool)


def states(run):
    return [np.asarray(h, dtype=np.float64)[real] for h in run.hidden_states]   # (real tokens, hidden)


with torch.no_grad():
    inputs = dict(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), output_hidden_states=True)
    torch32 = states(reference(**inputs))
    torch64 = states(reference.double()(**inputs))
np32 = states(ours32(ids, attention_mask=mask, output_hidden_states=True))
np64 = states(ours64(ids, attention_mask=mask, output_hidden_states=True))
print(len(np32), "hidden states of", np32[0].shape)

# %% [markdown]
# ## The error, layer by layer

# %%
def max_error(a, b):
    return np.array([np.abs(x - y).max() for x, y in zip(a, b)])


errors = {
    "xlmr_np float32 vs transformers float32": max_error(np32, torch32),
    "xlmr_np float32 vs float64": max_error(np32, np64),
    "transformers float32 vs float64": max_error(torch32, torch64),
    "xlmr_np float64 vs transformers float64": max_error(np64, torch64),
}
print("state        " + "  ".join(f"{i:>7}" for i in range(4)))
for index in range(LAYERS + 1):
    name = "embeddings" if index == 0 else f"layer {index - 1:2d}"
    print(f"{name:12} " + "  ".join(f"{e[index]:7.1e}" for e in errors.values()))
for number, name in enumerate(errors):
    print(f"column {number}: {name}")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for (name, values), style in zip(errors.items(), ("o-", "s--", "^--", "x-")):
    ax.semilogy(range(LAYERS + 1), values, style, label=name)
ax.axhline(1e-4, color="gray", linestyle=":", label="test tolerance (1e-4)")
ax.set_xlabel("hidden state (0 = embeddings, k = output of layer k-1)")
ax.set_ylabel("max |difference| over real tokens")
ax.set_xticks(range(LAYERS + 1))
ax.legend(fontsize=7, loc="center right")
ax.set_title(f"float32 rounding through {LAYERS} post-LN layers")
save_figure(fig, "08_error_per_layer.png")
plt.close(fig)

# %% [markdown]
# What the numbers say:
#
# * **float64**: xlmr_np and transformers agree to ~1e-15 at every layer. Same formulas, same
#   weights; only rounding in the 16th digit differs.
# * **float32**: xlmr_np and transformers differ by about 1e-6, and each of them is just as far
#   from its own float64 result. Neither is "the exact one": both are correctly rounded
#   evaluations of the same function, in different orders.
# * **growth**: the error grows in the first layers and then levels off. Each layer ends with
#   a LayerNorm that rescales every token's vector to unit size, so errors are renormalised
#   instead of compounding; what remains grows slowly with depth.

# %%
float32_gap, float64_gap = errors["xlmr_np float32 vs transformers float32"], errors["xlmr_np float64 vs transformers float64"]
assert float64_gap.max() < 1e-12
assert float32_gap.max() < 1e-5
assert float32_gap[-1] > float32_gap[0]                     # it does grow ...
assert float32_gap[-1] < 10 * float32_gap[0]                # ... but far from exponentially
ratio = float32_gap / errors["xlmr_np float32 vs float64"]
print("float32 gap to transformers / gap to float64, per state:", ratio.round(1))
assert (0.2 < ratio).all() and (ratio < 5).all()

# %% [markdown]
# ## What a bug looks like
#
# The tests compare with `atol = rtol = 1e-4` (docs/testing.md): some 50 times the rounding
# measured above. A structural mistake is far larger. Feed BERT-style positions (0, 1, 2, ...)
# instead of XLM-R's padding-offset ones (tutorial 02):

# %%
bert_positions = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
shifted = ours32(ids, attention_mask=mask, position_ids=bert_positions, output_hidden_states=True)
position_bug = max_error(states(shifted), torch32)
print("BERT positions, per state:", " ".join(f"{e:.0e}" for e in position_bug))
assert position_bug.min() > 100 * 1e-4

# %% [markdown]
# Not every bug is that loud, though. Swap the exact GELU for the tanh approximation
# (tutorial 04) in this randomly initialised model:

# %%
wrong = XLMRobertaModel.from_pretrained(folder, hidden_act="gelu_new")
gelu_bug = max_error(states(wrong(ids, attention_mask=mask, output_hidden_states=True)), torch32)
print("tanh GELU, per state:", " ".join(f"{e:.0e}" for e in gelu_bug))
assert gelu_bug.max() < 1e-4

# %% [markdown]
# Below the tolerance. Weights drawn with XLM-R's `initializer_range` of 0.02 give
# pre-activations near 0, where the two GELUs almost coincide (they differ most around
# |x| ≈ 2.7, by 5e-4). A comparison of whole random models cannot see this bug, which is why
# every activation is also compared with the reference on its own, over [-30, 30]
# (tests/test_activations.py), and why parity on a checkpoint with trained weights is worth
# more than on random ones.
