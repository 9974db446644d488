# %% [markdown]
# # 03 · One attention head by hand, then all heads
#
# Self-attention lets every token gather information from every other token of its sentence.
# Here we compute one head with nothing but matrix products and a softmax, check it against
# `XLMRobertaSelfAttention`, then do all heads at once the way the model does, and draw the
# attention weights.

# %%
import math
import pathlib

import matplotlib.pyplot as plt
import numpy as np

import xlmr_np
from xlmr_np import XLMRobertaConfig, XLMRobertaModel
from xlmr_np.modeling.attention import XLMRobertaSelfAttention, softmax
from xlmr_np.modeling.masks import extended_attention_mask
from xlmr_np.tokenization import XLMRobertaTokenizer
from tutorial_support import save_figure, show_lines, show_source

tokenizer = XLMRobertaTokenizer.from_pretrained(pathlib.Path(xlmr_np.__file__).parent / "default_model")
# A tiny random model. Its weights are drawn with a larger spread than XLM-R's initializer_range
# of 0.02, which would make every random head attend almost uniformly.
config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                          num_attention_heads=4, intermediate_size=32, max_position_embeddings=66,
                          type_vocab_size=1, layer_norm_eps=1e-5, initializer_range=0.3)
model = XLMRobertaModel(config, seed=0)
attention = model.encoder.layer[0].attention.self   # an XLMRobertaSelfAttention
heads, head_dim = attention.num_attention_heads, attention.attention_head_size
print(f"{heads} heads of {head_dim} dimensions = hidden size {config.hidden_size}")

batch = tokenizer(["Das Passwort ist zu kurz.", "Hello world!"], padding=True, return_tensors="np")
ids, mask = batch["input_ids"], batch["attention_mask"]
x = model.embeddings(ids)    # the attention's input: (batch, seq, hidden)
print("input", x.shape)
print(mask)

# %% [markdown]
# ## What the module does
#
# Project the input to queries, keys and values; split the hidden axis into heads; score every
# query against every key; add the mask; softmax; average the values with those weights; merge
# the heads back:

# %%
show_lines(XLMRobertaSelfAttention.forward, "query = self.split_heads", "query = self.split_heads")
show_lines(XLMRobertaSelfAttention.forward, "key = self.split_heads(self.key(hidden_states))  #",
           "value = self.split_heads(self.value(hidden_states))")
show_lines(XLMRobertaSelfAttention.forward, "scores = xp.matmul(query", "scores = xp.matmul(query")
show_lines(XLMRobertaSelfAttention.forward, "scores = scores / math.sqrt", "return context")

# %% [markdown]
# ## The mask
#
# The 0/1 attention mask becomes an *additive* mask: 0 where a key may be seen, the most
# negative float32 where it may not. Added to a score, it drives that key's softmax weight to
# exactly 0. (The reference uses the dtype's minimum rather than `-inf`, so a row with every
# key masked gives a uniform softmax instead of NaN.)

# %%
show_source(extended_attention_mask)
additive = extended_attention_mask(mask, ids.shape[1], False, "float32")  # (batch, 1, 1, seq)
print(additive[1, 0, 0])

# %% [markdown]
# ## One head by hand
#
# Head `h` owns rows `h*d ... (h+1)*d - 1` of the query, key and value weights (`d` =
# head_dim). A `Linear` layer is `x W^T + b`. The scores are `q k^T / sqrt(d)`.

# %%
h = 1
rows = slice(h * head_dim, (h + 1) * head_dim)
q = x @ attention.query.weight[rows].T + attention.query.bias[rows]   # (batch, seq, d)
k = x @ attention.key.weight[rows].T + attention.key.bias[rows]
v = x @ attention.value.weight[rows].T + attention.value.bias[rows]

scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim)   # (batch, seq_q, seq_k)
scores = scores + additive[:, 0]                            # (batch, 1, seq_k) broadcasts over queries
scores = scores - scores.max(axis=-1, keepdims=True)        # shift: exp never overflows
weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
head_context = weights @ v                                  # (batch, seq_q, d)
print("weights of head", h, "for the first query of sentence 2:", weights[1, 0].round(3))

# %% [markdown]
# Every row of weights sums to 1, and padded keys get exactly 0:

# %%
assert np.allclose(weights.sum(axis=-1), 1.0)
assert (weights[1][:, mask[1] == 0] == 0).all()

# %% [markdown]
# The module computes all heads; head `h` is its slice `h*d ... (h+1)*d` of the context and
# plane `h` of the probabilities:

# %%
context, probs, _ = attention(x, additive, output_attentions=True)
print("module context", context.shape, "probs", probs.shape)
print("max |difference|, context:", np.abs(context[:, :, rows] - head_context).max(),
      " weights:", np.abs(probs[:, h] - weights).max())
np.testing.assert_allclose(context[:, :, rows], head_context, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(probs[:, h], weights, rtol=1e-5, atol=1e-6)

# %% [markdown]
# ## All heads at once
#
# Instead of looping over heads, project once to `(batch, seq, heads * d)`, reshape to
# `(batch, seq, heads, d)` and move the head axis forward, `(batch, heads, seq, d)`: then one
# batched matmul scores every head of every sentence. That is `split_heads`, and `merge_heads`
# undoes it:

# %%
show_source(XLMRobertaSelfAttention.split_heads)
show_source(XLMRobertaSelfAttention.merge_heads)

# %%
batch_size, seq = ids.shape


def split(t):   # (batch, seq, heads * d) -> (batch, heads, seq, d)
    return t.reshape(batch_size, seq, heads, head_dim).transpose(0, 2, 1, 3)


Q = split(x @ attention.query.weight.T + attention.query.bias)
K = split(x @ attention.key.weight.T + attention.key.bias)
V = split(x @ attention.value.weight.T + attention.value.bias)
S = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(head_dim) + additive   # (batch, heads, seq, seq)
P = np.exp(S - S.max(axis=-1, keepdims=True))
P = P / P.sum(axis=-1, keepdims=True)
C = (P @ V).transpose(0, 2, 1, 3).reshape(batch_size, seq, heads * head_dim)
print("all heads by hand vs module, max |difference|:", np.abs(C - context).max())
np.testing.assert_allclose(C, context, rtol=1e-5, atol=1e-6)
np.testing.assert_allclose(P, probs, rtol=1e-5, atol=1e-6)

# %% [markdown]
# ## Why the softmax subtracts the max
#
# `softmax(s) = softmax(s - c)` for any constant `c`, and with `c = max(s)` every exponent is
# at most 0, so `exp` cannot overflow:

# %%
show_source(softmax)
big = np.array([1000.0, 999.0, 990.0], dtype=np.float32)
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()
print("naive:", naive, " shifted:", softmax(big))
assert np.isnan(naive).all() and np.isclose(softmax(big).sum(), 1.0)

# %% [markdown]
# ## The attention weights as a picture
#
# One panel per head for the first sentence: row = query token, column = key token. With the
# random weights of this tiny model the patterns mean nothing linguistically; with a trained
# model some heads attend to the previous token, some to `</s>`, some to the same word.

# %%
tokens = tokenizer.convert_ids_to_tokens(ids[0])
fig, axes = plt.subplots(1, heads, figsize=(3.2 * heads, 3.4))
for head, ax in enumerate(axes):
    ax.imshow(probs[0, head], cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_title(f"head {head}")
    ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
    ax.set_yticks(range(len(tokens)), tokens if head == 0 else [], fontsize=7)
fig.suptitle("attention weights, layer 0 (query rows, key columns)")
save_figure(fig, "03_attention_heads.png")
plt.close(fig)
