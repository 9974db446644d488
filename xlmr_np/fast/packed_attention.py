"""Attention on packed rows: per block of equal-length sequences, no padding and no mask.

Sequences are packed in order of length (``packed.pack``), so the sequences of one length sit in
one run of rows: a block of them is a plain (count, length, hidden) array, attended with two
batched matmuls.
"""

from __future__ import annotations

import math

from ..backend import backend_of, finfo_min, namespace
from ..modeling.attention import key_position_scores, query_position_scores, relative_position_embeddings
from .kernels import batched_matmul, softmax_


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
    scores = batched_matmul(query, xp.swapaxes(key, -1, -2))  # (count, heads, L, L)
    if attention.position_embedding_type in ("relative_key", "relative_key_query"):
        positions = relative_position_embeddings(attention.distance_embedding, length, length,
                                                 False).astype(qkv.dtype)
        scores += query_position_scores(query, positions)
        if attention.position_embedding_type == "relative_key_query":
            scores += key_position_scores(key, positions) * (1.0 / math.sqrt(head_dim))
    if is_decoder:
        future = xp.arange(length)[None, :] > xp.arange(length)[:, None]  # (L, L)
        scores += xp.where(future, finfo_min(scores.dtype), 0.0).astype(scores.dtype)
    softmax_(scores)
    merged = xp.transpose(batched_matmul(scores, value), (0, 2, 1, 3))  # (count, L, heads, d)
    xp.reshape(context[rows], (count, length, heads, head_dim))[...] = merged  # into the rows, one copy


def attend(layer, qkv, batch, is_decoder: bool):
    """Attention per block of equal-length sequences: (tokens, 3 * all_head) -> (tokens, all_head)."""
    attention = layer.attention.self
    xp = namespace(qkv)
    context = xp.empty((qkv.shape[0], attention.all_head_size), dtype=qkv.dtype)
    for block in batch.groups:
        attend_block(attention, qkv, context, block, is_decoder)
    return context
