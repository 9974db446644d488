"""Multi-head attention: XLMRobertaSelfAttention, XLMRobertaSelfOutput, XLMRobertaAttention.

One module serves three uses, as in the reference: self-attention in the encoder, causal
self-attention with a key/value cache in a decoder, and cross-attention over an encoder's output.
Tutorial 03 computes one head by hand and then all of them.
"""

from __future__ import annotations

import math

from ..backend import namespace
from ..nn import Dropout, Embedding, LayerNorm, Linear, Module


def softmax(scores, axis=-1):
    """exp(s - max) / sum(exp(s - max)): the max shift keeps exp from overflowing."""
    xp = namespace(scores)
    shifted = scores - xp.max(scores, axis=axis, keepdims=True)
    exps = xp.exp(shifted)
    return exps / xp.sum(exps, axis=axis, keepdims=True)


def relative_position_embeddings(distance_embedding, query_length, key_length, use_cache):
    """Embeddings of the distances ``l - r`` between query ``l`` and key ``r``: (q, k, head_dim).

    With a cache the reference places every query at the last key position (``key_length - 1``),
    which is exact for the one-token steps of decoding.
    """
    xp = namespace(distance_embedding.weight)
    if use_cache:
        left = xp.full((1, 1), key_length - 1, dtype=xp.int64)  # (1, 1)
    else:
        left = xp.arange(query_length, dtype=xp.int64)[:, None]  # (q, 1)
    right = xp.arange(key_length, dtype=xp.int64)[None, :]  # (1, k)
    max_positions = (distance_embedding.weight.shape[0] + 1) // 2
    distance = left - right + (max_positions - 1)  # (q or 1, k), shifted to be >= 0
    return distance_embedding(distance)  # (q or 1, k, head_dim)


def query_position_scores(query, positions):
    """sum_d query[b, h, l, d] * positions[l, r, d], as one matmul batched over l.

    query (batch, heads, q, head_dim), positions (q or 1, k, head_dim) -> (batch, heads, q, k)
    """
    xp = namespace(query)
    batch, heads, q_len, head_dim = query.shape
    by_query = xp.reshape(xp.transpose(query, (2, 0, 1, 3)), (q_len, batch * heads, head_dim))
    scores = xp.matmul(by_query, xp.swapaxes(positions, -1, -2))  # (q, batch * heads, k)
    scores = xp.reshape(scores, (q_len, batch, heads, scores.shape[-1]))
    return xp.transpose(scores, (1, 2, 0, 3))


def key_position_scores(key, positions):
    """sum_d key[b, h, r, d] * positions[l, r, d], as one matmul batched over r.

    key (batch, heads, k, head_dim), positions (q or 1, k, head_dim) -> (batch, heads, q or 1, k)
    """
    xp = namespace(key)
    batch, heads, k_len, head_dim = key.shape
    by_key = xp.reshape(xp.transpose(key, (2, 0, 1, 3)), (k_len, batch * heads, head_dim))
    scores = xp.matmul(by_key, xp.transpose(positions, (1, 2, 0)))  # (k, batch * heads, q)
    scores = xp.reshape(scores, (k_len, batch, heads, scores.shape[-1]))
    return xp.transpose(scores, (1, 2, 3, 0))


class XLMRobertaSelfAttention(Module):
    def __init__(self, config, position_embedding_type=None):
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = Linear(config.hidden_size, self.all_head_size)
        self.key = Linear(config.hidden_size, self.all_head_size)
        self.value = Linear(config.hidden_size, self.all_head_size)
        self.dropout = Dropout(config.attention_probs_dropout_prob)
        self.position_embedding_type = position_embedding_type or config.position_embedding_type
        if self.position_embedding_type in ("relative_key", "relative_key_query"):
            self.max_position_embeddings = config.max_position_embeddings
            self.distance_embedding = Embedding(2 * config.max_position_embeddings - 1,
                                                self.attention_head_size)
        self.is_decoder = config.is_decoder

    def split_heads(self, x):  # (batch, seq, heads * head_dim) -> (batch, heads, seq, head_dim)
        xp = namespace(x)
        batch, seq = x.shape[:2]
        x = xp.reshape(x, (batch, seq, self.num_attention_heads, self.attention_head_size))
        return xp.transpose(x, (0, 2, 1, 3))

    def merge_heads(self, x):  # (batch, heads, seq, head_dim) -> (batch, seq, heads * head_dim)
        xp = namespace(x)
        batch, _, seq, _ = x.shape
        return xp.reshape(xp.transpose(x, (0, 2, 1, 3)), (batch, seq, self.all_head_size))

    def forward(self, hidden_states, attention_mask=None, head_mask=None, encoder_hidden_states=None,
                encoder_attention_mask=None, past_key_value=None, output_attentions=False):
        xp = namespace(hidden_states)
        query = self.split_heads(self.query(hidden_states))  # (batch, heads, q, head_dim)

        is_cross_attention = encoder_hidden_states is not None
        if is_cross_attention and past_key_value is not None:
            key, value = past_key_value  # the encoder's keys and values never change
            attention_mask = encoder_attention_mask
        elif is_cross_attention:
            key = self.split_heads(self.key(encoder_hidden_states))  # (batch, heads, enc, head_dim)
            value = self.split_heads(self.value(encoder_hidden_states))
            attention_mask = encoder_attention_mask
        elif past_key_value is not None:
            key = xp.concatenate([past_key_value[0], self.split_heads(self.key(hidden_states))], axis=2)
            value = xp.concatenate([past_key_value[1], self.split_heads(self.value(hidden_states))], axis=2)
        else:
            key = self.split_heads(self.key(hidden_states))  # (batch, heads, k, head_dim)
            value = self.split_heads(self.value(hidden_states))
        use_cache = past_key_value is not None
        present = (key, value) if self.is_decoder else None

        scores = xp.matmul(query, xp.swapaxes(key, -1, -2))  # (batch, heads, q, k)
        if scores.dtype == xp.float16:
            scores = scores.astype(xp.float32)  # float16 models: scores, mask and softmax in float32
        if self.position_embedding_type in ("relative_key", "relative_key_query"):
            positions = relative_position_embeddings(self.distance_embedding, query.shape[2],
                                                     key.shape[2], use_cache).astype(query.dtype)
            scores = scores + query_position_scores(query, positions)
            if self.position_embedding_type == "relative_key_query":
                scores = scores + key_position_scores(key, positions)
        scores = scores / math.sqrt(self.attention_head_size)
        if attention_mask is not None:
            scores = scores + attention_mask  # 0 where allowed, dtype min where masked

        probs = softmax(scores).astype(value.dtype, copy=False)  # (batch, heads, q, k)
        probs = self.dropout(probs)
        if head_mask is not None:
            probs = probs * head_mask  # this layer's mask, broadcast to (batch, heads, q, k)
        context = self.merge_heads(xp.matmul(probs, value))  # (batch, q, hidden)
        return context, (probs if output_attentions else None), present


class XLMRobertaSelfOutput(Module):
    """dense -> dropout -> add the attention input -> LayerNorm."""

    def __init__(self, config):
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):  # (batch, seq, hidden) -> (batch, seq, hidden)
        hidden_states = self.dropout(self.dense(hidden_states))
        return self.LayerNorm(hidden_states + input_tensor)


class XLMRobertaAttention(Module):
    """Self-attention (or cross-attention) followed by its output projection and residual."""

    def __init__(self, config, position_embedding_type=None):
        self.self = XLMRobertaSelfAttention(config, position_embedding_type)
        self.output = XLMRobertaSelfOutput(config)
        self.pruned_heads = set()

    def prune_heads(self, heads):
        """Remove whole heads: their rows of query/key/value and their columns of output.dense."""
        heads = set(heads) - self.pruned_heads
        if not heads:
            return
        attention = self.self
        # Positions of the heads among the ones still present.
        kept = [h for h in range(attention.num_attention_heads + len(self.pruned_heads))
                if h not in self.pruned_heads]
        keep_heads = [index for index, h in enumerate(kept) if h not in heads]
        size = attention.attention_head_size
        rows = namespace(attention.query.weight).asarray(
            [index * size + offset for index in keep_heads for offset in range(size)], dtype="int64")
        for linear in (attention.query, attention.key, attention.value):
            linear.weight = linear.weight[rows]  # (kept * head_dim, hidden)
            linear.bias = linear.bias[rows]
        self.output.dense.weight = self.output.dense.weight[:, rows]  # (hidden, kept * head_dim)
        attention.num_attention_heads = len(keep_heads)
        attention.all_head_size = attention.num_attention_heads * size
        self.pruned_heads |= heads

    def forward(self, hidden_states, attention_mask=None, head_mask=None, encoder_hidden_states=None,
                encoder_attention_mask=None, past_key_value=None, output_attentions=False):
        context, probs, present = self.self(hidden_states, attention_mask, head_mask,
                                            encoder_hidden_states, encoder_attention_mask,
                                            past_key_value, output_attentions)
        return self.output(context, hidden_states), probs, present
