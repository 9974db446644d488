"""Output containers of the task models, with the reference's class and field names.

Like the base model's output they read by attribute, by name or by position among the fields
that are set (``out.logits``, ``out["loss"]``, ``out[0]``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..modeling.outputs import ModelOutput


@dataclasses.dataclass
class MaskedLMOutput(ModelOutput):
    loss: Any = None  # 0-d
    logits: Any = None  # (batch, seq, vocab)
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclasses.dataclass
class CausalLMOutputWithCrossAttentions(ModelOutput):
    loss: Any = None  # 0-d
    logits: Any = None  # (batch, seq, vocab)
    past_key_values: tuple | None = None  # per layer: (key, value[, cross_key, cross_value])
    hidden_states: tuple | None = None
    attentions: tuple | None = None
    cross_attentions: tuple | None = None


@dataclasses.dataclass
class SequenceClassifierOutput(ModelOutput):
    loss: Any = None  # 0-d
    logits: Any = None  # (batch, num_labels)
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclasses.dataclass
class MultipleChoiceModelOutput(ModelOutput):
    loss: Any = None  # 0-d
    logits: Any = None  # (batch, num_choices)
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclasses.dataclass
class TokenClassifierOutput(ModelOutput):
    loss: Any = None  # 0-d
    logits: Any = None  # (batch, seq, num_labels)
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclasses.dataclass
class QuestionAnsweringModelOutput(ModelOutput):
    loss: Any = None  # 0-d
    start_logits: Any = None  # (batch, seq)
    end_logits: Any = None  # (batch, seq)
    hidden_states: tuple | None = None
    attentions: tuple | None = None
