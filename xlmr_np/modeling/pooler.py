"""XLMRobertaPooler: the first token's final hidden state through dense and tanh."""

from ..backend import namespace
from ..nn import Linear, Module


class XLMRobertaPooler(Module):
    def __init__(self, config):
        self.dense = Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states):  # (batch, seq, hidden) -> (batch, hidden)
        xp = namespace(hidden_states)
        first_token = hidden_states[:, 0]  # (batch, hidden): the <s> token
        return xp.tanh(self.dense(first_token))
