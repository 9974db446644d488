"""Turning tokens back into text, as the slow ``XLMRobertaTokenizer`` does.

SentencePiece marks a word start with "▁", so decoding is: join the token strings, turn every
"▁" into a space, strip the ends. Special tokens stay as their text ("<s>", "</s>") unless
``skip_special_tokens=True`` drops them beforehand. Optionally a few English-specific spaces
are then removed (``clean_up_tokenization_spaces``, on by default for XLM-R).

This is not an exact inverse of tokenisation: normalisation (NFKC, collapsed whitespace) is
lost, and unknown characters come back as "<unk>".
"""

from __future__ import annotations

from typing import Iterable

from .normalization import METASPACE

_CLEAN_UP_REPLACEMENTS = (
    (" .", "."),
    (" ?", "?"),
    (" !", "!"),
    (" ,", ","),
    (" ' ", "'"),
    (" n't", "n't"),
    (" 'm", "'m"),
    (" 's", "'s"),
    (" 've", "'ve"),
    (" 're", "'re"),
)


def tokens_to_string(tokens: Iterable[str]) -> str:
    """Join SentencePiece tokens into text: "▁" becomes a space, ends are stripped."""
    return "".join(tokens).replace(METASPACE, " ").strip()


def clean_up_tokenization(text: str) -> str:
    """Remove the space before English punctuation and contractions ("a ." -> "a.", "do n't" -> "don't")."""
    for before, after in _CLEAN_UP_REPLACEMENTS:
        text = text.replace(before, after)
    return text
