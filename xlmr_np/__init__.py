"""xlmr_np: XLM-RoBERTa as plain, explicit array operations on NumPy (CPU) or CuPy (GPU).

>>> from xlmr_np import XLMRobertaModel
>>> model = XLMRobertaModel.from_pretrained("path/to/checkpoint")   # doctest: +SKIP
>>> model(input_ids=ids, attention_mask=mask).last_hidden_state     # doctest: +SKIP
"""

from .configuration import XLMRobertaConfig
from .errors import CheckpointError, ConfigError, InputError, XLMRError
from .modeling import XLMRobertaModel, XLMRobertaPreTrainedModel

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "ConfigError", "InputError", "XLMRError",
    "XLMRobertaConfig", "XLMRobertaModel", "XLMRobertaPreTrainedModel",
]
