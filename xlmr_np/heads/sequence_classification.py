"""XLMRobertaClassificationHead and XLMRobertaForSequenceClassification: one prediction per sequence.

The head reads the first token (``<s>``) of the last layer, not the pooler. The loss depends on
``config.problem_type``; when it is unset it is inferred from the labels on the first call with
labels and written to the config, exactly as the reference does:

- ``num_labels == 1``                         -> "regression" (mean squared error)
- ``num_labels > 1`` and int32/int64 labels   -> "single_label_classification" (cross-entropy)
- otherwise (float labels, one per class)     -> "multi_label_classification" (BCE with logits)
"""

from __future__ import annotations

from ..backend import namespace
from ..errors import InputError
from ..losses import bce_with_logits, cross_entropy, mse
from ..modeling.model import XLMRobertaModel
from ..nn import Dropout, Linear, Module
from .base import XLMRobertaTaskModel, reference_tuple
from .labels import class_ids, read_labels, real_targets
from .outputs import SequenceClassifierOutput


def classifier_dropout_probability(config) -> float:
    """``classifier_dropout`` if set, else ``hidden_dropout_prob`` (the reference's fallback)."""
    return config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob


class XLMRobertaClassificationHead(Module):
    """first token -> dropout -> dense -> tanh -> dropout -> out_proj."""

    def __init__(self, config):
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.dropout = Dropout(classifier_dropout_probability(config))
        self.out_proj = Linear(config.hidden_size, config.num_labels)

    def forward(self, features):  # (batch, seq, hidden) -> (batch, num_labels)
        xp = namespace(features)
        x = features[:, 0, :]  # (batch, hidden): the <s> token
        x = self.dropout(x)
        x = xp.tanh(self.dense(x))
        x = self.dropout(x)
        return self.out_proj(x)


def infer_problem_type(num_labels: int, labels) -> str:
    """The reference's rule for an unset ``config.problem_type``."""
    if num_labels == 1:
        return "regression"
    if labels.dtype.name in ("int64", "int32"):
        return "single_label_classification"
    return "multi_label_classification"


class XLMRobertaForSequenceClassification(XLMRobertaTaskModel):
    """Encoder (no pooler) + classification head; regression, single- or multi-label losses."""

    optional_prefixes = ("classifier.",)

    def __init__(self, config, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        self.roberta = XLMRobertaModel(config, add_pooling_layer=False, _initialise=False)
        self.classifier = XLMRobertaClassificationHead(config)
        self.post_init(seed, initialise=_initialise)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                head_mask=None, inputs_embeds=None, labels=None, output_attentions=None,
                output_hidden_states=None, return_dict=True):
        outputs = self.roberta(input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                               inputs_embeds, output_attentions=output_attentions,
                               output_hidden_states=output_hidden_states)
        logits = self.classifier(outputs.last_hidden_state)  # (batch, seq, hidden) -> (batch, num_labels)
        loss = self.loss(logits, labels) if labels is not None else None
        output = SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                          attentions=outputs.attentions)
        return output if return_dict else reference_tuple(loss, (logits,), outputs)

    def loss(self, logits, labels):
        """The loss of ``config.problem_type``; when unset, the inferred type is recorded in the
        config (after the labels passed the checks, so a rejected call changes nothing)."""
        labels = read_labels(labels, "labels", self.backend)
        problem_type = self.config.problem_type or infer_problem_type(logits.shape[1], labels)
        loss = self.problem_loss(problem_type, logits, labels)
        self.config.problem_type = problem_type
        return loss

    def problem_loss(self, problem_type, logits, labels):
        xp = self.xp
        batch, num_labels = logits.shape
        if problem_type == "regression":
            if num_labels == 1:  # the reference squeezes both sides: (batch, 1) and (batch,) both work
                targets = real_targets(labels, "labels", self.backend, logits.dtype, [(batch,), (batch, 1)],
                                       f"(batch,)=({batch},) or (batch, 1) regression targets")
                return mse(xp.reshape(logits, (-1,)), xp.reshape(targets, (-1,)))
            targets = real_targets(labels, "labels", self.backend, logits.dtype, [(batch, num_labels)],
                                   f"(batch, num_labels)={(batch, num_labels)} regression targets")
            return mse(logits, targets)
        if problem_type == "single_label_classification":
            ids = class_ids(labels, "labels", self.backend, [(batch,), (batch, 1)],
                            f"(batch,)=({batch},) class ids", num_labels, "num_labels")
            return cross_entropy(logits, xp.reshape(ids, (-1,)))
        # multi_label_classification: one 0/1 (or probability) target per class
        if labels.dtype.kind != "f":
            raise InputError(f"labels for multi_label_classification must be floats (one 0/1 value per "
                             f"class), got dtype {labels.dtype}; for single-label classes pass int64 ids")
        targets = real_targets(labels, "labels", self.backend, logits.dtype, [(batch, num_labels)],
                               f"(batch, num_labels)={(batch, num_labels)} for multi-label targets")
        return bce_with_logits(logits, targets)
