"""``Encoding``: one row of a tokenizer call, as the ``tokenizers`` library's ``Encoding``.

transformers' fast tokenizer keeps one ``tokenizers.Encoding`` per row: ``enc.encodings[i]``,
or ``enc[i]``. Code written for it reads rows this way::

    row = enc[0]
    row.ids, row.tokens, row.offsets     # [0, 35378, 2], ['<s>', '▁Hello', '</s>'], [(0, 0), (0, 5), (0, 0)]
    row.word_ids                         # [None, 0, None]
    row.word_to_tokens(0)                # (1, 2): a plain tuple, not a TokenSpan
    row.char_to_token(3)                 # 1

An ``Encoding`` here is a read-only view of row ``i`` of its ``BatchEncoding``: the values come
from the call's fields and from the same per-row alignment (``batch_encoding._Row``) that the
``BatchEncoding`` methods use, so ``enc[i].token_to_word(t) == enc.token_to_word(i, t)``. As in
``tokenizers``, every row has ``type_ids``, ``attention_mask`` and ``special_tokens_mask``
whether or not the call asked for those fields, spans are plain tuples, and ``word_to_chars``
of a word without tokens is None (the ``BatchEncoding`` method raises). docs/tokenizer.md,
"Alignment", lists what differs from ``tokenizers``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, List, Optional, Tuple

if TYPE_CHECKING:
    from .batch_encoding import BatchEncoding, _Row

Span = Tuple[int, int]


class Encoding:
    """Row ``row`` of ``batch`` with the read-only interface of ``tokenizers.Encoding`` (0.15)."""

    __slots__ = ("_batch", "_row")

    def __init__(self, batch: "BatchEncoding", row: int):
        self._batch = batch
        self._row = row  # a valid, non-negative row index

    def __repr__(self) -> str:
        return (
            f"Encoding(num_tokens={len(self)}, attributes=[ids, type_ids, tokens, offsets, "
            "attention_mask, special_tokens_mask, overflowing])"
        )

    def __len__(self) -> int:
        return len(self.sequence_ids)

    def _alignment(self, method: str) -> "_Row":
        return self._batch._row(self._row, method)

    # ------------------------------------------------------------------ per-token values

    @property
    def ids(self) -> List[int]:
        """The token ids of the row, padding included."""
        return self._batch._field_row("input_ids", self._row)

    @property
    def type_ids(self) -> List[int]:
        """The token type of each token: 0 everywhere, XLM-R has one token type (padding too)."""
        return [0] * len(self)

    @property
    def tokens(self) -> List[str]:
        """The token strings (``BatchEncoding.tokens``)."""
        return self._batch.tokens(self._row)

    @property
    def offsets(self) -> List[Span]:
        """The ``(start, end)`` characters of each token in its text (or word); ``(0, 0)`` for special and padding tokens."""
        return [tuple(span) for span in self._alignment("offsets").offsets]

    @property
    def attention_mask(self) -> List[int]:
        """1 for the row's tokens, 0 for its padding, also when the call returned no ``attention_mask``."""
        return self._batch._attention_mask_row(self._row)

    @property
    def special_tokens_mask(self) -> List[int]:
        """1 for the special tokens the call added (``<s>``, ``</s>``) and for padding, 0 for the texts' tokens.

        A special token written in a text (``"a <mask>"``) belongs to the text: 0, as in ``tokenizers``.
        """
        return [int(sequence is None) for sequence in self.sequence_ids]

    @property
    def word_ids(self) -> List[Optional[int]]:
        """The word of each token (``BatchEncoding.word_ids``); None for special and padding tokens."""
        return self._batch.word_ids(self._row)

    @property
    def words(self) -> List[Optional[int]]:
        """Deprecated alias of :attr:`word_ids` (a ``DeprecationWarning``, as in ``tokenizers``)."""
        warnings.warn(
            "Deprecated in 0.9.4: Encoding.words is deprecated, please use Encoding.word_ids instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.word_ids

    @property
    def sequence_ids(self) -> List[Optional[int]]:
        """0 / 1 for tokens of the first / second text, None for special and padding tokens."""
        return self._batch.sequence_ids(self._row)

    @property
    def n_sequences(self) -> int:
        """1 for a text, 2 for a pair."""
        return self._batch.n_sequences or 1

    @property
    def overflowing(self) -> List["Encoding"]:
        """With ``return_overflowing_tokens=True``: on the first row of each example, the example's
        other rows (its later windows, which are also rows of the batch); [] on every other row.

        That is what transformers' fast tokenizer gives. Without ``return_overflowing_tokens``
        this is always [] (``tokenizers`` there keeps the windows truncation cut off, which no
        row of a transformers call shows).
        """
        return [Encoding(self._batch, row) for row in self._batch._overflow_rows(self._row)]

    # ------------------------------------------------------------------ index -> index maps

    def token_to_sequence(self, token_index: int) -> Optional[int]:
        """The text (0 or 1) of a token; None for special and padding tokens and past the end."""
        return self._batch.token_to_sequence(self._row, token_index)

    def token_to_word(self, token_index: int) -> Optional[int]:
        """The word of a token in its text; None for special and padding tokens and past the end."""
        return self._batch.token_to_word(self._row, token_index)

    def token_to_chars(self, token_index: int) -> Optional[Span]:
        """``(start, end)`` of a token in its text (or word); None for special and padding tokens."""
        return _plain(self._batch.token_to_chars(self._row, token_index))

    def word_to_tokens(self, word_index: int, sequence_index: int = 0) -> Optional[Span]:
        """``(first, one past the last)`` token of a word of text ``sequence_index``; None if it has no tokens."""
        return _plain(self._batch.word_to_tokens(self._row, word_index, sequence_index))

    def word_to_chars(self, word_index: int, sequence_index: int = 0) -> Optional[Span]:
        """``(start, end)`` of a word: its first token's start to its last token's end; None if it has no tokens."""
        return _plain(self._batch._word_chars(self._row, word_index, sequence_index, "word_to_chars"))

    def char_to_token(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        """The first token of text ``sequence_index`` whose span holds the character; None if none does."""
        return self._batch.char_to_token(self._row, char_pos, sequence_index)

    def char_to_word(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        """The word of the token :meth:`char_to_token` finds; None if no token holds the character."""
        return self._batch.char_to_word(self._row, char_pos, sequence_index)


def _plain(span) -> Optional[Span]:
    """A ``TokenSpan`` / ``CharSpan`` as the plain tuple ``tokenizers`` returns."""
    return None if span is None else tuple(span)
