"""Output containers with the reference's field names.

Fields read as attributes (``out.last_hidden_state``), by name (``out["pooler_output"]``) or by
position among the fields that are set (``out[0]``), as transformers' ModelOutput allows.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def encoder_tail(output) -> tuple:
    """What the reference's tuples (``return_dict=False``) carry after their leading outputs: the
    cache, hidden states, attentions and cross-attentions of ``output``, those that are set."""
    rest = (output.past_key_values, output.hidden_states, output.attentions, output.cross_attentions)
    return tuple(value for value in rest if value is not None)


class ModelOutput:
    """Base: attribute, key and index access over the fields that are not None."""

    def to_tuple(self) -> tuple:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self)
                     if getattr(self, f.name) is not None)

    def keys(self):
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None]

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(key)
            return getattr(self, key)
        return self.to_tuple()[key]

    def __contains__(self, key):
        return key in self.keys()

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())


@dataclasses.dataclass
class BaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    last_hidden_state: Any = None  # (batch, seq, hidden)
    pooler_output: Any = None  # (batch, hidden)
    hidden_states: tuple | None = None  # num_layers + 1 arrays (batch, seq, hidden)
    past_key_values: tuple | None = None  # per layer: (key, value[, cross_key, cross_value])
    attentions: tuple | None = None  # per layer: (batch, heads, seq, key_seq)
    cross_attentions: tuple | None = None  # per layer: (batch, heads, seq, encoder_seq)


@dataclasses.dataclass
class EncoderOutput(ModelOutput):
    """What the encoder stack returns (the reference's BaseModelOutputWithPastAndCrossAttentions)."""

    last_hidden_state: Any = None
    past_key_values: tuple | None = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None
    cross_attentions: tuple | None = None
