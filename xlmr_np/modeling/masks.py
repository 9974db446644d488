"""Attention masks as additive scores, and the per-layer head mask.

A mask of 1 (attend) / 0 (ignore) becomes 0 / dtype-min, added to the attention scores before
the softmax, so ignored keys get weight exp(min - max) = 0. The reference uses the dtype's
minimum rather than -inf, so that a row with every key masked gives a uniform softmax instead
of NaN; we do the same.
"""

from ..backend import finfo_min, namespace


def causal_mask(batch, query_length, past_length, xp):
    """1 where query ``i`` (at absolute position past_length + i) may see key ``j``: (batch, q, past + q)."""
    query_positions = xp.arange(query_length)[:, None] + past_length  # (q, 1)
    key_positions = xp.arange(past_length + query_length)[None, :]  # (1, k)
    allowed = key_positions <= query_positions  # (q, k)
    return xp.broadcast_to(allowed[None], (batch, query_length, past_length + query_length))


def extended_attention_mask(attention_mask, query_length, is_decoder, dtype):
    """(batch, k) or (batch, q, k) mask of 1/0 -> additive (batch, 1, q or 1, k) of 0/dtype-min.

    In a decoder a 2-D mask is combined with the causal mask, so a query sees no later keys.
    """
    xp = namespace(attention_mask)
    mask = attention_mask.astype(dtype)  # cast first: int/bool arithmetic differs across backends
    if mask.ndim == 3:
        mask = mask[:, None, :, :]  # (batch, 1, q, k)
    elif is_decoder:
        batch, key_length = mask.shape
        causal = causal_mask(batch, query_length, key_length - query_length, xp).astype(dtype)
        mask = causal[:, None, :, :] * mask[:, None, None, :]  # (batch, 1, q, k)
    else:
        mask = mask[:, None, None, :]  # (batch, 1, 1, k)
    return (1.0 - mask) * finfo_min(dtype)


def inverted_encoder_mask(encoder_attention_mask, dtype):
    """Encoder padding mask (batch, enc) or (batch, q, enc) -> additive (batch, 1, 1 or q, enc)."""
    mask = encoder_attention_mask.astype(dtype)
    mask = mask[:, None, :, :] if mask.ndim == 3 else mask[:, None, None, :]
    return (1.0 - mask) * finfo_min(dtype)


def layer_mask_shape(head_mask_shape):
    """The shape of one layer's head mask, as it multiplies (batch, heads, q, k) probabilities.

    (heads,) for every layer and a (layers, heads) row -> (1, heads, 1, 1); a 5-D
    (layers, batch, heads, queries, keys) mask -> its 4-D entry as is.
    """
    if len(head_mask_shape) in (1, 2):
        return (1, head_mask_shape[-1], 1, 1)
    return tuple(head_mask_shape[1:])


def layer_head_masks(head_mask, num_layers, dtype):
    """Head mask (heads,), (layers, heads) or 5-D -> one 4-D mask per layer, or None.

    Each layer's mask multiplies that layer's attention probabilities (and its cross-attention's)
    with ordinary broadcasting; rows past ``num_layers`` are not used.
    """
    if head_mask is None:
        return None
    mask = head_mask.astype(dtype)
    if mask.ndim == 1:
        return [mask[None, :, None, None]] * num_layers  # (1, heads, 1, 1) for every layer
    if mask.ndim == 2:
        mask = mask[:, None, :, None, None]  # (layers, 1, heads, 1, 1)
    return [mask[layer] for layer in range(num_layers)]  # each (batch or 1, heads or 1, q or 1, k or 1)
