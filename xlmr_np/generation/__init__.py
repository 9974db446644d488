"""Text generation for the causal LM: greedy search, sampling and beam search with a KV cache."""

from .beam_scorer import BeamHypotheses, BeamSearchScorer
from .logits_processing import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, sampling_warpers
from .mixin import GenerationMixin

__all__ = ["BeamHypotheses", "BeamSearchScorer", "GenerationMixin", "TemperatureLogitsWarper",
           "TopKLogitsWarper", "TopPLogitsWarper", "sampling_warpers"]
