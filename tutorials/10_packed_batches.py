# %% [markdown]
# # 10 · Why packed batches are faster
#
# A padded batch is a rectangle: every sentence is stretched to the longest one, and the model
# computes on the padding as if it were text — then the mask throws those results away. Real
# text has a few long sentences and many short ones, so most of the rectangle can be padding.
# `model.encode_batch` (the packed path, `xlmr_np/fast/`) computes on real tokens only. This
# tutorial counts the waste, shows how packing avoids it, and checks that the numbers are the
# same.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from xlmr_np import XLMRobertaConfig, XLMRobertaModel
from xlmr_np.fast import packed, packed_attention, tensor_parallel
from tutorial_support import save_figure, show_lines, show_source

# %% [markdown]
# ## Counting padding
#
# 64 sentences with a long-tailed length distribution (log-normal, like sentence lengths in
# most corpora; clipped to 4 ... 128 tokens):

# %%
rng = np.random.default_rng(0)
lengths = np.clip(rng.lognormal(mean=3.0, sigma=0.6, size=64).astype(int), 4, 128)
real_tokens = int(lengths.sum())
padded_tokens = len(lengths) * int(lengths.max())
print(f"lengths: min {lengths.min()}, median {int(np.median(lengths))}, max {lengths.max()}")
print(f"padded batch: {len(lengths)} x {lengths.max()} = {padded_tokens} token slots, "
      f"{real_tokens} real ({real_tokens / padded_tokens:.0%})")
assert real_tokens < 0.5 * padded_tokens

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.2))
order = np.argsort(lengths)
ax.bar(range(len(lengths)), [lengths.max()] * len(lengths), color="lightgray", label="padding")
ax.bar(range(len(lengths)), lengths[order], color="C0", label="real tokens")
ax.set_xlabel("sentence (sorted by length)")
ax.set_ylabel("tokens")
ax.set_title(f"a padded batch: {real_tokens / padded_tokens:.0%} of the slots are real tokens")
ax.legend()
save_figure(fig, "10_padding.png")
plt.close(fig)

# %% [markdown]
# Where does the time go? Per token, a layer runs four `hidden × hidden` projections (query,
# key, value, attention output) and two `hidden × 4·hidden` ones (the feed-forward): those
# *dense* layers are most of the work, and they cost the same for a pad as for a word.
# Attention itself costs `length²` per sentence, `max_length²` when padded.

# %%
hidden = 128
dense_per_token = 2 * (4 * hidden * hidden + 2 * hidden * 4 * hidden)       # multiply-adds x 2
attention_per_pair = 2 * 2 * hidden                                           # q.k and p.v
padded_work = padded_tokens * dense_per_token + len(lengths) * int(lengths.max()) ** 2 * attention_per_pair
packed_work = real_tokens * dense_per_token + int((lengths ** 2).sum()) * attention_per_pair
print(f"floating-point operations per layer: padded {padded_work / 1e9:.2f} G, "
      f"packed {packed_work / 1e9:.2f} G ({padded_work / packed_work:.1f}x fewer)")

# %% [markdown]
# ## How packing works
#
# Sort the sentences by length and concatenate them into one `(tokens, hidden)` matrix. Every
# dense layer is then one matmul over real tokens only. Attention must not mix sentences, so
# it runs per group of equal-length sentences — a group is a small rectangle with no padding,
# so it needs no mask either.

# %%
show_source(packed.pack)

# %%
batch = packed.pack([np.arange(n) + 3 for n in (5, 3, 5, 2)])
print("order:", batch.order, " lengths:", batch.lengths, " starts:", batch.starts)
print("groups (first row, sentences, length):", batch.groups)
assert batch.lengths == sorted(batch.lengths) and batch.ids.shape == (15,)

# %% [markdown]
# Positions restart for every sentence (the padding-offset rule of tutorial 02, applied per
# sentence), and a layer is: one fused query/key/value matmul over all tokens, attention per
# block of equal-length sentences, the output projection, the feed-forward — all on the packed
# matrix. On CuPy the same steps call fused GPU kernels and the attention products go straight
# to cuBLAS (the backends page). A block is a plain (sentences, heads, length, head_dim) attention
# with no mask; on a GPU, where every block's few kernel launches cost more host time than their
# arithmetic, `attend` instead pads a batch of several lengths to its longest for attention alone
# and masks the padding keys:

# %%
show_source(packed.packed_position_ids)
show_source(packed.encoder_layer)
show_lines(packed_attention.attend_block, "first, count, length = block", "into the rows, one copy")
show_lines(packed_attention.attend, "if backend_of(qkv)", "attend_block(attention")

# %% [markdown]
# On a CPU with several cores, each thread usually takes its own group of whole sentences
# through all the layers. When one long sentence makes that uneven, the threads share each
# layer instead, by its weights: every thread takes some of the heads and some of the
# feed-forward columns, and what each computes is a partial sum of the layer's output
# projection, added up where the threads meet (the performance page). The feed-forward share:

# %%
show_source(tensor_parallel.feed_forward_share)

# %% [markdown]
# ## Same numbers, less time
#
# A small model (hidden 128, 2 layers), the 64 sentences as one padded batch through the plain
# `forward`, and as a list through `encode_batch`:

# %%
config = XLMRobertaConfig(vocab_size=1000, hidden_size=hidden, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=4 * hidden, max_position_embeddings=130, type_vocab_size=1,
                          layer_norm_eps=1e-5)
model = XLMRobertaModel(config, seed=0)
pad = config.pad_token_id
sentences = [np.concatenate([[0], rng.integers(3, 1000, size=n - 2), [2]]) for n in lengths]
ids = np.full((len(sentences), int(lengths.max())), pad)
mask = np.zeros_like(ids)
for row, sentence in enumerate(sentences):
    ids[row, :len(sentence)] = sentence
    mask[row, :len(sentence)] = 1

padded_out = model(ids, attention_mask=mask)
packed_out = model.encode_batch(sentences)
worst = max(np.abs(packed_out.last_hidden_state[row] - padded_out.last_hidden_state[row, :len(s)]).max()
            for row, s in enumerate(sentences))
print(f"{len(packed_out.last_hidden_state)} outputs, shapes like {packed_out.last_hidden_state[0].shape}")
print(f"packed vs padded, max |difference| over real tokens: {worst:.1e}")
assert worst < 1e-5
np.testing.assert_allclose(packed_out.pooler_output, padded_out.pooler_output, rtol=1e-5, atol=1e-5)

# %% [markdown]
# (Not bit-equal: the packed path folds `1/sqrt(head_dim)` into the query weights, sums in a
# different order and computes GELU from a float32 polynomial instead of SciPy's erf; the
# difference is float32 rounding, the same size as in tutorial 08.)

# %%
def best_time(run, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


padded_seconds = best_time(lambda: model(ids, attention_mask=mask))
packed_seconds = best_time(lambda: model.encode_batch(sentences))
print(f"padded forward {padded_seconds * 1e3:.0f} ms, encode_batch {packed_seconds * 1e3:.0f} ms "
      f"-> {padded_seconds / packed_seconds:.1f}x")

# %% [markdown]
# The measured speed-up depends on the machine (and on how busy it is), but it follows the
# count above: the fewer real tokens in the rectangle, the more the packed path saves.
# `encode_batch` also runs its elementwise steps (GELU, LayerNorm, softmax) in place and on
# several threads; `benchmarks/cpu.py` measures it at base size against transformers and ONNX
# Runtime. Sorting sentences by length before cutting them into padded batches recovers part
# of the gain with the plain `forward`.
