"""XLMRobertaLMHead and XLMRobertaForMaskedLM: predict the token at every position.

The head is dense -> exact GELU -> LayerNorm -> decoder, and the decoder's weight IS the word
embedding matrix (one array, two names), as in the reference: the score of token ``v`` is the
dot product with the same vector that embeds ``v``. Checkpoints therefore store the matrix once,
under ``roberta.embeddings.word_embeddings.weight``; the decoder's bias is stored as
``lm_head.bias``. See docs/heads.md.
"""

from __future__ import annotations

import warnings

from ..activations import gelu
from ..nn import LayerNorm, Linear, Module
from ..losses import cross_entropy
from ..modeling.model import XLMRobertaModel
from ..modeling.pretrained import resized_rows
from .base import XLMRobertaTaskModel, reference_tuple
from .labels import token_class_ids
from .outputs import MaskedLMOutput

TIED_DECODER_KEYS = ("lm_head.decoder.weight", "lm_head.decoder.bias")


class XLMRobertaLMHead(Module):
    """dense -> gelu -> layer_norm -> decoder (hidden -> vocab), decoder bias = ``self.bias``."""

    def __init__(self, config):
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.decoder = Linear(config.hidden_size, config.vocab_size)
        self.bias = self.decoder.bias  # one array under two names, as the reference's tie

    def forward(self, features):  # (batch, seq, hidden) -> (batch, seq, vocab)
        x = self.dense(features)
        x = gelu(x)  # the exact erf GELU, whatever config.hidden_act says
        x = self.layer_norm(x)
        return self.decoder(x)  # x @ word_embeddings.T + bias


class TiedLMHeadMixin:
    """Ties ``lm_head.decoder`` to the word embeddings and hides the duplicate names.

    With ``tie_word_embeddings`` (the default) ``lm_head.decoder.weight`` is the embedding array
    and ``lm_head.decoder.bias`` is ``lm_head.bias``; ``named_parameters`` lists each array once
    (under the name the checkpoint uses), so loading, saving and ``to()`` touch it once and
    ``tie_weights`` points the decoder back at it afterwards. With ``tie_word_embeddings=False``
    the decoder weight is a parameter of its own (saved as ``lm_head.decoder.weight``), and only
    the bias stays shared, as in the reference.
    """

    tied_checkpoint_keys = TIED_DECODER_KEYS
    # Older checkpoints store the shared decoder bias only as lm_head.decoder.bias.
    checkpoint_aliases = {"lm_head.bias": "lm_head.decoder.bias"}

    def setup_tying(self):
        if not self.config.tie_word_embeddings:
            self.tied_checkpoint_keys = ("lm_head.decoder.bias",)  # the weight is saved and loaded
        self.tie_weights()

    def tie_weights(self):
        """Point the decoder at the word-embedding array (with ``tie_word_embeddings``) and at the
        output bias ``lm_head.bias``. When the vocabulary size changed (``resize_token_embeddings``),
        the bias is first padded with zeros or cut to the decoder's rows, as the reference's
        ``_tie_or_clone_weights`` does (its ``torchscript`` cloning is not mirrored: the
        decoder always shares the array)."""
        if self.config.tie_word_embeddings:
            weight = self.roberta.embeddings.word_embeddings.weight  # (vocab, hidden)
            self.lm_head.decoder.weight = weight
            bias = self.lm_head.bias
            if bias is not None and bias.shape[0] != weight.shape[0]:
                self.lm_head.bias = resized_rows(bias, weight.shape[0])  # (vocab,): zeros added or rows cut
        self.lm_head.decoder.bias = self.lm_head.bias

    def named_parameters(self):
        for key, value in super().named_parameters():
            if key not in self.tied_checkpoint_keys:
                yield key, value

    def get_output_embeddings(self):
        """The decoder, ``lm_head.decoder``: an ``nn.Linear`` (hidden_size -> vocab_size)."""
        return self.lm_head.decoder

    def set_output_embeddings(self, new_embeddings):
        """Make ``new_embeddings`` the decoder, and its bias the output bias ``lm_head.bias`` (the
        reference's head takes the decoder's bias on the next ``tie_weights``; here at once). With
        ``tie_word_embeddings`` the next ``tie_weights`` points its weight back at the word
        embeddings. Unlike the reference, it must be an ``nn.Linear`` of (config.vocab_size,
        hidden_size) on the model's backend and dtype; on the CPU its weight is laid out for the
        BLAS (``lay_out_linear_weights``)."""
        self._check_replacement(new_embeddings, Linear, "set_output_embeddings")
        self.lm_head.decoder = new_embeddings
        self.lm_head.bias = new_embeddings.bias
        self.lay_out_linear_weights()


class XLMRobertaForMaskedLM(TiedLMHeadMixin, XLMRobertaTaskModel):
    """Encoder without pooler + LM head; labels give the masked-LM cross-entropy (-100 ignored)."""

    optional_prefixes = ("lm_head.",)

    def __init__(self, config, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        if config.is_decoder:
            warnings.warn("If you want to use XLMRobertaForMaskedLM make sure config.is_decoder=False "
                          "for bi-directional self-attention.", stacklevel=2)
        self.roberta = XLMRobertaModel(config, add_pooling_layer=False, _initialise=False)
        self.lm_head = XLMRobertaLMHead(config)
        self.setup_tying()
        self.post_init(seed, initialise=_initialise)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                head_mask=None, inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None,
                labels=None, output_attentions=None, output_hidden_states=None, return_dict=True):
        outputs = self.roberta(input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                               inputs_embeds, encoder_hidden_states, encoder_attention_mask,
                               output_attentions=output_attentions,
                               output_hidden_states=output_hidden_states)
        sequence_output = outputs.last_hidden_state  # (batch, seq, hidden)
        logits = self.lm_head(sequence_output)  # (batch, seq, vocab)

        loss = None
        if labels is not None:
            xp, vocab = self.xp, self.config.vocab_size
            labels = token_class_ids(labels, logits, self.backend, vocab, "vocab_size")
            loss = cross_entropy(xp.reshape(logits, (-1, vocab)), xp.reshape(labels, (-1,)))

        output = MaskedLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                attentions=outputs.attentions)
        return output if return_dict else reference_tuple(loss, (logits,), outputs)
