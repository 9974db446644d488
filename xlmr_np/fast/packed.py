"""Packed variable-length batches: the dense layers see only real tokens.

A padded batch of sentences of lengths 6..256 spends most of its matmuls on padding. Here the
sequences are concatenated into one (tokens, hidden) matrix, so every dense layer (QKV,
attention output, feed-forward) runs once on real tokens only, and attention runs per group of
equal-length sequences (no mask needed: a group has no padding). On several CPU threads, each
thread runs its own share of the sequences through all the layers (``sequence_groups``), or,
when they can't be shared evenly, the threads share each layer by its weights
(``tensor_parallel.py``). The arithmetic per token is the plain path's; tests/test_packed.py
checks the two agree.

Inference only (eval mode), encoder or causal decoder without cache or cross-attention.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
from typing import Any

from ..backend import namespace
from ..errors import InputError
from ..modeling.outputs import ModelOutput
from ..modeling.validation import as_backend_array, check_ids, check_position_limit, first_out_of_range
from . import tensor_parallel
from .blas import blas_threads_controllable, single_threaded_blas
from .kernels import bias_activation_, bias_residual_layer_norm_, layer_norm_, linear_matmul
from .packed_attention import attend
from .threads import for_each, for_row_slices, num_threads


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
    padded_layout: dict = None  # set on first use by packed_attention.padded_layout
    device_starts: Any = None  # set on first use by starts_array
    sequence_of_row: Any = None  # set on first use by row_sequences

    def starts_array(self):  # (n,) int64
        """``starts`` on the ids' device (copied there once)."""
        if self.device_starts is None:
            self.device_starts = namespace(self.ids).asarray(self.starts)
        return self.device_starts

    def row_sequences(self):  # (tokens,) int64
        """The packed sequence each row belongs to, on the ids' device (worked out once)."""
        if self.sequence_of_row is None:
            xp = namespace(self.ids)
            rows = xp.arange(self.ids.shape[0])
            self.sequence_of_row = xp.searchsorted(self.starts_array(), rows, side="right") - 1
        return self.sequence_of_row


def pack(sequences) -> PackedBatch:
    """Sort sequences (1-D int arrays) by length and concatenate them."""
    xp = namespace(sequences[0])
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    ids = xp.concatenate([sequences[i] for i in order])
    return packed_batch(ids, [int(len(sequences[i])) for i in order], order)


def pack_rows(tokens, lengths: list) -> PackedBatch:
    """``pack`` for sequences given as one array of tokens, sequence after sequence, and their
    lengths (a padded batch with the padding taken out): no copy when they are in length order."""
    xp = namespace(tokens)
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    if order == list(range(len(lengths))):
        ids = tokens
    else:
        ends = list(itertools.accumulate(lengths))
        ids = xp.concatenate([tokens[ends[i] - lengths[i]:ends[i]] for i in order])
    return packed_batch(ids, [lengths[i] for i in order], order)


def packed_batch(ids, lengths: list, order: list) -> PackedBatch:
    """The PackedBatch of ids already concatenated in ``order``, with their ``lengths``."""
    starts, groups, row = [], [], 0
    for length in lengths:
        if groups and groups[-1][2] == length:
            first, count, _ = groups[-1]
            groups[-1] = (first, count + 1, length)
        else:
            groups.append((row, 1, length))
        starts.append(row)
        row += length
    return PackedBatch(ids=ids, lengths=lengths, order=order, starts=starts, groups=groups)


def packed_position_ids(batch: PackedBatch, padding_idx: int):
    """XLM-R positions (padding_idx + 1 + count of earlier non-pad tokens), restarting per sequence."""
    xp = namespace(batch.ids)
    is_token = (batch.ids != padding_idx).astype(xp.int64)  # (tokens,)
    counted = xp.cumsum(is_token)  # non-pad tokens up to each row
    before = xp.take(counted - is_token, batch.starts_array())  # (n,): non-pad tokens before each sequence
    offsets = xp.take(before, batch.row_sequences())  # (tokens,): the same, per row
    return (counted - offsets) * is_token + padding_idx


def fused_layer_weights(model):
    """Per layer: query/key/value weights stacked into one (3 * heads * head_dim, hidden) matrix,
    with 1/sqrt(head_dim) folded into the query rows, in the Linear weights' memory order
    (Fortran order on the CPU: ``nn.matmul_layout``). Rebuilt when any of the six arrays it is
    made from is replaced (``to``, ``set_parameter``, pruning, loading); an array edited in place
    (``weight[...] = ...``) is not noticed."""
    layers = model.encoder.layer
    sources = [array for layer in layers for linear in (layer.attention.self.query, layer.attention.self.key,
                                                        layer.attention.self.value)
               for array in (linear.weight, linear.bias)]
    cache = model.__dict__.get("_fused_cache")
    # The arrays themselves are kept and compared by identity: ids of freed arrays get reused.
    if cache is not None and len(cache["sources"]) == len(sources) and all(
            cached is array for cached, array in zip(cache["sources"], sources)):
        return cache["layers"]
    fused = []
    for layer in layers:
        attention = layer.attention.self
        xp = namespace(attention.query.weight)
        scale = 1.0 / math.sqrt(attention.attention_head_size)
        parts = [attention.query.weight * scale, attention.key.weight, attention.value.weight]
        if attention.query.weight.flags.f_contiguous:  # laid out for the BLAS, as on the CPU
            weight = xp.concatenate([part.T for part in parts], axis=1).T  # (3 * all_head_size, hidden)
        else:
            weight = xp.concatenate(parts)  # (3 * all_head_size, hidden)
        bias = xp.concatenate([attention.query.bias * scale, attention.key.bias, attention.value.bias])
        fused.append((weight, bias))
    model.__dict__["_fused_cache"] = {"sources": sources, "layers": fused}
    return fused


def embed(model, batch: PackedBatch, parallel: bool):  # -> (tokens, hidden)
    embeddings = model.embeddings
    xp = namespace(embeddings.word_embeddings.weight)
    hidden = xp.take(embeddings.word_embeddings.weight, batch.ids, axis=0)  # (tokens, hidden)
    hidden += embeddings.token_type_embeddings.weight[0]
    if embeddings.position_embedding_type == "absolute":
        positions = packed_position_ids(batch, embeddings.padding_idx)
        hidden += xp.take(embeddings.position_embeddings.weight, positions, axis=0)
    norm = embeddings.LayerNorm
    for_row_slices(lambda a, b: layer_norm_(hidden[a:b], norm.weight, norm.bias, norm.eps),
                   hidden.shape[0], parallel)
    return hidden


def project_qkv(hidden, weight, bias, out):  # (rows, hidden) -> out (rows, 3 * all_head)
    linear_matmul(hidden, weight, out)
    out += bias


def dense_residual_norm(x, linear, residual, norm, out):  # -> out (rows, hidden)
    """LayerNorm(x W^T + b + residual), written into ``out``."""
    linear_matmul(x, linear.weight, out)
    bias_residual_layer_norm_(out, linear.bias, residual, norm.weight, norm.bias, norm.eps)


def feed_forward(layer, hidden, out):  # (rows, hidden) -> out (rows, hidden)
    """LayerNorm(act(h W1^T + b1) W2^T + b2 + h), written into ``out``."""
    dense = layer.intermediate.dense
    inner = linear_matmul(hidden, dense.weight)  # (rows, intermediate)
    inner = bias_activation_(inner, dense.bias, layer.intermediate.intermediate_act_fn)
    dense_residual_norm(inner, layer.output.dense, hidden, layer.output.LayerNorm, out)


def encoder_layer(layer, fused_qkv, hidden, batch: PackedBatch, is_decoder: bool):
    """One layer on packed rows, on this thread: the row-wise steps on all rows at once,
    attention per block of equal-length sequences."""
    xp = namespace(hidden)
    qkv_weight, qkv_bias = fused_qkv
    qkv = xp.empty((hidden.shape[0], qkv_weight.shape[0]), dtype=hidden.dtype)  # (tokens, 3 * all_head)
    project_qkv(hidden, qkv_weight, qkv_bias, qkv)
    context = attend(layer, qkv, batch, is_decoder)  # (tokens, all_head)
    output = layer.attention.output
    attention_output = xp.empty_like(hidden)
    dense_residual_norm(context, output.dense, hidden, output.LayerNorm, attention_output)
    layer_output = xp.empty_like(hidden)
    feed_forward(layer, attention_output, layer_output)
    return layer_output


MIN_PARALLEL_TOKENS = 256
"""Below this many tokens the BLAS's own threads do better: a matmul with few rows is bound by
reading and packing the weights, and OpenBLAS's threads do that faster together than ours do
apart. Measured on 2 cores, base model, tokens/s, BLAS threads vs ours: 1x128 456 vs 398,
8x16 480 vs 444, 32 sentences of 6-7 tokens 484 vs 474; at 256 tokens even (481-576 vs
481-566); 1x320 462 vs 497, 1x512 415 vs 478."""


def check_model(model):
    """The models encode_batch runs: eval mode, no cross-attention, float16 on CuPy only."""
    if model.training:
        raise InputError("encode_batch is for inference: call model.eval() first (dropout is on)")
    if model.config.add_cross_attention:
        raise InputError("encode_batch does not run cross-attention; use the model's forward")
    if model.dtype == "float16" and model.backend != "cupy":
        raise InputError("encode_batch runs float16 models on CuPy only (its kernels keep softmax and LayerNorm "
                         "statistics in float32 there); on the CPU run float16 models with forward")


def encode_packed(model, sequences) -> PackedOutput:
    """Run the encoder on a list of id sequences (lists or 1-D arrays) without padding them."""
    check_model(model)
    config, name, xp = model.config, model.backend, model.xp
    if len(sequences) == 0:
        raise InputError("encode_batch got no sequences")
    arrays = []
    for index, sequence in enumerate(sequences):
        if len(sequence) == 0:
            raise InputError(f"sequence {index} is empty; encode_batch needs non-empty id sequences")
        array = as_backend_array(sequence, f"sequence {index}", name, "int")
        if array.ndim != 1 or array.shape[0] == 0:
            raise InputError(f"sequence {index} must be a non-empty list of ids, got shape {tuple(array.shape)}")
        try:
            check_position_limit(config, int(array.shape[0]), 0, True)
        except InputError as error:
            raise InputError(f"sequence {index}: {error}") from None
        arrays.append(array.astype(xp.int64, copy=False))
    batch = pack(arrays)
    # One range check of all ids (on a GPU, each check waits for the device); only when it
    # fails are the sequences checked one by one, to name the first bad one.
    if first_out_of_range(batch.ids, 0, config.vocab_size) is not None:
        for index, array in enumerate(arrays):
            check_ids(array, f"sequence {index}", config.vocab_size, "vocab_size")
    return run_packed(model, batch)


def encode_packed_rows(model, tokens, lengths: list) -> PackedOutput:
    """``encode_packed`` for a padded batch with the padding taken out: ``tokens`` (int64, every
    attended id, row after row, already checked against the vocabulary by the caller, which can
    name their place in the padded batch) and each row's number of them. No per-row work: on a
    GPU each per-row step would be a kernel launch or a wait for the device."""
    check_model(model)
    if len(lengths) == 0:
        raise InputError("encode_batch got no sequences")
    for index, length in enumerate(lengths):
        if length == 0:
            raise InputError(f"sequence {index} is empty; encode_batch needs non-empty id sequences")
    longest = max(range(len(lengths)), key=lengths.__getitem__)
    try:
        check_position_limit(model.config, lengths[longest], 0, True)
    except InputError as error:
        raise InputError(f"sequence {longest}: {error}") from None
    return run_packed(model, pack_rows(tokens, lengths))


MAX_GROUP_TOKENS = 2048
"""Most tokens in one group of whole sequences (see ``sequence_groups``), which bounds the memory
of a group's activations (its feed-forward activation: 24 MiB for the base model). Measured on
2 cores, base model, 32x128: one group of 2,048 tokens per thread 663-690 tokens/s, groups of
1,024 tokens 652, of 512 tokens 555 - bigger matmuls, and no thread left with a last group while
the other idles."""

GROUP_BALANCE = 1.1
"""Run whole-sequence groups only when no thread gets more than this times an even share of the
tokens; else the threads share each layer (one long sequence would leave the others idle)."""


def sequence_groups(lengths: list, threads: int):
    """Packed sequences (indices into ``lengths``) shared into as few groups as the threads and
    MAX_GROUP_TOKENS allow - a multiple of ``threads`` of them, at most one per sequence - of
    about equal tokens, biggest first; each group's indices in packed (length) order. None when
    the threads, taking groups as they free up, would be unbalanced."""
    total = sum(lengths)
    count = min(len(lengths), threads * -(-total // (threads * MAX_GROUP_TOKENS)))  # ceil
    if count < threads:
        return None
    groups, sizes = [[] for _ in range(count)], [0] * count
    for index in sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True):
        smallest = sizes.index(min(sizes))  # longest sequences first, each to the smallest group
        groups[smallest].append(index)
        sizes[smallest] += lengths[index]
    loads = [0] * threads
    for size in sorted(sizes, reverse=True):  # as the threads will take them
        loads[loads.index(min(loads))] += size
    if max(loads) > GROUP_BALANCE * total / threads:
        return None
    return [sorted(groups[g]) for g in sorted(range(count), key=sizes.__getitem__, reverse=True)]


def encode_rows(model, batch: PackedBatch, fused_layers: list, parallel: bool):  # -> (tokens, hidden)
    """Embeddings and every encoder layer on a PackedBatch's rows; with ``parallel`` the threads
    share each layer by its weights (``tensor_parallel.py``)."""
    hidden = embed(model, batch, parallel).astype(model.dtype, copy=False)
    for layer, fused_qkv in zip(model.encoder.layer, fused_layers):
        if parallel:
            hidden = tensor_parallel.encoder_layer(layer, fused_qkv, hidden, batch, model.config.is_decoder,
                                                   num_threads())
        else:
            hidden = encoder_layer(layer, fused_qkv, hidden, batch, model.config.is_decoder)
    return hidden


def encode_group(model, batch: PackedBatch, group: list, fused_layers: list, hidden):
    """``encode_rows`` on this thread for the batch's sequences ``group``, into their rows of ``hidden``."""
    rows = [slice(batch.starts[i], batch.starts[i] + batch.lengths[i]) for i in group]
    part = pack([batch.ids[r] for r in rows])  # already in length order: pack keeps it
    result = encode_rows(model, part, fused_layers, parallel=False)  # (group tokens, hidden)
    for r, start in zip(rows, part.starts):
        hidden[r] = result[start:start + r.stop - r.start]


def run_packed(model, batch: PackedBatch) -> PackedOutput:
    """Embeddings, every layer and the pooler on a checked PackedBatch; outputs in input order."""
    xp, tokens, threads = model.xp, sum(batch.lengths), num_threads()
    # Our threads (with the BLAS on one thread) on the CPU for batches big enough; else one
    # thread of ours and the BLAS's threads - always on a GPU, where a kernel fills the device.
    parallel = model.backend == "numpy" and tokens >= MIN_PARALLEL_TOKENS and threads > 1 and blas_threads_controllable()
    fused_layers = fused_layer_weights(model)
    groups = sequence_groups(batch.lengths, threads) if parallel else None
    with single_threaded_blas() if parallel else contextlib.nullcontext():
        if groups is None:  # the threads (if any) share each layer's heads and feed-forward columns
            hidden = encode_rows(model, batch, fused_layers, parallel)
        else:  # each thread runs whole groups of sequences through all the layers: no waiting
            hidden = xp.empty((tokens, model.config.hidden_size), dtype=model.dtype)
            for_each(lambda group: encode_group(model, batch, group, fused_layers, hidden), groups)
    count = len(batch.lengths)
    outputs, first_rows = [None] * count, [0] * count
    for packed_index, (start, length) in enumerate(zip(batch.starts, batch.lengths)):
        outputs[batch.order[packed_index]] = hidden[start:start + length]
        first_rows[batch.order[packed_index]] = start
    pooled = None
    if model.pooler is not None:
        firsts = xp.take(hidden, xp.asarray(first_rows), axis=0)  # (batch, hidden): each first token
        pooled = xp.tanh(model.pooler.dense(firsts))  # (batch, hidden)
    return PackedOutput(last_hidden_state=outputs, pooler_output=pooled)
