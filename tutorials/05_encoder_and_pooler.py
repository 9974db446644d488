# %% [markdown]
# # 05 · The full encoder and the pooler
#
# The pieces of tutorials 02–04 stacked: embeddings, then `num_hidden_layers` identical layers
# (each attention + feed-forward, with its own weights), then the pooler. We run the stack by
# hand with a plain loop, compare every intermediate state with `XLMRobertaModel`, and check the
# property padding must have: a sentence gets the same vectors alone or in a padded batch.

# %%
import numpy as np

from xlmr_np import XLMRobertaConfig, XLMRobertaModel
from xlmr_np.modeling.encoder import XLMRobertaEncoder
from xlmr_np.modeling.masks import extended_attention_mask
from xlmr_np.modeling.pooler import XLMRobertaPooler
from tutorial_support import show_lines, show_source

config = XLMRobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                          intermediate_size=64, max_position_embeddings=34, type_vocab_size=1,
                          layer_norm_eps=1e-5, initializer_range=0.1)
model = XLMRobertaModel(config, seed=0)
print(f"{config.num_hidden_layers} layers, {model.num_parameters():,} parameters")

pad = config.pad_token_id
ids = np.array([[0, 17, 45, 23, 61, 2],
                [0, 81, 2, pad, pad, pad]])
mask = (ids != pad).astype(np.int64)

# %% [markdown]
# ## `XLMRobertaModel.forward`, in four lines
#
# Build the additive mask (tutorial 03), embed (02), run the encoder, pool:

# %%
show_lines(XLMRobertaModel.forward, "scores_mask = extended_attention_mask", "scores_mask = extended")
show_lines(XLMRobertaModel.forward, "embedding_output = self.embeddings", "pooled_output = self.pooler")

# %% [markdown]
# The encoder is a loop over its layers; with `output_hidden_states=True` it keeps the input of
# every layer and the final output, `num_hidden_layers + 1` arrays:

# %%
show_lines(XLMRobertaEncoder.forward, "for index, layer in enumerate(self.layer):",
           "all_hidden_states.append(hidden_states)")

# %% [markdown]
# ## The same loop by hand

# %%
out = model(ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)

additive = extended_attention_mask(mask, ids.shape[1], False, "float32")   # (batch, 1, 1, seq)
hidden = model.embeddings(ids)
states = [hidden]
for layer in model.encoder.layer:
    hidden = layer(hidden, additive)[0]          # (batch, seq, hidden)
    states.append(hidden)

print("hidden_states:", len(out.hidden_states), "arrays of", out.hidden_states[0].shape)
for index, (ours, theirs) in enumerate(zip(states, out.hidden_states)):
    name = "embeddings" if index == 0 else f"layer {index - 1}"
    print(f"  {name:10}  max |by hand - model| = {np.abs(ours - theirs).max():.1e}")
    np.testing.assert_array_equal(ours, theirs)
np.testing.assert_array_equal(hidden, out.last_hidden_state)

# %% [markdown]
# ## The pooler
#
# `pooler_output` is the first token's (`<s>`) final vector through one more dense layer and
# `tanh`. It is what `XLMRobertaForSequenceClassification`'s own head replaces (tutorial 06);
# for sentence embeddings a masked mean over the tokens is usually better.

# %%
show_source(XLMRobertaPooler.forward)
pooled = np.tanh(hidden[:, 0] @ model.pooler.dense.weight.T + model.pooler.dense.bias)
print("pooler_output", out.pooler_output.shape)
np.testing.assert_allclose(pooled, out.pooler_output, rtol=1e-6, atol=1e-6)

mean_pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
print("masked mean over tokens", mean_pooled.shape)

# %% [markdown]
# ## What comes out
#
# The output object has transformers' field names; fields not asked for are `None`:

# %%
for field in ("last_hidden_state", "pooler_output", "hidden_states", "attentions", "past_key_values"):
    value = getattr(out, field)
    shape = value.shape if hasattr(value, "shape") else (
        f"{len(value)} x {value[0].shape}" if value is not None else None)
    print(f"{field:18} {shape}")
assert len(out.attentions) == config.num_hidden_layers
assert out.attentions[0].shape == (2, config.num_attention_heads, 6, 6)

# %% [markdown]
# ## Padding changes nothing
#
# The second sentence has 3 real tokens. Run alone (no padding, no mask) and inside the padded
# batch, its vectors agree to float32 rounding: the mask zeroes the pads' attention weights
# and the position rule (tutorial 02) gives its tokens the same positions. Left padding too.

# %%
alone = model(ids[1:, :3]).last_hidden_state[0]
in_batch = out.last_hidden_state[1, :3]
left_ids = np.array([[pad, pad, pad, 0, 81, 2]])
left = model(left_ids, attention_mask=(left_ids != pad).astype(np.int64)).last_hidden_state[0, 3:]
print("alone vs right-padded batch:", np.abs(alone - in_batch).max())
print("alone vs left-padded:       ", np.abs(alone - left).max())
np.testing.assert_allclose(in_batch, alone, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(left, alone, rtol=1e-5, atol=1e-6)

# %% [markdown]
# Forgetting the attention mask is the classic mistake: the pads then take part in attention,
# and the real tokens' vectors change.

# %%
no_mask = model(ids).last_hidden_state[1, :3]
print("without the mask:           ", np.abs(alone - no_mask).max())
assert np.abs(alone - no_mask).max() > 1e-3
