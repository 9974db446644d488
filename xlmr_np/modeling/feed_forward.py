"""The position-wise feed-forward block: XLMRobertaIntermediate and XLMRobertaOutput.

hidden -> intermediate (4x wider) -> activation -> hidden, then dropout, residual and LayerNorm.
``chunk_size_feed_forward`` runs it on slices of the sequence to bound peak memory; the result
is the same, since every position is computed independently.
"""

from ..activations import ACT2FN
from ..backend import namespace
from ..errors import InputError
from ..nn import Dropout, LayerNorm, Linear, Module


class XLMRobertaIntermediate(Module):
    def __init__(self, config):
        self.dense = Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = ACT2FN[config.hidden_act]

    def forward(self, hidden_states):  # (batch, seq, hidden) -> (batch, seq, intermediate)
        return self.intermediate_act_fn(self.dense(hidden_states))


class XLMRobertaOutput(Module):
    """dense back to hidden -> dropout -> add the block input -> LayerNorm."""

    def __init__(self, config):
        self.dense = Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):  # (batch, seq, intermediate) -> (batch, seq, hidden)
        hidden_states = self.dropout(self.dense(hidden_states))
        return self.LayerNorm(hidden_states + input_tensor)


def apply_chunking_to_forward(forward, chunk_size, hidden_states):
    """``forward(hidden_states)`` computed on sequence slices of ``chunk_size`` (0: all at once)."""
    if chunk_size == 0:
        return forward(hidden_states)
    seq = hidden_states.shape[1]
    if seq % chunk_size:
        raise InputError(
            f"sequence length {seq} is not a multiple of chunk_size_feed_forward={chunk_size}"
        )
    xp = namespace(hidden_states)
    chunks = [forward(hidden_states[:, start:start + chunk_size]) for start in range(0, seq, chunk_size)]
    return xp.concatenate(chunks, axis=1)
