"""What every pipeline shares: a model, its tokenizer, and batched encoding without padding.

A pipeline turns text into the task's answer in three steps, as transformers' pipelines do:
preprocess (tokenise), forward (the model), postprocess (scores, labels, spans). The forward
step runs the encoder on packed batches (``encode_batch``), so sentences of different lengths
cost only their own tokens, and results come back in input order.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import InputError
from ..tokenization import XLMRobertaTokenizer


class Pipeline:
    """Base class: ``pipeline(inputs)`` for one input or a list of inputs."""

    task = ""
    model_class = None

    def __init__(self, model, tokenizer: XLMRobertaTokenizer, batch_size: int = 32):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    @property
    def encoder(self):
        """The bare encoder inside a task model (``model.roberta``), or the model itself."""
        return getattr(self.model, "roberta", self.model)

    def max_tokens(self) -> int:
        """Most tokens one sequence may have: the tokenizer's and the position table's limits."""
        config = self.model.config
        table = config.max_position_embeddings - config.pad_token_id - 1
        return min(self.tokenizer.model_max_length, table)

    def hidden_states(self, id_lists):
        """Final hidden states (length_i, hidden) of each id list, in order, batch by batch."""
        outputs = []
        for start in range(0, len(id_lists), self.batch_size):
            chunk = id_lists[start:start + self.batch_size]
            outputs.extend(self.encoder.encode_batch(chunk).last_hidden_state)
        return outputs

    def __call__(self, inputs, **options):
        single = isinstance(inputs, (str, dict))
        if not single and (isinstance(inputs, bytes) or not isinstance(inputs, Iterable)):
            raise InputError(f"the {self.task} pipeline takes a text or a list of texts, "
                             f"got {type(inputs).__name__}: {inputs!r}")
        items = [inputs] if single else list(inputs)
        if not items:
            return []
        results = self.run(items, **options)
        return results[0] if single else results

    def run(self, items, **options):  # pragma: no cover - each pipeline defines it
        raise NotImplementedError
