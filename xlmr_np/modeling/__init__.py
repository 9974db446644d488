"""The XLM-RoBERTa architecture, one reference component per module."""

from .model import XLMRobertaModel
from .pretrained import XLMRobertaPreTrainedModel

__all__ = ["XLMRobertaModel", "XLMRobertaPreTrainedModel"]
