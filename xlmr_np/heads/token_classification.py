"""XLMRobertaForTokenClassification: one label per token (named entities, part of speech, ...)."""

from __future__ import annotations

from ..losses import cross_entropy
from ..modeling.model import XLMRobertaModel
from ..nn import Dropout, Linear
from .base import XLMRobertaTaskModel, reference_tuple
from .labels import token_class_ids
from .outputs import TokenClassifierOutput
from .sequence_classification import classifier_dropout_probability


class XLMRobertaForTokenClassification(XLMRobertaTaskModel):
    """Encoder (no pooler) -> dropout -> Linear(hidden, num_labels) at every position."""

    optional_prefixes = ("classifier.",)

    def __init__(self, config, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        self.roberta = XLMRobertaModel(config, add_pooling_layer=False, _initialise=False)
        self.dropout = Dropout(classifier_dropout_probability(config))
        self.classifier = Linear(config.hidden_size, config.num_labels)
        self.post_init(seed, initialise=_initialise)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                head_mask=None, inputs_embeds=None, labels=None, output_attentions=None,
                output_hidden_states=None, return_dict=True):
        outputs = self.roberta(input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                               inputs_embeds, output_attentions=output_attentions,
                               output_hidden_states=output_hidden_states)
        sequence_output = self.dropout(outputs.last_hidden_state)  # (batch, seq, hidden)
        logits = self.classifier(sequence_output)  # (batch, seq, num_labels)

        loss = None
        if labels is not None:
            xp, num_labels = self.xp, self.config.num_labels
            labels = token_class_ids(labels, logits, self.backend, num_labels, "num_labels")
            loss = cross_entropy(xp.reshape(logits, (-1, num_labels)), xp.reshape(labels, (-1,)))

        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                       attentions=outputs.attentions)
        return output if return_dict else reference_tuple(loss, (logits,), outputs)
