"""XLMRobertaEncoder: the stack of layers, collecting hidden states, attentions and the cache."""

from ..nn import Module
from .layer import XLMRobertaLayer
from .outputs import EncoderOutput


class XLMRobertaEncoder(Module):
    def __init__(self, config):
        self.layer = [XLMRobertaLayer(config) for _ in range(config.num_hidden_layers)]
        self.add_cross_attention = config.add_cross_attention

    def forward(self, hidden_states, attention_mask=None, head_mask=None, encoder_hidden_states=None,
                encoder_attention_mask=None, past_key_values=None, use_cache=False,
                output_attentions=False, output_hidden_states=False):
        all_hidden_states = [] if output_hidden_states else None
        all_attentions = [] if output_attentions else None
        all_cross_attentions = [] if output_attentions and self.add_cross_attention else None
        next_cache = [] if use_cache else None

        for index, layer in enumerate(self.layer):
            if output_hidden_states:
                all_hidden_states.append(hidden_states)  # the input of layer `index`
            hidden_states, self_probs, cross_probs, present = layer(
                hidden_states, attention_mask,
                head_mask[index] if head_mask is not None else None,
                encoder_hidden_states, encoder_attention_mask,
                past_key_values[index] if past_key_values is not None else None,
                output_attentions)
            if use_cache:
                next_cache.append(present)
            if output_attentions:
                all_attentions.append(self_probs)
                if all_cross_attentions is not None:
                    all_cross_attentions.append(cross_probs)
        if output_hidden_states:
            all_hidden_states.append(hidden_states)

        as_tuple = lambda items: tuple(items) if items is not None else None  # noqa: E731
        return EncoderOutput(last_hidden_state=hidden_states, past_key_values=as_tuple(next_cache),
                             hidden_states=as_tuple(all_hidden_states),
                             attentions=as_tuple(all_attentions),
                             cross_attentions=as_tuple(all_cross_attentions))
