"""Packed variable-length batches: the dense layers see only real tokens.

A padded batch of sentences of lengths 6..256 spends most of its matmuls on padding. Here the
sequences are concatenated into one (tokens, hidden) matrix, so every dense layer (QKV,
attention output, feed-forward) runs once on real tokens only, and attention runs per group of
equal-length sequences (no mask needed: a group has no padding). The arithmetic per token is
the plain path's; tests/test_packed.py checks the two agree.

Inference only (eval mode), encoder or causal decoder without cache or cross-attention.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..activations import gelu
from ..backend import backend_of, finfo_min, namespace
from ..errors import InputError
from ..modeling.attention import (key_position_scores, query_position_scores,
                                  relative_position_embeddings)
from ..modeling.outputs import ModelOutput
from ..modeling.validation import as_backend_array, check_ids, check_position_limit
from .kernels import gelu_, layer_norm_, softmax_
from .threads import for_row_slices


@dataclasses.dataclass
class PackedOutput(ModelOutput):
    last_hidden_state: list = None  # one (length_i, hidden) array per input sequence, in input order
    pooler_output: Any = None  # (batch, hidden): each sequence's first token through the pooler


@dataclasses.dataclass
class PackedBatch:
    """Sequences concatenated in order of length, so equal lengths are neighbours."""

    ids: Any  # (tokens,) int64
    lengths: list  # per packed sequence
    order: list  # order[i] = input index of packed sequence i
    starts: list  # first token row of each packed sequence
    groups: list  # (first row, number of sequences, length) per run of equal lengths


def pack(sequences) -> PackedBatch:
    """Sort sequences (1-D int arrays) by length and concatenate them."""
    xp = namespace(sequences[0])
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    lengths = [int(len(sequences[i])) for i in order]
    starts, groups, row = [], [], 0
    for length in lengths:
        if groups and groups[-1][2] == length:
            first, count, _ = groups[-1]
            groups[-1] = (first, count + 1, length)
        else:
            groups.append((row, 1, length))
        starts.append(row)
        row += length
    ids = xp.concatenate([sequences[i] for i in order])
    return PackedBatch(ids=ids, lengths=lengths, order=order, starts=starts, groups=groups)


def packed_position_ids(batch: PackedBatch, padding_idx: int):
    """XLM-R positions (padding_idx + 1 + count of earlier non-pad tokens), restarting per sequence."""
    xp = namespace(batch.ids)
    is_token = (batch.ids != padding_idx).astype(xp.int64)  # (tokens,)
    counted = xp.cumsum(is_token)
    before = xp.concatenate([xp.zeros(1, dtype=xp.int64), counted])[xp.asarray(batch.starts)]
    offsets = xp.repeat(before, xp.asarray(batch.lengths))  # count before each sequence, per token
    return (counted - offsets) * is_token + padding_idx


def fused_layer_weights(model):
    """Per layer: query/key/value weights stacked into one (3 * heads * head_dim, hidden) matrix,
    with 1/sqrt(head_dim) folded into the query rows. Rebuilt when parameters change."""
    layers = model.encoder.layer
    key = tuple(id(p) for layer in layers for p in (layer.attention.self.query.weight,
                                                    layer.attention.self.key.weight,
                                                    layer.attention.self.value.weight,
                                                    layer.attention.self.query.bias))
    cache = model.__dict__.get("_fused_cache")
    if cache is not None and cache["key"] == key:
        return cache["layers"]
    fused = []
    for layer in layers:
        attention = layer.attention.self
        xp = namespace(attention.query.weight)
        scale = 1.0 / math.sqrt(attention.attention_head_size)
        weight = xp.concatenate([attention.query.weight * scale, attention.key.weight,
                                 attention.value.weight])  # (3 * all_head_size, hidden)
        bias = xp.concatenate([attention.query.bias * scale, attention.key.bias, attention.value.bias])
        fused.append((weight, bias))
    model.__dict__["_fused_cache"] = {"key": key, "layers": fused}
    return fused


def embed(model, batch: PackedBatch):  # -> (tokens, hidden)
    embeddings = model.embeddings
    xp = namespace(embeddings.word_embeddings.weight)
    hidden = xp.take(embeddings.word_embeddings.weight, batch.ids, axis=0)  # (tokens, hidden)
    hidden += embeddings.token_type_embeddings.weight[0]
    if embeddings.position_embedding_type == "absolute":
        positions = packed_position_ids(batch, embeddings.padding_idx)
        hidden += xp.take(embeddings.position_embeddings.weight, positions, axis=0)
    norm = embeddings.LayerNorm
    for_row_slices(lambda a, b: layer_norm_(hidden[a:b], norm.weight, norm.bias, norm.eps),
                   hidden.shape[0], parallel=backend_of(hidden) == "numpy")
    return hidden


def attend(layer, qkv, batch: PackedBatch, is_decoder: bool, parallel: bool):
    """Attention per group of equal-length sequences: (tokens, 3 * all_head) -> (tokens, all_head)."""
    attention = layer.attention.self
    heads, head_dim = attention.num_attention_heads, attention.attention_head_size
    xp = namespace(qkv)
    context = xp.empty((qkv.shape[0], heads * head_dim), dtype=qkv.dtype)
    relative = attention.position_embedding_type in ("relative_key", "relative_key_query")
    for first, count, length in batch.groups:
        block = xp.reshape(qkv[first:first + count * length], (count, length, 3, heads, head_dim))
        query = xp.transpose(block[:, :, 0], (0, 2, 1, 3))  # (count, heads, L, d), pre-scaled
        key = xp.transpose(block[:, :, 1], (0, 2, 1, 3))
        value = xp.transpose(block[:, :, 2], (0, 2, 1, 3))
        scores = xp.matmul(query, xp.swapaxes(key, -1, -2))  # (count, heads, L, L)
        if relative:
            positions = relative_position_embeddings(attention.distance_embedding, length, length,
                                                     False).astype(qkv.dtype)
            scores += query_position_scores(query, positions)
            if attention.position_embedding_type == "relative_key_query":
                scores += key_position_scores(key, positions) * (1.0 / math.sqrt(head_dim))
        if is_decoder:
            future = xp.arange(length)[None, :] > xp.arange(length)[:, None]  # (L, L)
            scores += xp.where(future, finfo_min(scores.dtype), 0.0).astype(scores.dtype)
        rows = xp.reshape(scores, (-1, length))
        for_row_slices(lambda a, b: softmax_(rows[a:b]), rows.shape[0], parallel=parallel, min_rows=256)
        merged = xp.transpose(xp.matmul(scores, value), (0, 2, 1, 3))  # (count, L, heads, d)
        context[first:first + count * length] = xp.reshape(merged, (count * length, heads * head_dim))
    return context


def dense_residual_norm(x, linear, residual, norm, parallel):
    """LayerNorm(x W^T + b + residual), the LayerNorm and additions done in place, by row slices."""
    xp = namespace(x)
    out = xp.matmul(x, linear.weight.T)  # (tokens, hidden)

    def finish(a, b):
        out[a:b] += linear.bias
        out[a:b] += residual[a:b]
        layer_norm_(out[a:b], norm.weight, norm.bias, norm.eps)

    for_row_slices(finish, out.shape[0], parallel=parallel)
    return out


def feed_forward_inner(layer, hidden, parallel):  # (tokens, hidden) -> (tokens, intermediate)
    dense = layer.intermediate.dense
    xp = namespace(hidden)
    inner = xp.matmul(hidden, dense.weight.T)
    activation = layer.intermediate.intermediate_act_fn

    def activate(a, b):
        inner[a:b] += dense.bias
        if activation is gelu:
            gelu_(inner[a:b])
        else:
            inner[a:b] = activation(inner[a:b])

    for_row_slices(activate, inner.shape[0], parallel=parallel)
    return inner


def add_(x, y):
    x += y


def encode_packed(model, sequences) -> PackedOutput:
    """Run the encoder on a list of id sequences (lists or 1-D arrays) without padding them."""
    config = model.config
    if model.training:
        raise InputError("encode_batch is for inference: call model.eval() first (dropout is on)")
    if config.add_cross_attention:
        raise InputError("encode_batch does not run cross-attention; use the model's forward")
    if model.dtype == "float16":
        raise InputError("encode_batch computes in float32 or float64; run float16 models with forward")
    if len(sequences) == 0:
        raise InputError("encode_batch got no sequences")
    name = model.backend
    arrays = []
    for index, sequence in enumerate(sequences):
        if len(sequence) == 0:
            raise InputError(f"sequence {index} is empty; encode_batch needs non-empty id sequences")
        array = as_backend_array(sequence, f"sequence {index}", name, "int")
        if array.ndim != 1 or array.shape[0] == 0:
            raise InputError(f"sequence {index} must be a non-empty list of ids, got shape {tuple(array.shape)}")
        check_ids(array, f"sequence {index}", config.vocab_size, "vocab_size")
        try:
            check_position_limit(config, int(array.shape[0]), 0, True)
        except InputError as error:
            raise InputError(f"sequence {index}: {error}") from None
        arrays.append(array.astype(model.xp.int64, copy=False))
    parallel = name == "numpy"
    batch = pack(arrays)
    hidden = embed(model, batch).astype(model.dtype, copy=False)
    for layer, (qkv_weight, qkv_bias) in zip(model.encoder.layer, fused_layer_weights(model)):
        xp = namespace(hidden)
        qkv = xp.matmul(hidden, qkv_weight.T)  # (tokens, 3 * all_head)
        for_row_slices(lambda a, b: add_(qkv[a:b], qkv_bias), qkv.shape[0], parallel=parallel)
        context = attend(layer, qkv, batch, config.is_decoder, parallel)
        attention_output = dense_residual_norm(context, layer.attention.output.dense, hidden,
                                               layer.attention.output.LayerNorm, parallel)
        inner = feed_forward_inner(layer, attention_output, parallel)
        hidden = dense_residual_norm(inner, layer.output.dense, attention_output, layer.output.LayerNorm,
                                     parallel)
    xp = namespace(hidden)
    outputs = [None] * len(arrays)
    for packed_index, (start, length) in enumerate(zip(batch.starts, batch.lengths)):
        outputs[batch.order[packed_index]] = hidden[start:start + length]
    pooled = None
    if model.pooler is not None:
        firsts = xp.stack([output[0] for output in outputs])  # (batch, hidden)
        pooled = xp.tanh(model.pooler.dense(firsts))  # (batch, hidden)
    return PackedOutput(last_hidden_state=outputs, pooler_output=pooled)
