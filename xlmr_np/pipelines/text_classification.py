"""``text-classification``: labels and scores, as transformers' TextClassificationPipeline.

The score function follows the reference: sigmoid for multi-label models and for a single
output, softmax otherwise. Output shapes follow it too: without ``top_k`` each input gives its
best ``{"label", "score"}`` (a single string gives a list holding that dict); with ``top_k``
each input gives a list of dicts, best first (``top_k=None``: every label).
"""

from __future__ import annotations

from ..activations import sigmoid
from ..backend import to_numpy
from ..errors import InputError
from ..heads import XLMRobertaForSequenceClassification
from ..modeling.attention import softmax
from .base import Pipeline

FUNCTIONS = ("softmax", "sigmoid", "none")
LEGACY = object()  # top_k not given: the reference's older output shape


class TextClassificationPipeline(Pipeline):
    """``classify("text")`` -> ``[{"label", "score"}]``; ``classify(texts, top_k=None)`` -> all labels."""

    task = "text-classification"
    model_class = XLMRobertaForSequenceClassification

    def score_function(self, function_to_apply):
        if function_to_apply is not None:
            if function_to_apply not in FUNCTIONS:
                raise InputError(f"function_to_apply={function_to_apply!r}; choose one of {', '.join(FUNCTIONS)}")
            return function_to_apply
        config = self.model.config
        if config.problem_type == "multi_label_classification" or config.num_labels == 1:
            return "sigmoid"
        return "softmax"

    def __call__(self, inputs, **options):
        results = super().__call__(inputs, **options)
        return [results] if isinstance(inputs, str) and "top_k" not in options else results

    def run(self, texts, top_k=LEGACY, function_to_apply=None):
        if top_k is not LEGACY and top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise InputError(f"top_k must be a positive integer or None, got {top_k!r}")
        function = self.score_function(function_to_apply)
        for index, item in enumerate(texts):
            if not isinstance(item, str) and not (isinstance(item, dict) and "text" in item):
                raise InputError(f"input {index} is {item!r}; text-classification takes a str, or a dict "
                                 f"{{'text': ..., 'text_pair': ...}} for a pair of texts")
        pairs = [(item["text"], item.get("text_pair")) if isinstance(item, dict) else (item, None)
                 for item in texts]
        encodings = [self.tokenizer(text, text_pair=pair, truncation=True, max_length=self.max_tokens())["input_ids"]
                     for text, pair in pairs]
        id2label = self.model.config.id2label
        results = []
        for hidden in self.hidden_states(encodings):
            logits = self.model.classifier(hidden[None])[0]  # (num_labels,)
            scores = {"softmax": softmax, "sigmoid": sigmoid, "none": lambda x: x}[function](logits)
            scores = to_numpy(scores)
            ranked = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
            labelled = [{"label": id2label[i], "score": float(scores[i])} for i in ranked]
            if top_k is LEGACY:
                results.append(labelled[0])
            else:
                results.append(labelled if top_k is None else labelled[:top_k])
        return results
