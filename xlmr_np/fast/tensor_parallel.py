"""Threads sharing each layer by its weights (tensor parallelism): for batches too small to share by rows.

Shared by rows, every thread multiplies its rows by the whole weight, and OpenBLAS copies
("packs") that weight into its own blocks on every call: with a few hundred rows per thread the
packing is a large part of the matmul, and each thread does all of it again. Here each thread
owns a share of the heads and a share of the feed-forward columns, as Megatron-LM splits a layer
over GPUs:

- attention: thread t projects q, k and v for its heads only (rows of the QKV weight), runs
  attention for those heads, and multiplies its part of the context by its columns of the
  attention-output weight - a partial sum of that matmul;
- feed-forward: thread t computes its columns of the intermediate activation (rows of W1, their
  bias, GELU) and multiplies them by its columns of W2 - again a partial sum.

Each thread reads only its share of every weight, and the threads meet twice per layer, where the
partial sums are added and the bias, the residual and LayerNorm follow. The sums of the split
matmuls are added in a different order than in one matmul, so the results differ from the plain
path by float rounding only (tests/test_packed.py).
"""

from __future__ import annotations

from ..backend import namespace
from .kernels import bias_activation_, bias_residual_layer_norm_
from .packed_attention import attend_block
from .threads import for_each, for_row_slices


def shares(count: int, parts: int) -> list:
    """``range(count)`` cut into at most ``parts`` consecutive (start, stop) pieces of near-equal size."""
    parts = max(1, min(parts, count))
    return [(count * i // parts, count * (i + 1) // parts) for i in range(parts)]


def attention_share(layer, fused_qkv, hidden, batch, heads: tuple, is_decoder: bool):
    """Heads ``heads[0]:heads[1]`` of the layer's attention, through their columns of the output
    weight: (tokens, hidden) -> this share's partial sum of the attention output (tokens, hidden)."""
    attention = layer.attention.self
    xp = namespace(hidden)
    weight, bias = fused_qkv  # (3 * all_head, hidden), rows [query; key; value], query pre-scaled
    head_dim, all_head = attention.attention_head_size, attention.all_head_size
    columns = slice(heads[0] * head_dim, heads[1] * head_dim)
    width = columns.stop - columns.start
    qkv = xp.empty((hidden.shape[0], 3, width), dtype=hidden.dtype)  # (tokens, q/k/v, share of heads * head_dim)
    for part in range(3):
        rows = slice(part * all_head + columns.start, part * all_head + columns.stop)
        xp.matmul(hidden, weight[rows].T, out=qkv[:, part])
        qkv[:, part] += bias[rows]
    qkv = xp.reshape(qkv, (hidden.shape[0], 3 * width))  # the layout attend_block reads
    context = xp.empty((hidden.shape[0], width), dtype=hidden.dtype)  # (tokens, share of heads * head_dim)
    for block in batch.groups:
        attend_block(attention, qkv, context, block, is_decoder)
    return xp.matmul(context, layer.attention.output.dense.weight[:, columns].T)  # (tokens, hidden)


def feed_forward_share(layer, hidden, columns: tuple):
    """Columns ``columns[0]:columns[1]`` of the intermediate activation, through their rows of the
    output weight: (tokens, hidden) -> this share's partial sum of the feed-forward output."""
    dense, output = layer.intermediate.dense, layer.output.dense
    xp = namespace(hidden)
    part = slice(*columns)
    inner = xp.matmul(hidden, dense.weight[part].T)  # (tokens, share of intermediate)
    inner = bias_activation_(inner, dense.bias[part], layer.intermediate.intermediate_act_fn)
    return xp.matmul(inner, output.weight[:, part].T)  # (tokens, hidden)


def add_partial_sums(partials, linear, residual, norm):  # -> (tokens, hidden)
    """LayerNorm(sum of the shares' partial sums + bias + residual), in the first partial sum; the
    rows are shared among the threads."""
    total = partials[0]

    def finish(start, stop):
        for partial in partials[1:]:
            total[start:stop] += partial[start:stop]
        bias_residual_layer_norm_(total[start:stop], linear.bias, residual[start:stop], norm.weight, norm.bias,
                                  norm.eps)

    for_row_slices(finish, total.shape[0])
    return total


def encoder_layer(layer, fused_qkv, hidden, batch, is_decoder: bool, parts: int):
    """One layer with the heads and the feed-forward columns shared among ``parts`` threads."""
    attention, output = layer.attention, layer.output
    head_shares = shares(attention.self.num_attention_heads, parts)
    partials = [None] * len(head_shares)

    def attend(index):
        partials[index] = attention_share(layer, fused_qkv, hidden, batch, head_shares[index], is_decoder)

    for_each(attend, range(len(head_shares)))
    attention_output = add_partial_sums(partials, attention.output.dense, hidden, attention.output.LayerNorm)

    column_shares = shares(layer.intermediate.dense.weight.shape[0], parts)
    partials = [None] * len(column_shares)

    def feed_forward(index):
        partials[index] = feed_forward_share(layer, attention_output, column_shares[index])

    for_each(feed_forward, range(len(column_shares)))
    return add_partial_sums(partials, output.dense, attention_output, output.LayerNorm)
