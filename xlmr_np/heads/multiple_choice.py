"""XLMRobertaForMultipleChoice: score each of ``num_choices`` candidate sequences, softmax across them.

Every (question, choice) pair is a row of its own: the choices are flattened into the batch,
encoded, and each pooled vector gets one score; the scores of a question's choices form the
logits over its choices. This is the one task model that uses the pooler, as in the reference.
"""

from __future__ import annotations

from ..errors import InputError
from ..losses import cross_entropy
from ..modeling.model import XLMRobertaModel
from ..modeling.validation import as_backend_array
from ..nn import Dropout, Linear
from .base import XLMRobertaTaskModel, reference_tuple
from .labels import class_ids
from .outputs import MultipleChoiceModelOutput


def flatten_choices(xp, array, name, trailing: int):
    """(batch, choices, *rest) -> (batch * choices, *rest), where ``rest`` has ``trailing`` axes."""
    if array is None:
        return None
    if array.ndim != 2 + trailing:
        raise InputError(f"{name} must be {2 + trailing}-D (batch, num_choices, ...), "
                         f"got shape {tuple(array.shape)}")
    return xp.reshape(array, (-1,) + tuple(array.shape[2:]))


class XLMRobertaForMultipleChoice(XLMRobertaTaskModel):
    """Encoder with pooler + dropout + Linear(hidden, 1) per choice."""

    optional_prefixes = ("classifier.", "roberta.pooler.")

    def __init__(self, config, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        self.roberta = XLMRobertaModel(config, add_pooling_layer=True, _initialise=False)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.classifier = Linear(config.hidden_size, 1)
        self.post_init(seed, initialise=_initialise)

    def forward(self, input_ids=None, token_type_ids=None, attention_mask=None, labels=None,
                position_ids=None, head_mask=None, inputs_embeds=None, output_attentions=None,
                output_hidden_states=None, return_dict=True):
        xp, name = self.xp, self.backend
        input_ids = as_backend_array(input_ids, "input_ids", name, "int")
        inputs_embeds = as_backend_array(inputs_embeds, "inputs_embeds", name, "float", self.dtype)
        shaped = input_ids if input_ids is not None else inputs_embeds
        if shaped is None:
            raise InputError("pass exactly one of input_ids and inputs_embeds (got neither)")
        if shaped.ndim < 2 or shaped.shape[1] == 0:
            raise InputError(f"input must be (batch, num_choices >= 1, seq), got shape {tuple(shaped.shape)}")
        num_choices = shaped.shape[1]
        flat = dict(
            input_ids=flatten_choices(xp, input_ids, "input_ids", 1),  # (batch * choices, seq)
            position_ids=flatten_choices(xp, as_backend_array(position_ids, "position_ids", name, "int"),
                                         "position_ids", 1),
            token_type_ids=flatten_choices(xp, as_backend_array(token_type_ids, "token_type_ids", name, "int"),
                                           "token_type_ids", 1),
            attention_mask=flatten_choices(xp, as_backend_array(attention_mask, "attention_mask", name, "float"),
                                           "attention_mask", 1),
            inputs_embeds=flatten_choices(xp, inputs_embeds, "inputs_embeds", 2),  # (batch * choices, seq, hidden)
        )
        outputs = self.roberta(**flat, head_mask=head_mask, output_attentions=output_attentions,
                               output_hidden_states=output_hidden_states)
        pooled_output = self.dropout(outputs.pooler_output)  # (batch * choices, hidden)
        logits = self.classifier(pooled_output)  # (batch * choices, 1)
        reshaped_logits = xp.reshape(logits, (-1, num_choices))  # (batch, choices)

        loss = None
        if labels is not None:
            batch = reshaped_logits.shape[0]
            labels = class_ids(labels, "labels", name, [(batch,)], f"(batch,)=({batch},) choice ids",
                               num_choices, "num_choices")
            loss = cross_entropy(reshaped_logits, labels)

        output = MultipleChoiceModelOutput(loss=loss, logits=reshaped_logits,
                                           hidden_states=outputs.hidden_states, attentions=outputs.attentions)
        return output if return_dict else reference_tuple(loss, (reshaped_logits,), outputs)
