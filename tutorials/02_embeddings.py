# %% [markdown]
# # 02 · Embeddings and the padding-offset positions
#
# The first layer turns ids into vectors: a word vector, a position vector and a token-type
# vector are added, then normalised. XLM-R numbers positions in its own way — counting only
# real tokens and starting after the pad id — and that is what lets a left-padded sentence get
# the same vectors as a right-padded one.

# %%
import numpy as np

from xlmr_np import XLMRobertaConfig, XLMRobertaModel
from xlmr_np.modeling import embeddings as embeddings_module
from xlmr_np.modeling.embeddings import position_ids_from_input_ids, position_ids_from_inputs_embeds
from tutorial_support import show_lines, show_source

# A tiny model: 8-dimensional vectors, random weights (seeded). Real XLM-R base: 768.
config = XLMRobertaConfig(vocab_size=100, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=16, max_position_embeddings=34, type_vocab_size=1,
                          layer_norm_eps=1e-5)
model = XLMRobertaModel(config, seed=0)
emb = model.embeddings
for name, table in emb.named_parameters():
    print(f"embeddings.{name:32} {table.shape}")

# %% [markdown]
# ## Position ids: count real tokens, start after the pad id
#
# BERT numbers positions 0, 1, 2, ... XLM-R (like RoBERTa, from fairseq) counts **only the
# non-pad tokens**, and starts at `padding_idx + 1` = 2; pads get `padding_idx` = 1 itself. The
# whole rule is three lines:

# %%
show_source(position_ids_from_input_ids)

# %% [markdown]
# Two sentences of 5 and 3 tokens, padded to 5 on the right and on the left (`1` is `<pad>`):

# %%
pad = config.pad_token_id
right = np.array([[0, 17, 45, 23, 2],
                  [0, 81, 2, pad, pad]])
left = np.array([[0, 17, 45, 23, 2],
                 [pad, pad, 0, 81, 2]])
for name, ids in (("right-padded", right), ("left-padded", left)):
    print(name)
    print("  ids      ", ids.tolist())
    print("  positions", position_ids_from_input_ids(ids, pad).tolist())

# %% [markdown]
# The same computation by hand, step by step:

# %%
is_token = (left != pad).astype(np.int64)          # 1 on real tokens
counted = np.cumsum(is_token, axis=1) * is_token   # 1, 2, 3 ... on tokens; 0 on pads
by_hand = counted + pad                            # shifted past the pad id
print(is_token.tolist(), counted.tolist(), by_hand.tolist(), sep="\n")
assert np.array_equal(by_hand, position_ids_from_input_ids(left, pad))

# %% [markdown]
# So a token's position does not depend on which side the padding is on: the second sentence's
# `<s> 81 </s>` is at positions 2, 3, 4 either way, and every pad reads row 1 of the position
# table. With BERT-style positions (0, 1, 2, ... for every slot) left padding would shift them.

# %%
real_right = position_ids_from_input_ids(right, pad)[right != pad]
real_left = position_ids_from_input_ids(left, pad)[left != pad]
assert np.array_equal(real_right, real_left)
assert (position_ids_from_input_ids(left, pad)[left == pad] == pad).all()

# %% [markdown]
# The table therefore needs `max_position_embeddings = longest sequence + 2` rows: rows 0 and 1
# are never a real token's position. Real checkpoints have 514 rows for 512 tokens. Row
# `padding_idx` is initialised to zeros, like the pad row of the word table.

# %%
print("position table rows:", emb.position_embeddings.weight.shape[0],
      "-> longest input:", config.max_position_embeddings - pad - 1)
assert not emb.position_embeddings.weight[pad].any() and not emb.word_embeddings.weight[pad].any()

# %% [markdown]
# When the model gets vectors (`inputs_embeds`) instead of ids it cannot see which are pads,
# so positions are simply 2, 3, 4, ...; and a decoder continuing after a cache of `P` tokens
# keeps counting from `P`:

# %%
print(position_ids_from_inputs_embeds(np.zeros((1, 4, 8)), pad).tolist())
print(position_ids_from_input_ids(np.array([[81, 2]]), pad, past_key_values_length=3).tolist())
assert position_ids_from_input_ids(np.array([[81, 2]]), pad, 3).tolist() == [[5, 6]]

# %% [markdown]
# ## The embedding sum
#
# `XLMRobertaEmbeddings.forward` adds the three lookups and normalises:

# %%
show_lines(embeddings_module.XLMRobertaEmbeddings.forward, "if inputs_embeds is None:",
           "return self.dropout(embeddings)")

# %% [markdown]
# By hand, with plain indexing (`table[ids]` is an embedding lookup) and LayerNorm written out
# (mean and biased variance over the last axis, then scale and shift):

# %%
ids = left
positions = position_ids_from_input_ids(ids, pad)
summed = (emb.word_embeddings.weight[ids]            # (batch, seq, hidden)
          + emb.token_type_embeddings.weight[0]      # one token type in XLM-R
          + emb.position_embeddings.weight[positions])
mean = summed.mean(axis=-1, keepdims=True)
variance = ((summed - mean) ** 2).mean(axis=-1, keepdims=True)
by_hand = (summed - mean) / np.sqrt(variance + config.layer_norm_eps) * emb.LayerNorm.weight + emb.LayerNorm.bias

ours = emb(ids)
print("shape", ours.shape, "max |difference|", np.abs(ours - by_hand).max())
np.testing.assert_allclose(ours, by_hand, rtol=1e-6, atol=1e-6)

# %% [markdown]
# And the promise of the position rule: the right-padded and left-padded batches give the same
# vectors for the real tokens.

# %%
from_right = emb(right)[right != pad]   # (real tokens, hidden)
from_left = emb(left)[left != pad]
print("max |right - left| over real tokens:", np.abs(from_right - from_left).max())
np.testing.assert_array_equal(from_right, from_left)
