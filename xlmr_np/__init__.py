"""xlmr_np: XLM-RoBERTa as plain, explicit array operations on NumPy (CPU) or CuPy (GPU).

>>> from xlmr_np import XLMRobertaModel
>>> model = XLMRobertaModel.from_pretrained("path/to/checkpoint")   # doctest: +SKIP
>>> model(input_ids=ids, attention_mask=mask).last_hidden_state     # doctest: +SKIP
"""

from .configuration import XLMRobertaConfig
from .errors import CheckpointError, ConfigError, InputError, XLMRError
from .heads import (XLMRobertaForCausalLM, XLMRobertaForMaskedLM, XLMRobertaForMultipleChoice,
                    XLMRobertaForQuestionAnswering, XLMRobertaForSequenceClassification,
                    XLMRobertaForTokenClassification)
from .modeling import XLMRobertaModel, XLMRobertaPreTrainedModel

__version__ = "0.1.0"


def __getattr__(name):
    """Import the tokenizer on first use: ``import xlmr_np`` stays fast for model-only users."""
    if name == "XLMRobertaTokenizer":
        from .tokenization import XLMRobertaTokenizer

        return XLMRobertaTokenizer
    raise AttributeError(f"module 'xlmr_np' has no attribute {name!r}")

__all__ = [
    "CheckpointError", "ConfigError", "InputError", "XLMRError",
    "XLMRobertaConfig", "XLMRobertaModel", "XLMRobertaPreTrainedModel",
    "XLMRobertaForCausalLM", "XLMRobertaForMaskedLM", "XLMRobertaForMultipleChoice",
    "XLMRobertaForQuestionAnswering", "XLMRobertaForSequenceClassification",
    "XLMRobertaForTokenClassification", "XLMRobertaTokenizer",
]
