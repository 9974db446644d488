"""Read and write SentencePiece ``ModelProto`` bytes without the ``protobuf`` package.

Only the fields that decide how text is tokenised are handled (field numbers from
``sentencepiece_model.proto``)::

    ModelProto       1: pieces (repeated SentencePiece)   2: trainer_spec   3: normalizer_spec
    SentencePiece    1: piece (string)   2: score (float)   3: type (enum, NORMAL=1 by default)
    TrainerSpec      3: model_type (UNIGRAM=1, BPE=2)   4: vocab_size
                     40..42: unk_id / bos_id / eos_id   45..47: unk_piece / bos_piece / eos_piece
    NormalizerSpec   1: name   2: precompiled_charsmap (bytes)   3: add_dummy_prefix
                     4: remove_extra_whitespaces   5: escape_whitespaces

Fields we do not write keep their proto2 defaults when SentencePiece parses the bytes
(e.g. ``pad_id = -1``, ``byte_fallback = false``), which is what XLM-R uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence

from .protobuf_wire import (
    WIRE_FIXED32,
    WIRE_LENGTH_DELIMITED,
    WIRE_VARINT,
    bytes_field,
    decode_float,
    float_field,
    iter_fields,
    varint_field,
)

# SentencePiece.Type
PIECE_NORMAL = 1
PIECE_UNKNOWN = 2
PIECE_CONTROL = 3
PIECE_USER_DEFINED = 4
PIECE_UNUSED = 5
PIECE_BYTE = 6

# TrainerSpec.ModelType
MODEL_UNIGRAM = 1
MODEL_BPE = 2

_MODEL_PIECES = 1
_MODEL_TRAINER_SPEC = 2
_MODEL_NORMALIZER_SPEC = 3

_PIECE_TEXT = 1
_PIECE_SCORE = 2
_PIECE_TYPE = 3

_TRAINER_MODEL_TYPE = 3
_TRAINER_VOCAB_SIZE = 4
_TRAINER_UNK_ID = 40
_TRAINER_BOS_ID = 41
_TRAINER_EOS_ID = 42
_TRAINER_UNK_PIECE = 45
_TRAINER_BOS_PIECE = 46
_TRAINER_EOS_PIECE = 47

_NORMALIZER_NAME = 1
_NORMALIZER_CHARSMAP = 2
_NORMALIZER_ADD_DUMMY_PREFIX = 3
_NORMALIZER_REMOVE_EXTRA_WHITESPACES = 4
_NORMALIZER_ESCAPE_WHITESPACES = 5


@dataclass(frozen=True)
class NormalizerSettings:
    """How SentencePiece prepares text before cutting it into pieces.

    ``precompiled_charsmap`` is the compiled normalisation table (for XLM-R: NFKC plus a few
    NMT-specific rules, "nmt_nfkc"); the three flags are SentencePiece's whitespace rules.
    """

    name: str = ""
    precompiled_charsmap: bytes = b""
    add_dummy_prefix: bool = True
    remove_extra_whitespaces: bool = True
    escape_whitespaces: bool = True


@dataclass(frozen=True)
class Piece:
    """One vocabulary entry of a SentencePiece model."""

    text: str
    score: float
    type: int = PIECE_NORMAL


# ----------------------------------------------------------------------------- writing


def _piece_message(piece: Piece) -> bytes:
    message = bytes_field(_PIECE_TEXT, piece.text) + float_field(_PIECE_SCORE, piece.score)
    if piece.type != PIECE_NORMAL:
        message += varint_field(_PIECE_TYPE, piece.type)
    return message


def build_model_proto(
    pieces: Sequence[Piece],
    model_type: int,
    normalizer: NormalizerSettings,
) -> bytes:
    """Serialise a ``ModelProto`` that ``SentencePieceProcessor(model_proto=...)`` can load.

    ``pieces`` must follow SentencePiece's own layout: the unknown piece, then the control
    pieces ``<s>`` and ``</s>`` (ids 0, 1, 2 — the trainer defaults), then the vocabulary.
    """
    unk_piece, bos_piece, eos_piece = (piece.text for piece in pieces[:3])
    trainer_spec = (
        varint_field(_TRAINER_MODEL_TYPE, model_type)
        + varint_field(_TRAINER_VOCAB_SIZE, len(pieces))
        + varint_field(_TRAINER_UNK_ID, 0)
        + varint_field(_TRAINER_BOS_ID, 1)
        + varint_field(_TRAINER_EOS_ID, 2)
        + bytes_field(_TRAINER_UNK_PIECE, unk_piece)
        + bytes_field(_TRAINER_BOS_PIECE, bos_piece)
        + bytes_field(_TRAINER_EOS_PIECE, eos_piece)
    )
    normalizer_spec = bytes_field(_NORMALIZER_NAME, normalizer.name)
    if normalizer.precompiled_charsmap:
        normalizer_spec += bytes_field(_NORMALIZER_CHARSMAP, normalizer.precompiled_charsmap)
    normalizer_spec += (
        varint_field(_NORMALIZER_ADD_DUMMY_PREFIX, normalizer.add_dummy_prefix)
        + varint_field(_NORMALIZER_REMOVE_EXTRA_WHITESPACES, normalizer.remove_extra_whitespaces)
        + varint_field(_NORMALIZER_ESCAPE_WHITESPACES, normalizer.escape_whitespaces)
    )
    return (
        b"".join(bytes_field(_MODEL_PIECES, _piece_message(piece)) for piece in pieces)
        + bytes_field(_MODEL_TRAINER_SPEC, trainer_spec)
        + bytes_field(_MODEL_NORMALIZER_SPEC, normalizer_spec)
    )


# ----------------------------------------------------------------------------- reading


def read_normalizer_settings(model_proto: bytes) -> NormalizerSettings:
    """The ``normalizer_spec`` of a serialised model (defaults where a field is absent)."""
    values = {}
    for field_number, wire_type, value in iter_fields(model_proto):
        if field_number == _MODEL_NORMALIZER_SPEC and wire_type == WIRE_LENGTH_DELIMITED:
            for inner_number, inner_wire, inner_value in iter_fields(value):
                values[(inner_number, inner_wire)] = inner_value
    return NormalizerSettings(
        name=values.get((_NORMALIZER_NAME, WIRE_LENGTH_DELIMITED), b"").decode("utf-8"),
        precompiled_charsmap=values.get((_NORMALIZER_CHARSMAP, WIRE_LENGTH_DELIMITED), b""),
        add_dummy_prefix=bool(values.get((_NORMALIZER_ADD_DUMMY_PREFIX, WIRE_VARINT), 1)),
        remove_extra_whitespaces=bool(
            values.get((_NORMALIZER_REMOVE_EXTRA_WHITESPACES, WIRE_VARINT), 1)
        ),
        escape_whitespaces=bool(values.get((_NORMALIZER_ESCAPE_WHITESPACES, WIRE_VARINT), 1)),
    )


def read_model_type(model_proto: bytes) -> int:
    """``trainer_spec.model_type`` (``MODEL_UNIGRAM`` when absent, the proto default)."""
    model_type = MODEL_UNIGRAM
    for field_number, wire_type, value in iter_fields(model_proto):
        if field_number == _MODEL_TRAINER_SPEC and wire_type == WIRE_LENGTH_DELIMITED:
            for inner_number, inner_wire, inner_value in iter_fields(value):
                if inner_number == _TRAINER_MODEL_TYPE and inner_wire == WIRE_VARINT:
                    model_type = inner_value
    return model_type


def read_pieces(model_proto: bytes) -> List[Piece]:
    """Every vocabulary entry, in id order."""
    pieces = []
    for field_number, wire_type, value in iter_fields(model_proto):
        if field_number != _MODEL_PIECES or wire_type != WIRE_LENGTH_DELIMITED:
            continue
        text, score, piece_type = "", 0.0, PIECE_NORMAL
        for inner_number, inner_wire, inner_value in iter_fields(value):
            if inner_number == _PIECE_TEXT and inner_wire == WIRE_LENGTH_DELIMITED:
                text = inner_value.decode("utf-8")
            elif inner_number == _PIECE_SCORE and inner_wire == WIRE_FIXED32:
                score = decode_float(inner_value)
            elif inner_number == _PIECE_TYPE and inner_wire == WIRE_VARINT:
                piece_type = inner_value
        pieces.append(Piece(text, score, piece_type))
    return pieces
