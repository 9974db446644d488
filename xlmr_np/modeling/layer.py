"""XLMRobertaLayer: attention (+ cross-attention in a decoder) then the feed-forward block."""

from ..nn import Module
from .attention import XLMRobertaAttention
from .feed_forward import XLMRobertaIntermediate, XLMRobertaOutput, apply_chunking_to_forward


class XLMRobertaLayer(Module):
    def __init__(self, config):
        self.attention = XLMRobertaAttention(config)
        self.is_decoder = config.is_decoder
        self.add_cross_attention = config.add_cross_attention
        if self.add_cross_attention:
            # Cross-attention always uses absolute positions (the reference's choice).
            self.crossattention = XLMRobertaAttention(config, position_embedding_type="absolute")
        self.intermediate = XLMRobertaIntermediate(config)
        self.output = XLMRobertaOutput(config)
        self.chunk_size_feed_forward = config.chunk_size_feed_forward

    def feed_forward_chunk(self, attention_output):  # (batch, seq, hidden) -> (batch, seq, hidden)
        return self.output(self.intermediate(attention_output), attention_output)

    def forward(self, hidden_states, attention_mask=None, head_mask=None, encoder_hidden_states=None,
                encoder_attention_mask=None, past_key_value=None, output_attentions=False):
        """Returns (layer_output, self-attention probs, cross-attention probs, present key/values)."""
        self_past = past_key_value[:2] if past_key_value is not None else None
        attention_output, self_probs, present = self.attention(
            hidden_states, attention_mask, head_mask, past_key_value=self_past,
            output_attentions=output_attentions)

        cross_probs = None
        if self.is_decoder and encoder_hidden_states is not None:
            if not self.add_cross_attention:
                raise ValueError("encoder_hidden_states were passed, but this model was built "
                                 "without cross-attention (set add_cross_attention=True)")
            cross_past = past_key_value[-2:] if past_key_value is not None else None
            attention_output, cross_probs, cross_present = self.crossattention(
                attention_output, attention_mask, head_mask, encoder_hidden_states,
                encoder_attention_mask, cross_past, output_attentions)
            present = present + cross_present  # (self key, self value, cross key, cross value)

        layer_output = apply_chunking_to_forward(self.feed_forward_chunk, self.chunk_size_feed_forward,
                                                 attention_output)
        return layer_output, self_probs, cross_probs, present
