"""Special ("added") tokens and how text is cut around them before SentencePiece runs.

``<s>``, ``</s>``, ``<pad>``, ``<unk>`` and ``<mask>`` written inside a text are single tokens,
never passed to SentencePiece. Both transformers tokenizers first cut the text at every
occurrence (leftmost match first, longest match at a position), then tokenise the stretches in
between separately — so each stretch gets its own "▁" dummy prefix.

An added token may *strip* whitespace next to it. XLM-R's ``<mask>`` has ``lstrip=True``:
"Paris is the <mask> of France" tokenises "Paris is the" (without its trailing space),
``<mask>``, then " of France". The stripped whitespace counts as part of ``<mask>``'s offsets,
as in the fast tokenizer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ..errors import ConfigError, InputError
from .normalization import RUST_WHITESPACE


@dataclass(frozen=True)
class AddedToken:
    """A token matched verbatim in the input, with transformers' ``AddedToken`` flags.

    Keywords and defaults are those of ``tokenizers.AddedToken``, which transformers uses:
    ``special=False``, and ``normalized`` defaulting to ``not special``. ``lstrip`` / ``rstrip``
    make the token swallow the whitespace on that side. ``normalized`` is kept and saved, but
    matching always looks at the raw text, as the slow tokenizer does (the fast one matches a
    ``normalized`` token in its normalised text; docs/tokenizer.md). ``single_word`` tokens are
    refused when a tokenizer is given them.
    """

    content: str
    lstrip: bool = False
    rstrip: bool = False
    single_word: bool = False
    normalized: Optional[bool] = None
    special: bool = False

    def __post_init__(self):
        if not isinstance(self.content, str):
            raise InputError(f"an AddedToken's content must be a str, got {type(self.content).__name__}: {self.content!r:.80}")
        for flag in ("lstrip", "rstrip", "single_word", "special"):
            object.__setattr__(self, flag, bool(getattr(self, flag)))
        normalized = not self.special if self.normalized is None else bool(self.normalized)
        object.__setattr__(self, "normalized", normalized)

    def __str__(self) -> str:
        return self.content

    def to_json(self) -> dict:
        """The dictionary transformers writes for it in ``tokenizer_config.json``."""
        return {
            "content": self.content,
            "lstrip": self.lstrip,
            "normalized": self.normalized,
            "rstrip": self.rstrip,
            "single_word": self.single_word,
            "special": self.special,
        }

    @classmethod
    def from_json(cls, value) -> "AddedToken":
        """Accept a plain string or transformers' serialised dictionary."""
        if isinstance(value, str):
            return cls(value, normalized=False, special=True)
        if not isinstance(value, dict) or not isinstance(value.get("content"), str):
            raise ConfigError(f"an added token must be a string or a dict with 'content', got {value!r}")
        return cls(
            content=value["content"],
            lstrip=bool(value.get("lstrip", False)),
            rstrip=bool(value.get("rstrip", False)),
            single_word=bool(value.get("single_word", False)),
            normalized=bool(value.get("normalized", False)),
            special=bool(value.get("special", True)),
        )


@dataclass(frozen=True)
class Stretch:
    """A piece of the input: either plain text for SentencePiece or one added token.

    ``text`` is what the slow tokenizer hands to SentencePiece (whitespace next to a stripping
    token removed with Python's ``str.strip`` rules) and starts at ``start`` in the original.
    For an added token, ``token_id`` is set and ``(start, end)`` is its offset span, which
    includes the whitespace it stripped (Unicode White_Space, as the fast tokenizer counts it).
    """

    text: str
    start: int
    end: int
    token_id: Optional[int] = None


class AddedTokenSplitter:
    """Cuts text at added tokens, reproducing transformers' matching and stripping rules."""

    def __init__(self, tokens_by_id: Dict[int, AddedToken]):
        for token_id, token in tokens_by_id.items():
            if token.single_word:
                raise ConfigError(
                    f"added token {token.content!r} (id {token_id}) has single_word=True, which this tokenizer does not support"
                )
        self._by_content = {token.content: (token_id, token) for token_id, token in tokens_by_id.items()}
        contents = sorted(self._by_content, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(content) for content in contents if content)) if contents else None

    def split(self, text: str) -> List[Stretch]:
        """The stretches of ``text`` in order; plain stretches may be empty strings."""
        if self._pattern is None:
            return [Stretch(text, 0, len(text))]
        matches: List[Tuple[int, int, int, AddedToken]] = []
        for match in self._pattern.finditer(text):
            token_id, token = self._by_content[match.group()]
            matches.append((match.start(), match.end(), token_id, token))
        if not matches:
            return [Stretch(text, 0, len(text))]
        stretches: List[Stretch] = []
        plain_start = 0
        for index, (start, end, token_id, token) in enumerate(matches):
            plain_end = start
            span_start, span_end = start, end
            if token.lstrip:
                left = text[plain_start:start]
                plain_end = plain_start + len(left.rstrip())
                span_start = max(plain_start, _skip_whitespace_left(text, start))
            stretches.append(Stretch(text[plain_start:plain_end], plain_start, plain_end))
            next_start = end
            if token.rstrip:
                following_end = matches[index + 1][0] if index + 1 < len(matches) else len(text)
                right = text[end:following_end]
                next_start = end + (len(right) - len(right.lstrip()))
                span_end = min(following_end, _skip_whitespace_right(text, end))
            stretches.append(Stretch(token.content, span_start, span_end, token_id))
            plain_start = next_start
        stretches.append(Stretch(text[plain_start:], plain_start, len(text)))
        return stretches


def _skip_whitespace_left(text: str, position: int) -> int:
    while position > 0 and text[position - 1] in RUST_WHITESPACE:
        position -= 1
    return position


def _skip_whitespace_right(text: str, position: int) -> int:
    while position < len(text) and text[position] in RUST_WHITESPACE:
        position += 1
    return position
