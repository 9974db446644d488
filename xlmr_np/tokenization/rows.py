"""From tokenised texts to output rows: what each row keeps, and the row's parallel lists.

An example (one text, or a text and its pair) becomes one row — or, with
``return_overflowing_tokens=True``, one row per overflow window. A row holds its ids, laid out
as ``<s> A </s>`` or ``<s> A </s></s> B </s>``, and the lengths of its two parts, from which
the special-tokens mask and the sequence ids (0 or 1 for tokens of the first or second text,
None for special tokens) are laid out when asked for; when offsets were computed, also the
spans, token strings and word ids that ``BatchEncoding.tokens()`` / ``word_ids()`` return.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

from ..errors import InputError
from . import padding as padding_rules
from . import truncation as truncation_rules
from .alignment import Span
from .batch_encoding import Alignment
from .normalization import METASPACE

NO_SPAN: Span = (0, 0)
"""Offsets of special tokens, padding, and of all tokens when offsets were not computed."""


class EncodedText:
    """The tokens of one text before special tokens are added: ids and, if asked, their alignment.

    ``spans`` are the tokens' original character spans, ``tokens`` their strings and ``words``
    their word indices (see :func:`word_ids_of_pieces`); all three are None unless offsets were
    computed.
    """

    __slots__ = ("ids", "spans", "tokens", "words")

    def __init__(
        self,
        ids: List[int],
        spans: Optional[List[Span]],
        tokens: Optional[List[str]] = None,
        words: Optional[List[int]] = None,
    ):
        self.ids = ids
        self.spans = spans
        self.tokens = tokens
        self.words = words

    @classmethod
    def joined(cls, parts: List["EncodedText"], with_offsets: bool) -> "EncodedText":
        """The tokens of several words one after the other (``is_split_into_words=True``).

        Each word's spans count from its own start, and every token of word ``i`` has word index
        ``i`` — its position in the list, also when other words give no tokens — as in the fast
        tokenizer.
        """
        ids = [token_id for part in parts for token_id in part.ids]
        if not with_offsets:
            return cls(ids, None)
        return cls(
            ids,
            [span for part in parts for span in part.spans],
            [token for part in parts for token in part.tokens],
            [index for index, part in enumerate(parts) for _ in part.ids],
        )


def word_ids_of_pieces(pieces: List[str], first_word: int) -> Tuple[List[int], int]:
    """Word indices of the SentencePiece pieces of one stretch of text, and the next free index.

    The fast tokenizer's words are the splits of its ``Metaspace`` pre-tokenizer: the normalised
    stretch (spaces already "▁", a "▁" prefixed) is cut before every "▁". SentencePiece's pieces
    never cross such a cut and a piece starting with "▁" starts a split, so a new word begins at
    the stretch's first piece and at every piece that starts with "▁"::

        ["▁He", "ll", "o", ",", "▁wor", "ld"], 0  ->  [0, 0, 0, 0, 1, 1], 2
        ["▁", "😀", "▁x"], 5                      ->  [5, 5, 6], 7
    """
    words: List[int] = []
    word = first_word - 1
    for index, piece in enumerate(pieces):
        if index == 0 or piece.startswith(METASPACE):
            word += 1
        words.append(word)
    return words, word + 1


class RowPlan(NamedTuple):
    """What decides a call's rows besides the texts: special tokens, truncation and overflow."""

    add_special_tokens: bool
    truncation_strategy: str
    max_length: Optional[int]
    stride: int
    overflow: bool
    truncation_side: str


class Row:
    """One output row: its ids and, laid out the same way on demand, its special-tokens mask and
    sequence ids (from the lengths of its two parts); offsets, token strings and word ids when
    they were computed."""

    __slots__ = ("ids", "first_count", "second_count", "add_special_tokens", "spans", "tokens", "word_ids")

    def __init__(self, ids, first_count, second_count, add_special_tokens, spans=None, tokens=None, word_ids=None):
        self.ids: List[int] = ids
        self.first_count: int = first_count  # tokens of the first text in this row
        self.second_count: Optional[int] = second_count  # of the second text; None without a pair
        self.add_special_tokens: bool = add_special_tokens
        self.spans: Optional[List[Span]] = spans  # character spans, when offsets were computed
        self.tokens: Optional[List[str]] = tokens  # token strings, when offsets were computed
        self.word_ids: Optional[List[Optional[int]]] = word_ids  # word index per token (None: special)

    @property
    def special_tokens_mask(self) -> List[int]:  # 1 for special tokens, 0 for text tokens
        second = None if self.second_count is None else [0] * self.second_count
        return _laid_out([0] * self.first_count, second, self.add_special_tokens, 1, 1)

    @property
    def sequence_ids(self) -> List[Optional[int]]:  # 0 / 1 for tokens of the first / second text, None for special tokens
        return sequence_ids_of(self.first_count, self.second_count, self.add_special_tokens)


def sequence_ids_of(first_count: int, second_count: Optional[int], add_special_tokens: bool) -> List[Optional[int]]:
    """``[None, 0, ..., 0, None]`` (then ``None, 1, ..., 1, None`` for a pair), or just the 0s and 1s."""
    second = None if second_count is None else [1] * second_count
    return _laid_out([0] * first_count, second, add_special_tokens, None, None)


class SequenceIdRows:
    """The sequence ids of every row of a call, padded like its ids, each row built when asked for
    (``BatchEncoding.sequence_ids(row)``): most calls never ask, and building them for every row
    cost as much as laying out the ids."""

    __slots__ = ("layouts", "target", "side")

    def __init__(self, rows: List[Row], target: Optional[int], side: str):
        self.layouts = [(row.first_count, row.second_count, row.add_special_tokens) for row in rows]
        self.target = target
        self.side = side

    def __len__(self) -> int:
        return len(self.layouts)

    def __getitem__(self, index: int) -> List[Optional[int]]:
        return self._padded(sequence_ids_of(*self.layouts[index]), None)

    def attention_mask(self, index: int) -> List[int]:
        """1 for row ``index``'s tokens, 0 for its padding (``Encoding.attention_mask``)."""
        return self._padded([1] * len(sequence_ids_of(*self.layouts[index])), 0)

    def _padded(self, row: list, value) -> list:
        return padding_rules.padded_row(row, self.target, value, self.side)

    def __getstate__(self):
        return self.layouts, self.target, self.side

    def __setstate__(self, state):
        self.layouts, self.target, self.side = state


def build_row(
    first: EncodedText,
    kept_first: slice,
    second: Optional[EncodedText],
    kept_second: Optional[slice],
    cls_id: int,
    sep_id: int,
    add_special_tokens: bool,
    cls_token: str = "<s>",
    sep_token: str = "</s>",
) -> Row:
    """``<s> A </s>`` or ``<s> A </s></s> B </s>`` (just ``A`` / ``A B`` without special tokens).

    Written with list concatenation rather than token by token: this runs once per row of
    every batch, so it matters for throughput. Spans, token strings and word ids are laid out the
    same way when the texts carry them (no span, ``cls_token`` / ``sep_token`` and None for the
    special tokens).
    """
    a = first.ids[kept_first]
    b = second.ids[kept_second] if second is not None else None
    if add_special_tokens:
        ids = [cls_id] + a + [sep_id]
        if b is not None:
            ids += [sep_id] + b + [sep_id]
    else:
        ids = a + b if b is not None else a
    row = Row(ids, len(a), None if b is None else len(b), add_special_tokens)
    if first.spans is not None:
        def parts(field):
            return getattr(first, field)[kept_first], (getattr(second, field)[kept_second] if b is not None else None)

        row.spans = _laid_out(*parts("spans"), add_special_tokens, NO_SPAN, NO_SPAN)
        row.tokens = _laid_out(*parts("tokens"), add_special_tokens, cls_token, sep_token)
        row.word_ids = _laid_out(*parts("words"), add_special_tokens, None, None)
    return row


def _laid_out(a: list, b: Optional[list], add_special_tokens: bool, opening, closing) -> list:
    """``opening A closing`` (then ``closing B closing`` for a pair), or ``A B`` without special tokens."""
    if not add_special_tokens:
        return a + (b or [])
    row = [opening] + a + [closing]
    if b is not None:
        row += [closing] + b + [closing]
    return row


def select_rows(
    first_length: int,
    second_length: Optional[int],
    special_count: int,
    strategy: str,
    max_length: Optional[int],
    stride: int,
    overflow: bool,
    side: str,
) -> List[Tuple[slice, Optional[slice]]]:
    """``[(kept part of the first text, kept part of the second or None), ...]``, one per row.

    Without overflow this is one row truncated as the slow tokenizer does; with overflow, one
    row per window of the truncated text (the fast tokenizer's rows).
    """
    keep_second = None if second_length is None else slice(0, second_length)
    if strategy == truncation_rules.DO_NOT_TRUNCATE or max_length is None:
        return [(slice(0, first_length), keep_second)]
    is_pair = second_length is not None
    if max_length < special_count:
        raise InputError(
            f"max_length={max_length} is smaller than the {special_count} special tokens "
            f"{'a pair' if is_pair else 'one text'} needs"
        )
    budget = max_length - special_count
    if not is_pair and strategy == truncation_rules.ONLY_SECOND:
        # Nothing to cut from: fine while the text fits (both references return it), an error otherwise.
        if first_length > budget:
            raise InputError(
                f"truncation='only_second' needs a text_pair: the text has {first_length} tokens, more than "
                f"the {budget} that max_length={max_length} leaves besides special tokens"
            )
        return [(slice(0, first_length), None)]
    if not overflow:
        return [truncation_rules.truncate(first_length, second_length, budget, strategy, side)]
    if is_pair and strategy == truncation_rules.LONGEST_FIRST:
        raise InputError(
            "return_overflowing_tokens=True with a pair of texts needs truncation='only_first' or "
            "'only_second' (as in transformers' slow tokenizer); 'longest_first' cannot say which text overflows"
        )
    if strategy == truncation_rules.ONLY_SECOND:
        window = budget - first_length
        if window <= 0 and second_length > window:
            raise InputError(
                f"truncation='only_second' leaves no room for the second text: max_length={max_length} holds "
                f"{budget} tokens besides special tokens and the first text already has {first_length}"
            )
        windows = truncation_rules.overflow_windows(second_length, window, stride, side)
        return [(slice(0, first_length), window_slice) for window_slice in windows]
    window = budget - (second_length or 0)
    if window <= 0 and first_length > window:
        raise InputError(
            f"truncation leaves no room for the first text: max_length={max_length} holds {budget} tokens "
            f"besides special tokens and the second text already has {second_length or 0}"
        )
    windows = truncation_rules.overflow_windows(first_length, window, stride, side)
    return [(window_slice, keep_second) for window_slice in windows]


def alignment_of_rows(rows: List[Row], target: Optional[int], side: str, pad_token: str) -> Alignment:
    """The rows' token strings, word ids and spans (copies), padded to ``target`` on ``side`` like the ids."""
    fields = {
        "tokens": [list(row.tokens) for row in rows],
        "word_ids": [list(row.word_ids) for row in rows],
        "offsets": [list(row.spans) for row in rows],
    }
    if target is not None:
        padding_rules.pad_rows(fields, {"tokens": pad_token, "word_ids": None, "offsets": NO_SPAN}, target, side)
    return Alignment(fields["tokens"], fields["word_ids"], fields["offsets"])
