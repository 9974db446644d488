"""Attention on packed rows: per block of equal-length sequences, no padding and no mask.

Sequences are packed in order of length (``packed.pack``), so the sequences of one length sit in
one run of rows: a block of them is a plain (count, length, hidden) array, attended with two
batched matmuls (``attend_block``).

On a GPU each block costs a few kernel launches per layer, and their host time, not the
arithmetic, is what takes long; there a batch of several lengths is padded to its longest for
attention alone, its padding keys masked (``attend_padded``). Measured on an H100 (base widths,
12 layers, 32 sequences of 25 lengths): float16 43.4 ms per block, 6.9 ms padded.
"""

from __future__ import annotations

import math

from ..backend import backend_of, finfo_min, namespace
from ..modeling.attention import key_position_scores, query_position_scores, relative_position_embeddings
from .kernels import batched_matmul, merge_heads, softmax_, split_heads


def attend_heads(attention, query, key, value, is_decoder: bool, mask=None):
    """softmax(q k^T + position scores + mask) v for ``n`` sequences of one length L, or padded to
    it with ``mask`` (n, 1, 1 or L, L) holding the lowest value at the keys a query can't see
    (padding, and the future in a decoder): (n, heads, L, d) each, queries pre-scaled -> the same."""
    xp = namespace(query)
    length = query.shape[-2]
    scores = batched_matmul(query, xp.swapaxes(key, -1, -2))  # (n, heads, L, L)
    if attention.position_embedding_type in ("relative_key", "relative_key_query"):
        positions = relative_position_embeddings(attention.distance_embedding, length, length,
                                                 False).astype(query.dtype)
        scores += query_position_scores(query, positions)
        if attention.position_embedding_type == "relative_key_query":
            scores += key_position_scores(key, positions) * (1.0 / math.sqrt(query.shape[-1]))
    if mask is not None:
        scores += mask  # (n, 1, 1 or L, L)
    elif is_decoder:
        scores += xp.where(future_keys(xp, length), finfo_min(scores.dtype), 0.0).astype(scores.dtype)
    softmax_(scores)
    return batched_matmul(scores, value)  # (n, heads, L, d)


def attend_block(attention, qkv, context, block, is_decoder: bool):
    """Attention for ``count`` packed sequences of one ``length``, from their rows of ``qkv``
    (pre-scaled queries) into the same rows of ``context``: for as many heads as ``context`` has
    room for - all of the layer's, or one thread's share (``tensor_parallel.py``)."""
    first, count, length = block
    head_dim = attention.attention_head_size
    heads = context.shape[1] // head_dim
    xp = namespace(qkv)
    rows = slice(first, first + count * length)
    qkv_block = xp.reshape(qkv[rows], (count, length, 3, heads, head_dim))
    if backend_of(qkv) == "cupy":
        # One cuBLAS call batches matrices a fixed stride apart: one copy lays out each
        # sequence's heads as contiguous (L, d) tiles for all three (the strided views below
        # would cost a copy each). On the CPU the BLAS takes the views as they are.
        tiles = xp.ascontiguousarray(xp.transpose(qkv_block, (2, 0, 3, 1, 4)))  # (3, count, heads, L, d)
        query, key, value = tiles[0], tiles[1], tiles[2]
    else:
        query = xp.transpose(qkv_block[:, :, 0], (0, 2, 1, 3))  # (count, heads, L, d), pre-scaled
        key = xp.transpose(qkv_block[:, :, 1], (0, 2, 1, 3))
        value = xp.transpose(qkv_block[:, :, 2], (0, 2, 1, 3))
    attended = attend_heads(attention, query, key, value, is_decoder)  # (count, heads, L, d)
    merged = xp.transpose(attended, (0, 2, 1, 3))  # (count, L, heads, d)
    xp.reshape(context[rows], (count, length, heads, head_dim))[...] = merged  # into the rows, one copy


def future_keys(xp, length: int):  # (L, L)
    """True where a key comes after its query: what a decoder's queries don't see."""
    return xp.arange(length)[None, :] > xp.arange(length)[:, None]


def padded_layout(batch, dtype, is_decoder: bool):
    """Where a PackedBatch's rows go in a padded (sequences, longest) batch, worked out once per
    batch on its device: ``gather`` (n, L), the row each slot reads (a padding slot repeats its
    sequence's last row); ``scatter`` (tokens,), each row's slot in the flattened (n * L) batch;
    ``mask`` of ``dtype``, the lowest value at the keys a query can't see and 0 elsewhere:
    (n, 1, 1, L) for padding, (n, 1, L, L) with a decoder's future too (one mask, so that the two
    never add up past the lowest value), None where a query sees every key."""
    xp = namespace(batch.ids)
    cached = batch.padded_layout
    if cached is None:
        count, longest, tokens = len(batch.lengths), max(batch.lengths), sum(batch.lengths)
        starts = batch.starts_array()[:, None]  # (n, 1)
        lengths = xp.asarray(batch.lengths)[:, None]  # (n, 1)
        positions = xp.arange(longest)[None, :]  # (1, L)
        gather = starts + xp.minimum(positions, lengths - 1)  # (n, L)
        # token r of sequence i sits at slot i * L + (r - start_i)
        first_slots = xp.arange(count) * longest - starts[:, 0]  # (n,)
        scatter = xp.take(first_slots, batch.row_sequences()) + xp.arange(tokens)
        padding = positions >= lengths if min(batch.lengths) < longest else None  # (n, L)
        cached = batch.padded_layout = {"gather": gather, "scatter": scatter, "padding": padding, "masks": {}}
    masks, padding = cached["masks"], cached["padding"]
    if (dtype, is_decoder) not in masks:
        unseen = None if padding is None else padding[:, None, :]  # (n, 1, L)
        if is_decoder:
            future = future_keys(xp, cached["gather"].shape[1])[None]  # (1, L, L)
            unseen = future if unseen is None else unseen | future  # (n, L, L)
        mask = None if unseen is None else xp.where(unseen, finfo_min(dtype), 0.0).astype(dtype)[:, None]
        masks[dtype, is_decoder] = mask
    return cached["gather"], cached["scatter"], masks[dtype, is_decoder]


def attend_padded(attention, qkv, batch, is_decoder: bool):
    """Attention for all of a batch's sequences at once, padded to the longest with its padding
    keys masked: a handful of kernels per layer, whatever the number of lengths (the GPU's way;
    ``attend`` says when). (tokens, 3 * all_head) -> (tokens, all_head)."""
    head_dim = attention.attention_head_size
    heads = attention.all_head_size // head_dim
    gather, scatter, mask = padded_layout(batch, qkv.dtype, is_decoder)
    tiles = split_heads(qkv, gather, heads, head_dim)  # (3, n, heads, L, d)
    attended = attend_heads(attention, tiles[0], tiles[1], tiles[2], is_decoder, mask)  # (n, heads, L, d)
    return merge_heads(attended, scatter)  # (tokens, all_head)


MAX_PADDED_SCORES = 2**27
"""Most attention scores (sequences x heads x longest^2) ``attend`` pads a batch to on a GPU:
256 MiB at float16. Bigger batches are attended per block of equal lengths."""


def attend(layer, qkv, batch, is_decoder: bool):
    """Attention per block of equal-length sequences: (tokens, 3 * all_head) -> (tokens, all_head).

    On a GPU each block costs a few kernel launches per layer, whose host time is the bottleneck
    there: a batch is instead padded to its longest for attention alone (``attend_padded``: for a
    batch of one length that is no padding, and its kernels cut and join the heads faster than
    ``attend_block``'s copies); the dense layers still see real tokens only."""
    attention = layer.attention.self
    xp = namespace(qkv)
    if attention.all_head_size == 0:  # every head pruned: nothing to attend with
        return xp.empty((qkv.shape[0], 0), dtype=qkv.dtype)
    padded_scores = len(batch.lengths) * attention.num_attention_heads * max(batch.lengths) ** 2
    if backend_of(qkv) == "cupy" and padded_scores <= MAX_PADDED_SCORES:
        return attend_padded(attention, qkv, batch, is_decoder)
    context = xp.empty((qkv.shape[0], attention.all_head_size), dtype=qkv.dtype)
    for block in batch.groups:
        attend_block(attention, qkv, context, block, is_decoder)
    return context
