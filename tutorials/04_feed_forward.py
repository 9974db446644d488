# %% [markdown]
# # 04 · Residuals, LayerNorm and the feed-forward block
#
# After attention, each layer does the same thing twice: a projection, a *residual* addition of
# the block's input, and LayerNorm. Between the two sits the feed-forward network, which widens
# every token's vector four times, applies GELU, and narrows it back. This tutorial rebuilds a
# whole layer from the attention output onwards, and measures how much it matters which GELU
# is used.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from xlmr_np import XLMRobertaConfig, XLMRobertaModel, activations
from xlmr_np.modeling.attention import XLMRobertaSelfOutput
from xlmr_np.modeling.feed_forward import XLMRobertaIntermediate, XLMRobertaOutput
from xlmr_np.modeling.layer import XLMRobertaLayer
from xlmr_np.nn import LayerNorm
from tutorial_support import save_figure, show_source

config = XLMRobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                          intermediate_size=128, max_position_embeddings=34, type_vocab_size=1,
                          layer_norm_eps=1e-5, initializer_range=0.2)
# initializer_range 0.2 rather than XLM-R's 0.02 gives this random model pre-activations of a
# trained model's size (around -3 ... 3), where the GELU's shape matters.
model = XLMRobertaModel(config, seed=0)
# A fresh model's LayerNorms are weight 1, bias 0; give them random values so that the checks
# below would notice a scale or shift applied in the wrong place.
rng = np.random.default_rng(0)
for key, value in model.named_parameters():
    if "LayerNorm" in key or key.endswith("bias"):
        model.set_parameter(key, (value + rng.normal(0, 0.1, value.shape)).astype(np.float32))
layer = model.encoder.layer[0]
ids = rng.integers(3, 100, size=(2, 7))
x = model.embeddings(ids)                        # the layer's input: (batch, seq, hidden)
print("layer input", x.shape, " intermediate size", config.intermediate_size)

# %% [markdown]
# ## LayerNorm
#
# For each token separately: subtract the mean of its vector, divide by the standard deviation
# (the *biased* variance, as torch, plus `eps` to avoid dividing by 0), then scale and shift
# by learned per-feature vectors. In xlmr_np (`xlmr_np/nn.py`):

# %%
show_source(LayerNorm.forward)

# %% [markdown]
# With the learned scale and shift left out, every token's vector comes out with mean 0 and
# variance 1 — whatever the magnitude that went in:

# %%
norm = LayerNorm(config.hidden_size, eps=1e-5)
norm.weight, norm.bias = np.ones(32, np.float32), np.zeros(32, np.float32)
tokens = np.stack([rng.normal(0, 1, 32), rng.normal(5, 100, 32)]).astype(np.float32)
normed = norm(tokens)
print("in : mean", tokens.mean(axis=-1).round(2), " std", tokens.std(axis=-1).round(2))
print("out: mean", normed.mean(axis=-1).round(6), " var", normed.var(axis=-1).round(4))
assert np.allclose(normed.mean(axis=-1), 0, atol=1e-6) and np.allclose(normed.var(axis=-1), 1, atol=1e-3)

# %% [markdown]
# ## Residual + LayerNorm after attention
#
# `XLMRobertaSelfOutput` projects the attention's context back to the hidden size, adds the
# attention's *input* (the residual connection: the block only has to learn a change to its
# input), and normalises — "post-LN", as in BERT and RoBERTa:

# %%
show_source(XLMRobertaSelfOutput.forward)

# %%
def layer_norm(t, module):
    mean = t.mean(axis=-1, keepdims=True)
    var = ((t - mean) ** 2).mean(axis=-1, keepdims=True)
    return (t - mean) / np.sqrt(var + module.eps) * module.weight + module.bias


def linear(t, module):
    return t @ module.weight.T + module.bias


context, _, _ = layer.attention.self(x)          # tutorial 03, all heads
self_output = layer.attention.output
attention_output = layer_norm(linear(context, self_output.dense) + x, self_output.LayerNorm)
ours = layer.attention(x)[0]
print("attention block, by hand vs module: max |difference|", np.abs(attention_output - ours).max())
np.testing.assert_allclose(attention_output, ours, rtol=1e-5, atol=1e-5)

# %% [markdown]
# ## The feed-forward block
#
# `XLMRobertaIntermediate`: a dense layer to the intermediate size (4 × hidden: 3072 in the base
# model) and the activation; `XLMRobertaOutput`: a dense layer back, the residual, LayerNorm.
# Every token goes through it on its own — nothing mixes positions here.

# %%
show_source(XLMRobertaIntermediate.forward)
show_source(XLMRobertaOutput.forward)
show_source(XLMRobertaLayer.feed_forward_chunk)

# %%
inner = activations.gelu(linear(attention_output, layer.intermediate.dense))   # (batch, seq, 128)
layer_output = layer_norm(linear(inner, layer.output.dense) + attention_output, layer.output.LayerNorm)
ours = layer(x)[0]
print("inner", inner.shape, "-> output", layer_output.shape)
print("whole layer, by hand vs module: max |difference|", np.abs(layer_output - ours).max())
np.testing.assert_allclose(layer_output, ours, rtol=1e-5, atol=1e-5)

# %% [markdown]
# Because each position is independent, the reference can run the feed-forward on slices of
# the sequence to bound memory (`chunk_size_feed_forward`); the numbers do not change:

# %%
def same_weights(**config_changes):
    """A model with this one's weights and some config fields changed."""
    other = XLMRobertaModel(XLMRobertaConfig(**{**config.to_dict(), **config_changes}), seed=0)
    for key, value in model.named_parameters():
        other.set_parameter(key, value)
    return other


chunked = same_weights(chunk_size_feed_forward=7)
difference = np.abs(chunked(ids).last_hidden_state - model(ids).last_hidden_state).max()
print("chunked vs whole feed-forward: max |difference|", difference)
assert difference == 0.0

# %% [markdown]
# ## Exact GELU and the tanh approximation
#
# XLM-R's `hidden_act` is `"gelu"`: `x · Φ(x)` with `Φ` the normal CDF, written with `erf`.
# Some implementations use the cheaper tanh approximation (`"gelu_new"`, GPT-2's). They are
# different functions, and xlmr_np keeps both under the reference's names:

# %%
show_source(activations.gelu)
show_source(activations.gelu_new)

# %% [markdown]
# NumPy has no `erf`; `backend.erf` uses SciPy's when installed and otherwise a rational
# approximation accurate to 1.2e-7 (see docs/backends.md). How far apart are the two GELUs?

# %%
grid = np.linspace(-6, 6, 120001)                    # float64
exact, tanh_form = activations.gelu(grid), activations.gelu_new(grid)
gap = np.abs(exact - tanh_form)
worst = grid[gap.argmax()]
print(f"max |gelu - gelu_new| = {gap.max():.2e} at x = {worst:.2f}")
print(f"float32 spacing near {worst:.1f}: {abs(np.spacing(np.float32(worst))):.1e}")
assert 4e-4 < gap.max() < 5e-4
math_gelu = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in grid[::1000]]
assert np.allclose(exact[::1000], math_gelu, atol=2e-7)

# %%
fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 5), sharex=True)
top.plot(grid, exact, label="gelu (erf)")
top.plot(grid, tanh_form, "--", label="gelu_new (tanh)")
top.set_ylabel("activation")
top.legend()
bottom.plot(grid, exact - tanh_form, color="C3")
bottom.set_ylabel("gelu - gelu_new")
bottom.set_xlabel("x")
fig.suptitle("exact GELU vs the tanh approximation")
save_figure(fig, "04_gelu_vs_tanh.png")
plt.close(fig)

# %% [markdown]
# A gap of 5e-4 is some two thousand float32 steps at that `x`. Through a layer, run the same weights
# with `hidden_act="gelu_new"`:

# %%
tanh_model = same_weights(hidden_act="gelu_new")
wrong = np.abs(tanh_model(ids).last_hidden_state - model(ids).last_hidden_state).max()
float64_model = same_weights().to("numpy", dtype="float64")
rounding = np.abs(float64_model(ids).last_hidden_state - model(ids).last_hidden_state).max()
print(f"one layer, tanh GELU instead of exact: max |difference| = {wrong:.1e}")
print(f"one layer, float32 rounding (vs float64): max |difference| = {rounding:.1e}")
assert wrong > 50 * rounding

# %% [markdown]
# The wrong GELU moves the output by far more than rounding does — which is why the parity
# tests (docs/testing.md) can use a tolerance of 1e-4 and still catch it.
