"""Checking and normalising what callers pass to the tokenizer.

Every rejection is an ``InputError`` whose message names the offending value and the rule it
broke. The length rules (``resolve_lengths``) are transformers' own, so that the same call
pads and truncates the same way.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ..errors import InputError
from . import padding as padding_rules
from . import truncation as truncation_rules

VERY_LARGE_INTEGER = int(1e30)
"""``model_max_length`` of a tokenizer that has none (transformers' value)."""

LARGE_INTEGER = int(1e20)
"""Above this, ``model_max_length`` counts as "no limit" when padding or truncating to it."""


def require_str(value, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a str, got {type(value).__name__}: {value!r:.80}")
    return value


def require_encodable(text: str) -> None:
    """Reject strings that cannot be written as UTF-8 (lone surrogates such as '\\ud800')."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(
            f"text contains the lone surrogate {text[error.start]!r} (U+{ord(text[error.start]):04X}) at "
            f"position {error.start}; only valid Unicode text can be tokenised"
        ) from None


def is_integer(value) -> bool:
    return isinstance(value, int) or (hasattr(value, "ndim") and value.ndim == 0 and hasattr(value, "item"))


def as_id_list(token_ids) -> List[int]:
    """Accept an int, a list/tuple of ints, or a 0-/1-D array (NumPy, torch, ...)."""
    if hasattr(token_ids, "tolist"):
        token_ids = token_ids.tolist()
    if isinstance(token_ids, int):
        return [token_ids]
    if not isinstance(token_ids, (list, tuple)):
        raise InputError(f"token ids must be an int or a sequence of ints, got {type(token_ids).__name__}")
    result = []
    for token_id in token_ids:
        if isinstance(token_id, bool) or not isinstance(token_id, int):
            if hasattr(token_id, "item"):
                token_id = token_id.item()
            if isinstance(token_id, bool) or not isinstance(token_id, int):
                raise InputError(f"token ids must be ints, got {type(token_id).__name__}: {token_id!r:.80}")
        result.append(token_id)
    return result


def check_non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{name} must be an int >= 0, got {value!r}")
    return value


def check_positive_int(name: str, value, error_type) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise error_type(f"{name} must be an int > 0, got {value!r}")
    return value


def examples_of_call(text, text_pair) -> Tuple[bool, List[Tuple[str, Optional[str]]]]:
    """Normalise the call's inputs to ``(batched, [(text, pair or None), ...])``."""
    if isinstance(text, str):
        if text_pair is not None and not isinstance(text_pair, str):
            raise InputError(f"text is one str, so text_pair must be a str too, got {type(text_pair).__name__}")
        return False, [(text, text_pair)]
    if not isinstance(text, (list, tuple)):
        raise InputError(f"text must be a str or a list of str, got {type(text).__name__}: {text!r:.80}")
    if not text:
        raise InputError("text is an empty list; there is nothing to tokenise")
    if text_pair is not None:
        if not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text):
            raise InputError(
                f"text is a batch of {len(text)}, so text_pair must be a list of {len(text)} str, got {text_pair!r:.80}"
            )
        pairs = list(zip(text, text_pair))
    else:
        pairs = [tuple(item) if isinstance(item, (list, tuple)) else (item, None) for item in text]
    examples = []
    for index, pair in enumerate(pairs):
        if len(pair) != 2:
            raise InputError(f"batch item {index} must be a str or a (text, text_pair) pair, got {pair!r:.80}")
        first, second = pair
        if not isinstance(first, str) or not (second is None or isinstance(second, str)):
            raise InputError(f"batch item {index} must hold str values, got {pair!r:.80}")
        examples.append((first, second))
    return True, examples


def _require_words(words, what: str) -> List[str]:
    if not isinstance(words, (list, tuple)):
        raise InputError(
            f"with is_split_into_words=True, {what} must be a list of words (str), got {type(words).__name__}: {words!r:.80}"
        )
    for index, word in enumerate(words):
        if not isinstance(word, str):
            raise InputError(f"{what}: word {index} must be a str, got {type(word).__name__}: {word!r:.80}")
    return list(words)


def examples_of_split_call(text, text_pair) -> Tuple[bool, List[Tuple[List[str], Optional[List[str]]]]]:
    """``examples_of_call`` for pre-split input (``is_split_into_words=True``): lists of words.

    ``text`` is one example (a list of words, possibly empty) or a batch (a list whose first item
    is itself a list); ``text_pair`` matches it. Returns ``(batched, [(words, pair words or None), ...])``.
    """
    batched = isinstance(text, (list, tuple)) and len(text) > 0 and isinstance(text[0], (list, tuple))
    if not batched:
        first = _require_words(text, "text")
        second = None if text_pair is None else _require_words(text_pair, "text_pair")
        return False, [(first, second)]
    if text_pair is not None and (not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text)):
        raise InputError(
            f"text is a batch of {len(text)} word lists, so text_pair must be a list of {len(text)} word lists, got {text_pair!r:.80}"
        )
    examples = []
    for index, words in enumerate(text):
        first = _require_words(words, f"batch item {index}")
        second = None if text_pair is None else _require_words(text_pair[index], f"text_pair item {index}")
        examples.append((first, second))
    return True, examples


def resolve_lengths(padding, truncation, max_length, pad_to_multiple_of, model_max_length: int):
    """transformers' rules for combining ``padding``, ``truncation`` and ``max_length``.

    Returns ``(padding_strategy, truncation_strategy, max_length)``:

    * ``max_length`` alone (no padding, ``truncation`` left at None) switches on
      ``"longest_first"`` truncation, for backward compatibility;
    * without ``max_length``, padding to ``"max_length"`` and truncation use
      ``model_max_length`` — or are switched off when the model has no real limit;
    * when padding and truncating together, ``max_length`` must be a multiple of
      ``pad_to_multiple_of``.
    """
    if max_length is not None:
        max_length = check_non_negative_int("max_length", max_length)
    if pad_to_multiple_of is not None:
        pad_to_multiple_of = check_positive_int("pad_to_multiple_of", pad_to_multiple_of, InputError)
    if max_length is not None and padding is False and truncation is None:
        truncation = truncation_rules.LONGEST_FIRST  # transformers' backward-compatible default
    padding_strategy = padding_rules.resolve_strategy(padding)
    truncation_strategy = truncation_rules.resolve_strategy(truncation)
    if max_length is None:
        no_limit = model_max_length > LARGE_INTEGER
        if padding_strategy == padding_rules.MAX_LENGTH:
            if no_limit:
                padding_strategy = padding_rules.DO_NOT_PAD
            else:
                max_length = model_max_length
        if truncation_strategy != truncation_rules.DO_NOT_TRUNCATE:
            if no_limit:
                truncation_strategy = truncation_rules.DO_NOT_TRUNCATE
            else:
                max_length = model_max_length
    if (
        truncation_strategy != truncation_rules.DO_NOT_TRUNCATE
        and padding_strategy != padding_rules.DO_NOT_PAD
        and pad_to_multiple_of is not None
        and max_length is not None
        and max_length % pad_to_multiple_of
    ):
        raise InputError(
            f"truncation length max_length={max_length} is not a multiple of pad_to_multiple_of={pad_to_multiple_of}"
        )
    return padding_strategy, truncation_strategy, max_length
