"""What the task models share beyond XLMRobertaPreTrainedModel: keeping the encoder's dtype in step.

Every task model holds the encoder as ``self.roberta`` (so its parameter paths start with
``roberta.``, the checkpoint prefix) and a head next to it. The encoder builds its masks and
casts its inputs with its own ``dtype``, so a move to another dtype must reach it too.
"""

from __future__ import annotations

from ..modeling.pretrained import XLMRobertaPreTrainedModel


class XLMRobertaTaskModel(XLMRobertaPreTrainedModel):
    """Base of the task models: ``roberta`` encoder + a head defined by the subclass."""

    def to(self, backend_name: str, dtype=None):
        super().to(backend_name, dtype)
        self.roberta.dtype = self.dtype
        return self
