"""The project's error types, one per domain.

Every error a user can provoke with bad input is one of these, with a message that names the
offending value and the limit it broke. They subclass ``ValueError`` so code written against
transformers' exceptions keeps working.
"""


class XLMRError(ValueError):
    """Base class of all xlmr_np errors."""


class ConfigError(XLMRError):
    """A configuration (``config.json`` or constructor arguments) is invalid."""


class CheckpointError(XLMRError):
    """A checkpoint file or directory is missing, malformed, or does not fit the model."""


class InputError(XLMRError):
    """Arguments passed to a forward, a loss or generation are invalid."""
