"""What the task models share beyond XLMRobertaPreTrainedModel: keeping the encoder's dtype in step.

Every task model holds the encoder as ``self.roberta`` (so its parameter paths start with
``roberta.``, the checkpoint prefix) and a head next to it. The encoder builds its masks and
casts its inputs with its own ``dtype``, so a move to another dtype must reach it too.
"""

from __future__ import annotations

from ..modeling.outputs import encoder_tail
from ..modeling.pretrained import XLMRobertaPreTrainedModel


class XLMRobertaTaskModel(XLMRobertaPreTrainedModel):
    """Base of the task models: ``roberta`` encoder + a head defined by the subclass."""

    def to(self, backend_name: str, dtype=None):
        super().to(backend_name, dtype)
        self.roberta.dtype = self.dtype
        return self


def reference_tuple(loss, head_outputs: tuple, encoder_outputs) -> tuple:
    """What a task model returns with ``return_dict=False``, as in the reference: the loss when
    there is one, the head's own outputs, then what the encoder returned besides its last hidden
    state and pooler output - the cache (a decoder config), hidden states, attentions and
    cross-attentions, those that are set. (The output classes have no cache field, so the tuple
    can hold more than the class.)"""
    return ((loss,) if loss is not None else ()) + head_outputs + encoder_tail(encoder_outputs)
