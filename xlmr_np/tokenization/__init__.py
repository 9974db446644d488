"""XLM-R tokenization: ``XLMRobertaTokenizer``, id for id equal to transformers' tokenizer.

Needs the optional ``sentencepiece`` package (``pip install "xlmr-np[tokenizer]"``); it is
imported when a tokenizer is created, not when this package is imported.
"""

from .batch_encoding import BatchEncoding
from .special_tokens import AddedToken
from .tokenizer import XLMRobertaTokenizer

__all__ = ["AddedToken", "BatchEncoding", "XLMRobertaTokenizer"]
