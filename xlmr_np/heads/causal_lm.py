"""XLMRobertaForCausalLM: the encoder run as a left-to-right decoder, with the LM head on top.

With ``config.is_decoder`` every position sees only itself and earlier positions, so the logits
at position ``t`` predict token ``t + 1``; the loss shifts logits and labels by one accordingly.
``generate`` (greedy, sampling, beam search, all with the key/value cache) comes from
``GenerationMixin``; see docs/generation.md.
"""

from __future__ import annotations

import warnings

from ..generation.mixin import GenerationMixin
from ..losses import cross_entropy
from ..modeling.model import XLMRobertaModel
from .base import XLMRobertaTaskModel
from .labels import token_class_ids
from .masked_lm import TiedLMHeadMixin, XLMRobertaLMHead
from .outputs import CausalLMOutputWithCrossAttentions


class XLMRobertaForCausalLM(TiedLMHeadMixin, GenerationMixin, XLMRobertaTaskModel):
    """Decoder (no pooler) + LM head, tied to the word embeddings as in XLMRobertaForMaskedLM."""

    optional_prefixes = ("lm_head.",)

    def __init__(self, config, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        if not config.is_decoder:
            warnings.warn("If you want to use XLMRobertaForCausalLM as a standalone, add "
                          "is_decoder=True (without it attention is bi-directional and there is "
                          "no key/value cache).", stacklevel=2)
        self.roberta = XLMRobertaModel(config, add_pooling_layer=False, _initialise=False)
        self.lm_head = XLMRobertaLMHead(config)
        self.setup_tying()
        self.post_init(seed, initialise=_initialise)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                head_mask=None, inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None,
                labels=None, past_key_values=None, use_cache=None, output_attentions=None,
                output_hidden_states=None, return_dict=True):
        if labels is not None:
            use_cache = False  # training on whole sequences: no cache to return
        outputs = self.roberta(input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                               inputs_embeds, encoder_hidden_states, encoder_attention_mask,
                               past_key_values, use_cache, output_attentions, output_hidden_states)
        sequence_output = outputs.last_hidden_state  # (batch, seq, hidden)
        logits = self.lm_head(sequence_output)  # (batch, seq, vocab)

        loss = None
        if labels is not None:
            xp, vocab = self.xp, self.config.vocab_size
            labels = token_class_ids(labels, logits, self.backend, vocab, "vocab_size")
            # Next-token prediction: the logits at t are scored against the label at t + 1.
            shifted_logits = xp.reshape(logits[:, :-1, :], (-1, vocab))  # (batch * (seq - 1), vocab)
            shifted_labels = xp.reshape(labels[:, 1:], (-1,))  # (batch * (seq - 1),)
            loss = cross_entropy(shifted_logits, shifted_labels)

        output = CausalLMOutputWithCrossAttentions(
            loss=loss, logits=logits, past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states, attentions=outputs.attentions,
            cross_attentions=outputs.cross_attentions)
        return output if return_dict else output.to_tuple()
