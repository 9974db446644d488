"""Character offsets of tokens in the original text, equal to ``XLMRobertaTokenizerFast``'s.

For each stretch of text between special tokens we know SentencePiece's pieces (their
concatenation is the normalised text, "▁" included). We replay the fast tokenizer's
normalisation on :class:`AlignedText`; if it yields the same normalised text, each piece covers
a run of normalised characters, and the piece's offsets are ``(first char's span start, last
char's span end)`` — exactly how ``tokenizers`` computes them.

If the fast tokenizer would normalise differently (rare: e.g. a decomposed "a + acute +
circumflex", whose cluster the fast normaliser shortens to "á", or Hangul jamo that
SentencePiece composes into a syllable), we ask SentencePiece to tokenise the fast tokenizer's
normalised text. If that gives the same ids as the real pieces (typically the difference sits
inside one unknown-character token), those pieces are what the fast tokenizer produces and they
map onto its alignment. Otherwise the fast tokenizer's own *tokens* differ from the slow
tokenizer's, so there is nothing to be equal to: we replay SentencePiece's normalisation with
the same span conventions instead. Should that also fail to match (not seen in testing), every
piece of the stretch gets the stretch's whole span.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

from .alignment import AlignedText, Span
from .charsmap import CharsMap
from .normalization import METASPACE, fast_pipeline, sentencepiece_pipeline
from .sentencepiece_model import NormalizerSettings

FAST_RULES = "fast"
FAST_RULES_RETOKENISED = "fast-retokenised"
SENTENCEPIECE_RULES = "sentencepiece"
WHOLE_STRETCH = "whole-stretch"


def _spans_of_pieces(text: AlignedText, pieces: Sequence[str]) -> Optional[List[Span]]:
    if "".join(pieces) != text.text:
        return None
    spans = text.spans
    result = []
    position = 0
    for piece in pieces:
        last = position + len(piece) - 1
        result.append((spans[position][0], spans[last][1]))
        position = last + 1
    return result


class OffsetMapper:
    """Maps SentencePiece pieces of one stretch of text back to original character spans.

    ``encode_pieces`` runs SentencePiece on a text and returns its pieces; ``piece_ids`` turns
    pieces into ids. Both are only used in the rare case described in the module docstring.
    """

    def __init__(
        self,
        normalizer: NormalizerSettings,
        encode_pieces: Callable[[str], List[str]],
        piece_ids: Callable[[Sequence[str]], List[int]],
    ):
        self._charsmap = CharsMap(normalizer.precompiled_charsmap)
        self._add_prefix = normalizer.add_dummy_prefix
        self._encode_pieces = encode_pieces
        self._piece_ids = piece_ids
        self._plain_chars: set = set()  # characters the fast normaliser leaves alone (a cache)
        self.last_rules = FAST_RULES  # which rule set produced the most recent spans (for tests)

    def align(self, text: str, start: int, pieces: Sequence[str]) -> Tuple[List[Span], Sequence[str]]:
        """Original ``(start, end)`` character spans of ``pieces``, the pieces of ``text``, and the fast tokenizer's pieces.

        ``start`` is the position of ``text`` inside the full original string. The fast
        tokenizer's pieces are ``pieces`` themselves, except where it normalises differently
        and its pieces have the same ids: then an unknown piece may hold other characters
        (``"á\u0302Ǎ"``: SentencePiece's ``"\u0302Ǎ"``, the fast tokenizer's ``"Ǎ"``), and
        ``BatchEncoding.tokens()`` shows the fast tokenizer's.
        """
        if not pieces:
            return [], pieces
        aligned = AlignedText.from_original(text, start)
        fast_pipeline(aligned, self._charsmap, self._add_prefix, self._plain_chars)
        result = _spans_of_pieces(aligned, pieces)
        if result is not None:
            self.last_rules = FAST_RULES
            return result, pieces
        fast_pieces = self._encode_pieces(aligned.text.replace(METASPACE, " "))
        if self._piece_ids(fast_pieces) == self._piece_ids(pieces):
            result = _spans_of_pieces(aligned, fast_pieces)
            if result is not None:
                self.last_rules = FAST_RULES_RETOKENISED
                return result, fast_pieces
        aligned = AlignedText.from_original(text, start)
        sentencepiece_pipeline(aligned, self._charsmap, self._add_prefix)
        result = _spans_of_pieces(aligned, pieces)
        if result is not None:
            self.last_rules = SENTENCEPIECE_RULES
            return result, pieces
        self.last_rules = WHOLE_STRETCH
        return [(start, start + len(text))] * len(pieces), pieces
