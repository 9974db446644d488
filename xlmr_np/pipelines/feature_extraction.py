"""``feature-extraction`` and sentence embeddings.

``feature-extraction`` returns the final hidden state of every token, as transformers'
FeatureExtractionPipeline (a nested list ``[1][tokens][hidden]`` per input).

``sentence-embedding`` pools them into one vector per text as sentence-transformers does:
CLS, mean or max over the real tokens (padding never counts: packed batches have none),
optionally L2-normalised. A checkpoint saved by sentence-transformers says how in
``modules.json``, ``1_Pooling/config.json`` and ``sentence_bert_config.json``; these are read
when present, so models such as multilingual-e5 or paraphrase-multilingual-mpnet give their
intended vectors.
"""

from __future__ import annotations

import json
import math
import os

from ..backend import namespace, to_numpy
from ..errors import CheckpointError, InputError
from ..modeling import XLMRobertaModel
from .base import Pipeline

# sentence-transformers' pooling modes, in the order it concatenates them.
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len")
POOLING_KEYS = {"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens",
                "mean": "pooling_mode_mean_tokens", "mean_sqrt_len": "pooling_mode_mean_sqrt_len_tokens"}


class FeatureExtractionPipeline(Pipeline):
    task = "feature-extraction"
    model_class = XLMRobertaModel

    def run(self, texts):
        encodings = self.tokenizer(list(texts), truncation=True, max_length=self.max_tokens())["input_ids"]
        return [[to_numpy(hidden).tolist()] for hidden in self.hidden_states(encodings)]


def read_sentence_transformers_config(directory):
    """(pooling modes, normalize, max_seq_length) from a sentence-transformers folder, or None."""
    modules_file = os.path.join(directory, "modules.json")
    if not os.path.isfile(modules_file):
        return None
    try:
        with open(modules_file, encoding="utf-8") as handle:
            modules = json.load(handle)
        types = {module["type"].rsplit(".", 1)[-1]: module.get("path", "") for module in modules}
        modes, normalize, max_length = ["cls"], "Normalize" in types, None
        if "Pooling" in types:
            with open(os.path.join(directory, types["Pooling"], "config.json"), encoding="utf-8") as handle:
                pooling = json.load(handle)
            modes = [mode for mode in POOLING_MODES if pooling.get(POOLING_KEYS[mode])]
            unsupported = [key for key, value in pooling.items()
                           if key.startswith("pooling_mode") and value and key not in POOLING_KEYS.values()]
            if unsupported:
                raise CheckpointError(f"{directory}: pooling {', '.join(unsupported)} is not supported")
        bert_config = os.path.join(directory, "sentence_bert_config.json")
        if os.path.isfile(bert_config):
            with open(bert_config, encoding="utf-8") as handle:
                max_length = json.load(handle).get("max_seq_length")
    except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{directory}: unreadable sentence-transformers config ({error})") from error
    return modes, normalize, max_length


class SentenceEmbeddingPipeline(Pipeline):
    """``embed(["a text", ...])`` -> array (texts, dim): pooled, optionally normalised vectors."""

    task = "sentence-embedding"
    model_class = XLMRobertaModel

    def __init__(self, model, tokenizer, batch_size=32, pooling=None, normalize=None, max_length=None,
                 source=None):
        super().__init__(model, tokenizer, batch_size)
        found = read_sentence_transformers_config(source) if source else None
        modes, found_normalize, found_length = found or (["cls"], False, None)
        if pooling is not None:
            modes = [pooling] if isinstance(pooling, str) else pooling
            if not isinstance(modes, (list, tuple)) or not modes:
                raise InputError(f"pooling must be a mode or a non-empty list of modes "
                                 f"({', '.join(POOLING_MODES)}), got {pooling!r}")
        for mode in modes:
            if mode not in POOLING_MODES:
                raise InputError(f"pooling {mode!r} is not known; choose from {', '.join(POOLING_MODES)}")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                       or max_length < 1):
            raise InputError(f"max_length must be an integer >= 1, got {max_length!r}")
        self.pooling = list(modes)
        self.normalize = found_normalize if normalize is None else bool(normalize)
        self.max_length = min(max_length or found_length or self.max_tokens(), self.max_tokens())

    def pool(self, hidden):  # (tokens, hidden) -> (len(pooling) * hidden,)
        xp = namespace(hidden)
        parts = []
        for mode in self.pooling:
            if mode == "cls":
                parts.append(hidden[0])
            elif mode == "max":
                parts.append(xp.max(hidden, axis=0))
            elif mode == "mean":
                parts.append(xp.mean(hidden, axis=0))
            else:  # mean_sqrt_len: sum / sqrt(tokens)
                parts.append(xp.sum(hidden, axis=0) / math.sqrt(hidden.shape[0]))
        vector = xp.concatenate(parts)
        if self.normalize:
            vector = vector / max(float(xp.sqrt(xp.sum(vector * vector))), 1e-12)
        return vector

    def run(self, texts):
        encodings = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        vectors = [self.pool(hidden) for hidden in self.hidden_states(encodings)]
        return to_numpy(namespace(vectors[0]).stack(vectors))
