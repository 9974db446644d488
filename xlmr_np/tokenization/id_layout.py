"""The fairseq id layout: how XLM-R numbers its vocabulary, written once.

XLM-R was trained with fairseq, whose dictionary does not use SentencePiece's ids directly.
fairseq reserves four ids of its own and then appends every SentencePiece piece; the model's
embedding matrix is indexed by these fairseq ids::

    model id   token      where it comes from
    --------   --------   ------------------------------------------------------------
    0          <s>        fairseq (also the classifier token, ``cls_token``)
    1          <pad>      fairseq
    2          </s>       fairseq (also the separator, ``sep_token``)
    3          <unk>      fairseq
    4 ...      pieces     SentencePiece piece ``k`` (k >= 3) gets model id ``k + 1``
    n + 1      <mask>     appended last; ``n`` is the SentencePiece vocabulary size

Why ``+ 1`` (the "fairseq offset"): SentencePiece itself starts with ``<unk>`` = 0, ``<s>`` = 1,
``</s>`` = 2. Shifting everything by one puts SentencePiece's 3rd piece (the first real one)
at model id 4, right after fairseq's four specials.

Collisions, resolved the way transformers' ``XLMRobertaTokenizer`` resolves them:

* SentencePiece's ``<unk>`` (sp id 0) would shift to 1 (``<pad>``); instead it maps to fairseq's
  ``<unk>`` = 3. This is the only sp id that SentencePiece's encoder emits among 0..2.
* SentencePiece's ``<s>`` / ``</s>`` control pieces (sp ids 1, 2) would shift to 2 / 3. The
  encoder never emits control pieces, and the *names* ``<s>``, ``</s>``, ``<pad>``, ``<unk>``
  always resolve to fairseq's ids (the fairseq table is consulted first), so model ids 2 and 3
  mean ``</s>`` and ``<unk>``.
* ``vocab_size = n + 2``: the n shifted pieces occupy ids 1..n (ids 1..3 are overwritten by the
  fairseq names above), plus id 0 and the ``<mask>`` id n + 1.
"""

from __future__ import annotations

from typing import Dict, List

FAIRSEQ_OFFSET = 1
"""Model id = SentencePiece id + 1 for every ordinary piece."""

FAIRSEQ_SPECIALS: Dict[str, int] = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
"""The four tokens fairseq numbers itself, by name."""

SENTENCEPIECE_UNK_ID = 0
"""SentencePiece's own id for an unknown piece (the trainer default, used by XLM-R)."""


class FairseqIdLayout:
    """Converts between SentencePiece ids/pieces and XLM-R model ids.

    ``sentencepiece_size`` is ``len(SentencePieceProcessor)``; ``piece_of_sentencepiece_id`` and
    ``sentencepiece_id_of_piece`` are the processor's ``IdToPiece`` / ``PieceToId``.
    """

    def __init__(self, sentencepiece_size: int, piece_of_sentencepiece_id, sentencepiece_id_of_piece):
        self.sentencepiece_size = sentencepiece_size
        self.unk_id = FAIRSEQ_SPECIALS["<unk>"]
        self.mask_id = sentencepiece_size + FAIRSEQ_OFFSET
        self.vocab_size = sentencepiece_size + FAIRSEQ_OFFSET + 1
        self._named_ids = dict(FAIRSEQ_SPECIALS)
        self._named_ids["<mask>"] = self.mask_id
        self._names_of_ids = {model_id: name for name, model_id in self._named_ids.items()}
        self._piece_of_sentencepiece_id = piece_of_sentencepiece_id
        self._sentencepiece_id_of_piece = sentencepiece_id_of_piece
        self._known_pieces: Dict[str, int] = {}  # cache of id_of_token for vocabulary pieces

    def model_ids(self, sentencepiece_ids: List[int]) -> List[int]:
        """Shift the ids SentencePiece's encoder returns into model ids (``0`` becomes ``<unk>``)."""
        unk_id = self.unk_id
        return [piece_id + FAIRSEQ_OFFSET if piece_id else unk_id for piece_id in sentencepiece_ids]

    def id_of_token(self, token: str) -> int:
        """Model id of a token string; unknown strings give ``<unk>``'s id."""
        known = self._known_pieces.get(token)
        if known is not None:
            return known
        named = self._named_ids.get(token)
        if named is not None:
            return named
        piece_id = self._sentencepiece_id_of_piece(token)
        if piece_id == SENTENCEPIECE_UNK_ID:
            return self.unk_id  # not cached: unknown strings are unbounded
        self._known_pieces[token] = piece_id + FAIRSEQ_OFFSET
        return piece_id + FAIRSEQ_OFFSET

    def token_of_id(self, model_id: int) -> str:
        """Token string of a model id in ``0 .. vocab_size - 1`` (the caller checks the range)."""
        named = self._names_of_ids.get(model_id)
        if named is not None:
            return named
        return self._piece_of_sentencepiece_id(model_id - FAIRSEQ_OFFSET)
