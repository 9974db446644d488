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


def layer_head_masks(head_mask, num_layers, dtype):
    """Head mask (heads,) for every layer or (layers, heads) -> per layer (1, heads, 1, 1), or None."""
    if head_mask is None:
        return None
    xp = namespace(head_mask)
    mask = head_mask.astype(dtype)
    if mask.ndim == 1:
        mask = xp.broadcast_to(mask[None], (num_layers, mask.shape[0]))  # (layers, heads)
    return [mask[layer][None, :, None, None] for layer in range(num_layers)]
