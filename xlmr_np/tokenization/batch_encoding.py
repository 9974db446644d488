"""``BatchEncoding``: the dictionary a tokenizer call returns, with attribute access and the
fast tokenizer's alignment methods.

It behaves like transformers' ``BatchEncoding``: ``enc["input_ids"]``, ``enc.input_ids``,
``enc.keys()``, ``dict(enc)``. Values are Python lists, or NumPy arrays with
``return_tensors="np"``. Like the output of ``XLMRobertaTokenizerFast`` it also maps between
tokens, words and characters, row by row::

    enc = tokenizer([["Paris", "is", "nice"]], is_split_into_words=True)
    enc.word_ids(0)          # [None, 0, 1, 2, None]: the word of each token (None: special/padding)
    enc.word_to_tokens(0, 2) # TokenSpan(start=3, end=4)
    enc.token_to_chars(0, 1) # CharSpan(start=0, end=5): in the word (or text) the token came from

The methods follow transformers 4.39.3 backed by the ``tokenizers`` library's ``Encoding``,
quirks included (docs/tokenizer.md, "Alignment"): ``token_to_word(i)`` with one index reads row
0 whatever the batch size; ``sequence_index`` naming a sequence the row does not have searches
the whole row; an index past the end gives None. Where transformers raises (a negative index, a
row that does not exist, ``word_to_chars`` of a word without tokens) we raise ``InputError``.

Token strings, word ids and character spans come from a second, offset-computing pass over the
same inputs, run on the first call that needs them (at once when the call had
``return_offsets_mapping=True``); ``sequence_ids`` are known from the start.

``enc.encodings`` (and ``enc[i]``) gives each row as an ``Encoding`` (``encoding.py``) with the
interface of ``tokenizers.Encoding``, as code written for the fast tokenizer reads rows.
"""

from __future__ import annotations

import operator
import warnings
from collections import UserDict
from typing import Any, Callable, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from ..errors import InputError
from .encoding import Encoding

Span = Tuple[int, int]


class CharSpan(NamedTuple):
    """Characters ``start`` (first) to ``end`` (one past the last) of the original text."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """Tokens ``start`` (first) to ``end`` (one past the last) of a row."""

    start: int
    end: int


class Alignment:
    """For every row: the token strings, word ids and original character spans.

    What the fast tokenizer's ``Encoding`` objects hold besides ids. Special and padding tokens
    have word None and span ``(0, 0)``; spans of a pair's second text count from its start, and
    with ``is_split_into_words=True`` from the start of each word.
    """

    __slots__ = ("tokens", "word_ids", "offsets")

    def __init__(self, tokens: List[List[str]], word_ids: List[List[Optional[int]]], offsets: List[List[Span]]):
        self.tokens = tokens
        self.word_ids = word_ids
        self.offsets = offsets

    def __getstate__(self):
        return (self.tokens, self.word_ids, self.offsets)

    def __setstate__(self, state):
        self.tokens, self.word_ids, self.offsets = state


class _Row:
    """One row's alignment with the semantics of ``tokenizers``' ``Encoding`` (0.15).

    ``n_sequences`` is 1 for a text, 2 for a pair; a pair's row has a (maybe empty) token range
    for each text even when truncation removed all its tokens.
    """

    def __init__(self, sequence_ids: List[Optional[int]], alignment: Alignment, row: int, n_sequences: int):
        self.sequence_ids = sequence_ids
        self.word_ids = alignment.word_ids[row]
        self.offsets = alignment.offsets[row]
        self.n_sequences = n_sequences

    def sequence_range(self, sequence_index: int) -> range:
        """The tokens of that text, or the whole row when the row has no such text (as ``tokenizers``)."""
        if sequence_index >= self.n_sequences:
            return range(len(self.sequence_ids))
        positions = [index for index, sequence in enumerate(self.sequence_ids) if sequence == sequence_index]
        return range(positions[0], positions[-1] + 1) if positions else range(0)

    def token_to_sequence(self, token: int) -> Optional[int]:
        return self.sequence_ids[token] if token < len(self.sequence_ids) else None

    def token_to_word(self, token: int) -> Optional[int]:
        return None if self.token_to_sequence(token) is None else self.word_ids[token]

    def token_to_chars(self, token: int) -> Optional[CharSpan]:
        return None if self.token_to_sequence(token) is None else CharSpan(*self.offsets[token])

    def char_to_token(self, char: int, sequence_index: int) -> Optional[int]:
        """The first token of the sequence whose span holds ``char``."""
        for token in self.sequence_range(sequence_index):
            start, end = self.offsets[token]
            if start <= char < end:
                return token
        return None

    def char_to_word(self, char: int, sequence_index: int) -> Optional[int]:
        token = self.char_to_token(char, sequence_index)
        return None if token is None else self.token_to_word(token)

    def word_to_tokens(self, word: int, sequence_index: int) -> Optional[TokenSpan]:
        """First and one-past-last token of ``word``, scanning until a later word shows up (``tokenizers``' loop)."""
        tokens = self.sequence_range(sequence_index)
        start = end = None
        for token in tokens:
            token_word = self.word_ids[token]
            if token_word is not None and token_word > word:
                break
            if token_word == word:
                start = token if start is None else start
                end = token + 1
        return None if start is None else TokenSpan(start, end)

    def word_to_chars(self, word: int, sequence_index: int) -> Optional[CharSpan]:
        """From the start of the word's first token to the end of its last; None if it has no tokens."""
        tokens = self.word_to_tokens(word, sequence_index)
        return None if tokens is None else CharSpan(self.offsets[tokens.start][0], self.offsets[tokens.end - 1][1])


def _index(value, name: str) -> int:
    """An index argument: an int (NumPy integers too) >= 0."""
    try:
        index = operator.index(value)
    except TypeError:
        raise InputError(f"{name} must be an int, got {type(value).__name__}: {value!r:.80}") from None
    if index < 0:
        raise InputError(f"{name}={index} is negative; alignment methods take indices >= 0 (as transformers does)")
    return index


def _split_index(first: int, second: Optional[int], name: str) -> Tuple[int, int]:
    """transformers' overload: ``(index)`` means row 0, ``(batch_index, index)`` names the row."""
    if second is None:
        return 0, _index(first, name)
    return first, _index(second, name)


class BatchEncoding(UserDict):
    """Tokenizer output: ``input_ids``, ``attention_mask`` and whatever else was asked for.

    ``sequence_ids`` (one list per row), ``n_sequences`` (1 or 2) and ``alignment`` (an
    :class:`Alignment`, or a function computing it on first use) are set by the tokenizer; a
    ``BatchEncoding`` built from a plain dict has no alignment and its alignment methods raise.
    """

    def __init__(
        self,
        data: Optional[dict] = None,
        sequence_ids: Optional[List[List[Optional[int]]]] = None,
        n_sequences: Optional[int] = None,
        alignment: Union[Alignment, Callable[[], Alignment], None] = None,
    ):
        super().__init__(data or {})
        # Which input sequence (0 or 1, None for special and padding tokens) each token belongs to.
        self.__dict__["_sequence_ids"] = sequence_ids
        self.__dict__["_n_sequences"] = n_sequences
        self.__dict__["_alignment"] = alignment
        # The example of each row, kept for Encoding.overflowing also if the field is popped (as QA code does).
        samples = self.data.get("overflow_to_sample_mapping") if alignment is not None else None
        self.__dict__["_sample_of_row"] = None if samples is None else list(samples)
        self.__dict__["_encodings"] = None  # the Encoding views, made on first use

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no attribute or key {name!r}") from None

    def __getstate__(self):
        alignment = self._alignment_rows() if self._alignment is not None else None  # a pending pass runs now
        return {
            "data": self.data, "sequence_ids": self._sequence_ids, "n_sequences": self._n_sequences,
            "alignment": alignment, "sample_of_row": self._sample_of_row,
        }

    def __setstate__(self, state):
        self.__dict__["data"] = state["data"]
        self.__dict__["_sequence_ids"] = state["sequence_ids"]
        self.__dict__["_n_sequences"] = state.get("n_sequences")
        self.__dict__["_alignment"] = state.get("alignment")
        self.__dict__["_sample_of_row"] = state.get("sample_of_row")
        self.__dict__["_encodings"] = None

    def __getitem__(self, key):
        """``enc["input_ids"]``: a field; ``enc[i]``: row ``i`` as an :class:`Encoding` (``enc.encodings[i]``).

        As in transformers, a slice gives a list of ``Encoding``s, or for a ``BatchEncoding``
        built from a dict (no encodings) every field sliced; an int there is a ``KeyError``.
        """
        if isinstance(key, str):
            return super().__getitem__(key)
        encodings = self.encodings
        if encodings is None:
            if isinstance(key, slice):
                return {name: value[key] for name, value in self.data.items()}
            raise KeyError(
                f"{key!r}: a BatchEncoding built from a dict has no rows as Encodings; "
                "its keys are field names (str), or a slice of every field"
            )
        if isinstance(key, slice):
            return encodings[key]
        try:
            index = operator.index(key)
        except TypeError:
            raise TypeError(f"BatchEncoding keys are field names (str), row numbers (int) or slices, got {type(key).__name__}") from None
        if not -len(encodings) <= index < len(encodings):
            raise IndexError(f"row {index} is out of range: this BatchEncoding has {len(encodings)} rows")
        return encodings[index]

    # ------------------------------------------------------------------ what the rows hold

    @property
    def is_fast(self) -> bool:
        """True when the alignment methods (``word_ids``, ``char_to_token``, ...) are available.

        transformers says True for the output of a fast tokenizer, which is when it has them.
        """
        return self._alignment is not None

    @property
    def encodings(self) -> Optional[List[Encoding]]:
        """One :class:`~xlmr_np.tokenization.encoding.Encoding` per row (overflow rows included), as
        the fast tokenizer's ``tokenizers.Encoding`` list; None for a ``BatchEncoding`` built by hand."""
        if self._alignment is None:
            return None
        if self._encodings is None:
            self.__dict__["_encodings"] = [Encoding(self, row) for row in range(len(self._sequence_ids))]
        return self._encodings

    @property
    def n_sequences(self) -> Optional[int]:
        """1 when each row encodes one text, 2 for pairs; None for a ``BatchEncoding`` built by hand."""
        return self._n_sequences

    def _row_count(self, method: str) -> int:
        if self._sequence_ids is None or (method != "sequence_ids" and self._alignment is None):
            raise InputError(f"{method}() is only available on the output of a tokenizer call")
        return len(self._sequence_ids)

    def _row_index(self, batch_index, method: str) -> int:
        count = self._row_count(method)
        try:
            index = operator.index(batch_index)
        except TypeError:
            raise InputError(f"batch_index must be an int, got {type(batch_index).__name__}: {batch_index!r:.80}") from None
        if not -count <= index < count:
            raise InputError(f"batch_index={batch_index} is out of range for {count} rows")
        return index

    def _alignment_rows(self) -> Alignment:
        alignment = self._alignment
        if not isinstance(alignment, Alignment):
            alignment = alignment()  # the deferred offsets pass
            self.__dict__["_alignment"] = alignment
        return alignment

    def _row(self, batch_index, method: str) -> _Row:
        index = self._row_index(batch_index, method)
        return _Row(self._sequence_ids[index], self._alignment_rows(), index, self._n_sequences or 1)

    def _field_row(self, key: str, index: int) -> list:
        """Row ``index`` of a field, as a list (one text without ``return_tensors`` has a flat field)."""
        value = self.data[key]
        if isinstance(value, np.ndarray):
            return value[index].tolist() if value.ndim == 2 else value.tolist()
        return list(value[index]) if value and isinstance(value[0], list) else list(value)

    def _attention_mask_row(self, index: int) -> List[int]:
        """1 for the tokens of row ``index``, 0 for its padding, whether or not the call returned the
        field: the tokenizer's sequence-id rows (``rows.SequenceIdRows``) know where the padding went."""
        return self._sequence_ids.attention_mask(index)

    def _overflow_rows(self, index: int) -> List[int]:
        """The later rows of row ``index``'s example if it is the example's first row, else [] (``Encoding.overflowing``)."""
        samples = self._sample_of_row
        if samples is None or (index > 0 and samples[index - 1] == samples[index]):
            return []
        return [row for row in range(index + 1, len(samples)) if samples[row] == samples[index]]

    def sequence_ids(self, batch_index: int = 0) -> List[Optional[int]]:
        """For each token of row ``batch_index``: 0 (first text), 1 (second text) or None (special/padding).

        Question-answering code uses this to find the context tokens, as with the fast tokenizer.
        """
        return list(self._sequence_ids[self._row_index(batch_index, "sequence_ids")])

    def tokens(self, batch_index: int = 0) -> List[str]:
        """The token strings of row ``batch_index``, as the fast tokenizer gives them.

        Pieces as SentencePiece cuts the normalised text; an unknown character is its own text
        (unigram models) or ``<unk>`` (BPE models); a special token written in the text is the
        text it matched, whitespace stripped by ``<mask>`` included (``" <mask>"``).
        """
        index = self._row_index(batch_index, "tokens")
        return list(self._alignment_rows().tokens[index])

    def word_ids(self, batch_index: int = 0) -> List[Optional[int]]:
        """The word index of each token of row ``batch_index``; None for special and padding tokens.

        With ``is_split_into_words=True`` a word is an item of the list given (a word without
        tokens, such as ``""``, leaves its index out). For raw text, words are what the fast
        tokenizer's pre-tokenizer cuts: runs of text between whitespace, punctuation included
        (``"Hello,"`` is one word), and each special token written in the text is a word.
        Each text of a pair counts words from 0.
        """
        index = self._row_index(batch_index, "word_ids")
        return list(self._alignment_rows().word_ids[index])

    def words(self, batch_index: int = 0) -> List[Optional[int]]:
        """Deprecated alias of :meth:`word_ids` (a ``FutureWarning``, as in transformers)."""
        self._row_count("words")
        warnings.warn(
            "`BatchEncoding.words()` property is deprecated and should be replaced with the identical, "
            "but more self-explanatory `BatchEncoding.word_ids()` property.",
            FutureWarning,
            stacklevel=2,
        )
        return self.word_ids(batch_index)

    # ------------------------------------------------------------------ index -> index maps

    def token_to_sequence(self, batch_or_token_index: int, token_index: Optional[int] = None) -> Optional[int]:
        """The text (0 or 1) token ``token_index`` of row ``batch_index`` came from; None for special tokens.

        Called as ``token_to_sequence(token_index)`` (row 0) or ``token_to_sequence(batch_index, token_index)``.
        """
        batch_index, token_index = _split_index(batch_or_token_index, token_index, "token_index")
        return self._row(batch_index, "token_to_sequence").token_to_sequence(token_index)

    def token_to_word(self, batch_or_token_index: int, token_index: Optional[int] = None) -> Optional[int]:
        """The word of a token (see :meth:`word_ids`); None for special and padding tokens or past the row's end."""
        batch_index, token_index = _split_index(batch_or_token_index, token_index, "token_index")
        return self._row(batch_index, "token_to_word").token_to_word(token_index)

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: Optional[int] = None, sequence_index: int = 0
    ) -> Optional[TokenSpan]:
        """The tokens of word ``word_index`` of text ``sequence_index`` (0, or 1 in a pair) as a ``TokenSpan``.

        None when the word has no tokens in the row (an empty word, truncated away, or past the end).
        """
        batch_index, word_index = _split_index(batch_or_word_index, word_index, "word_index")
        row = self._row(batch_index, "word_to_tokens")
        return row.word_to_tokens(word_index, _index(sequence_index, "sequence_index"))

    def token_to_chars(self, batch_or_token_index: int, token_index: Optional[int] = None) -> Optional[CharSpan]:
        """The characters of the original text (or word) a token covers; None for special and padding tokens."""
        batch_index, token_index = _split_index(batch_or_token_index, token_index, "token_index")
        return self._row(batch_index, "token_to_chars").token_to_chars(token_index)

    def char_to_token(
        self, batch_or_char_index: int, char_index: Optional[int] = None, sequence_index: int = 0
    ) -> Optional[int]:
        """The token covering character ``char_index`` of text ``sequence_index``; None if none does (e.g. a space)."""
        batch_index, char_index = _split_index(batch_or_char_index, char_index, "char_index")
        row = self._row(batch_index, "char_to_token")
        return row.char_to_token(char_index, _index(sequence_index, "sequence_index"))

    def word_to_chars(self, batch_or_word_index: int, word_index: Optional[int] = None, sequence_index: int = 0) -> CharSpan:
        """The characters of a word: from its first token's start to its last token's end.

        A word without tokens in the row raises ``InputError`` (transformers: a ``TypeError``).
        """
        batch_index, word_index = _split_index(batch_or_word_index, word_index, "word_index")
        span = self._word_chars(batch_index, word_index, sequence_index, "word_to_chars")
        if span is None:
            raise InputError(
                f"word {word_index} of sequence {sequence_index} has no tokens in row {batch_index}, so it has no characters"
            )
        return span

    def _word_chars(self, batch_index, word_index: int, sequence_index, method: str) -> Optional[CharSpan]:
        """``word_to_chars`` without the error: None for a word without tokens (``Encoding.word_to_chars``)."""
        row = self._row(batch_index, method)
        return row.word_to_chars(_index(word_index, "word_index"), _index(sequence_index, "sequence_index"))

    def char_to_word(
        self, batch_or_char_index: int, char_index: Optional[int] = None, sequence_index: int = 0
    ) -> Optional[int]:
        """The word of the token covering character ``char_index``; None if no token covers it."""
        batch_index, char_index = _split_index(batch_or_char_index, char_index, "char_index")
        row = self._row(batch_index, "char_to_word")
        return row.char_to_word(char_index, _index(sequence_index, "sequence_index"))

    # ------------------------------------------------------------------ conversion

    def convert_to_numpy(self) -> "BatchEncoding":
        """Turn every value into a NumPy array (in place); rows must all have the same length."""
        for key, value in self.data.items():
            if isinstance(value, np.ndarray):
                continue
            lengths = {len(row) for row in value} if value and isinstance(value[0], list) else None
            if lengths is not None and len(lengths) > 1:
                raise InputError(
                    f"return_tensors='np' needs rows of one length but {key!r} has lengths {sorted(lengths)}; "
                    "pass padding=True or padding='max_length'"
                )
            dtype = np.int64
            self.data[key] = np.asarray(value, dtype=dtype)
        return self
