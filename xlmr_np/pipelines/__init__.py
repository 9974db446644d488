"""Pipelines: text in, answers out, with transformers' task names and output formats.

>>> from xlmr_np.pipelines import pipeline
>>> fill = pipeline("fill-mask")                 # the default model that ships with xlmr_np
>>> fill("Are you <mask>?")                      # doctest: +SKIP
"""

from __future__ import annotations

import warnings

from ..errors import CheckpointError, InputError
from ..tokenization import XLMRobertaTokenizer
from .base import Pipeline
from .feature_extraction import FeatureExtractionPipeline, SentenceEmbeddingPipeline
from .fill_mask import FillMaskPipeline
from .model_source import DEFAULT_MODEL, has_tokenizer, resolve_model
from . import question_answering, token_classification
from .text_classification import TextClassificationPipeline

TASKS = {
    "fill-mask": FillMaskPipeline,
    "feature-extraction": FeatureExtractionPipeline,
    "sentence-embedding": SentenceEmbeddingPipeline,
    "text-classification": TextClassificationPipeline,
    **token_classification.TASKS, **question_answering.TASKS,
}
DEFAULT_MODEL_TASKS = ("fill-mask", "feature-extraction", "sentence-embedding")


def register(task: str, pipeline_class):
    TASKS[task] = pipeline_class


def pipeline(task: str, model=None, tokenizer=None, backend: str = "numpy", batch_size: int = 32, **options):
    """Build the pipeline for ``task`` from a checkpoint directory, a Hub id, or the default model."""
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; known tasks: {', '.join(sorted(TASKS))}")
    pipeline_class = TASKS[task]
    if model is None and task not in DEFAULT_MODEL_TASKS:
        raise InputError(f"the built-in default model is a masked LM with no {task} head; "
                         f"pass model= a checkpoint fine-tuned for {task}")
    if isinstance(model, (str, type(None))) or hasattr(model, "__fspath__"):
        source = resolve_model(model)
        if tokenizer is None and not has_tokenizer(source):
            raise CheckpointError(f"checkpoint directory {source} has no tokenizer "
                                  "(sentencepiece.bpe.model or tokenizer.json)")
        with warnings.catch_warnings():
            if source == DEFAULT_MODEL:  # the masked LM's head is unused by feature extraction
                warnings.simplefilter("ignore")
            loaded = pipeline_class.model_class.from_pretrained(source, backend=backend)
    else:
        source, loaded = None, model.to(backend)
    if tokenizer is None:
        if source is None:
            raise InputError("pass tokenizer= when model= is a model object")
        tokenizer = XLMRobertaTokenizer.from_pretrained(source)
    elif isinstance(tokenizer, str):
        tokenizer = XLMRobertaTokenizer.from_pretrained(tokenizer)
    if pipeline_class is SentenceEmbeddingPipeline:
        options["source"] = source
    return pipeline_class(loaded, tokenizer, batch_size=batch_size, **options)


__all__ = ["FeatureExtractionPipeline", "FillMaskPipeline", "Pipeline", "SentenceEmbeddingPipeline",
           "TextClassificationPipeline", "TASKS", "pipeline", "register"]
