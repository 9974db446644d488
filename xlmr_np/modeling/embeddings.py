"""XLMRobertaEmbeddings: word + position + token type embeddings, then LayerNorm and dropout.

The position ids are XLM-R's own: counting starts at ``padding_idx + 1`` and pads keep
``padding_idx`` (tutorial 02 walks through it).
"""

from ..backend import namespace
from ..nn import Dropout, Embedding, LayerNorm, Module


def position_ids_from_input_ids(input_ids, padding_idx: int, past_key_values_length: int = 0):
    """Positions counted over real tokens only, offset past ``padding_idx``.

    ``[[5, 6, 1, 1]]`` with padding_idx 1 -> ``[[2, 3, 1, 1]]``; left padding
    ``[[1, 5, 6]]`` -> ``[[1, 2, 3]]``. A cache of ``past_key_values_length`` tokens shifts the
    real positions on.
    """
    xp = namespace(input_ids)
    is_token = (input_ids != padding_idx).astype(xp.int64)  # (batch, seq)
    counted = (xp.cumsum(is_token, axis=1) + past_key_values_length) * is_token  # (batch, seq)
    return counted + padding_idx


def position_ids_from_inputs_embeds(inputs_embeds, padding_idx: int):
    """Sequential positions ``padding_idx + 1 ...`` (padding can't be seen in embeddings)."""
    xp = namespace(inputs_embeds)
    batch, seq = inputs_embeds.shape[:2]
    positions = xp.arange(padding_idx + 1, seq + padding_idx + 1, dtype=xp.int64)  # (seq,)
    return xp.broadcast_to(positions[None, :], (batch, seq))


class XLMRobertaEmbeddings(Module):
    def __init__(self, config):
        self.word_embeddings = Embedding(config.vocab_size, config.hidden_size, config.pad_token_id)
        self.position_embeddings = Embedding(config.max_position_embeddings, config.hidden_size,
                                             config.pad_token_id)
        self.token_type_embeddings = Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)
        self.padding_idx = config.pad_token_id
        self.position_embedding_type = config.position_embedding_type

    def forward(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None,
                past_key_values_length=0):  # -> (batch, seq, hidden)
        if position_ids is None:
            if input_ids is not None:
                position_ids = position_ids_from_input_ids(input_ids, self.padding_idx,
                                                           past_key_values_length)
            else:
                position_ids = position_ids_from_inputs_embeds(inputs_embeds, self.padding_idx)
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)  # (batch, seq, hidden)
        if token_type_ids is None:  # all zeros: every token gets row 0
            embeddings = inputs_embeds + self.token_type_embeddings.weight[0]
        else:
            embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if self.position_embedding_type == "absolute":
            embeddings = embeddings + self.position_embeddings(position_ids)
        embeddings = self.LayerNorm(embeddings)
        return self.dropout(embeddings)
