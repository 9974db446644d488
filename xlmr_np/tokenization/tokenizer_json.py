"""Rebuild the SentencePiece model of an XLM-R ``tokenizer.json`` (the fast tokenizer's file).

Some checkpoints ship only ``tokenizer.json``. For the XLM-R family it holds everything the
SentencePiece model held, in another shape:

* ``model``: a ``Unigram`` vocabulary ``[[piece, score], ...]`` in *fairseq* order —
  ``<s> <pad> </s> <unk>``, SentencePiece's pieces from id 3 on, then ``<mask>``
  (transformers' ``XLMRobertaConverter`` writes exactly this; see id_layout.py). A model
  converted from a BPE SentencePiece file is a ``BPE`` vocabulary ``{piece: id}`` instead;
  SentencePiece BPE scores are just ``-rank``, so they are rebuilt from the id order.
* ``normalizer``: a ``Precompiled`` step whose base64 ``precompiled_charsmap`` is SentencePiece's
  normalisation table, byte for byte.
* ``pre_tokenizer``: ``Metaspace``; its ``add_prefix_space`` / ``prepend_scheme`` is
  SentencePiece's ``add_dummy_prefix``.
* ``added_tokens``: the special tokens and their strip flags (``<mask>`` strips left).

We undo the fairseq shift (SentencePiece id = model id - 1; ``<unk>``, ``<s>``, ``</s>`` back at
0, 1, 2) and serialise a ``ModelProto`` ourselves, so neither ``tokenizers`` nor ``protobuf`` is
needed, and tokenisation is the slow tokenizer's, id for id.
"""

from __future__ import annotations

import base64
from typing import Dict, Iterator, List, Optional, Tuple

from ..errors import CheckpointError
from .id_layout import FAIRSEQ_SPECIALS
from .sentencepiece_model import (
    MODEL_BPE,
    MODEL_UNIGRAM,
    PIECE_CONTROL,
    PIECE_NORMAL,
    PIECE_UNKNOWN,
    NormalizerSettings,
    Piece,
    build_model_proto,
)
from .special_tokens import AddedToken

_FAIRSEQ_HEAD = [token for token, _ in sorted(FAIRSEQ_SPECIALS.items(), key=lambda item: item[1])]


def _vocabulary(model: dict, source: str) -> Tuple[int, List[Tuple[str, float]]]:
    """``(model_type, [(piece, score), ...])`` in model-id order."""
    kind = model.get("type")
    if kind == "Unigram":
        vocab = model.get("vocab")
        if not isinstance(vocab, list) or not all(isinstance(entry, list) and len(entry) == 2 for entry in vocab):
            raise CheckpointError(f"{source}: model.vocab must be a list of [piece, score] pairs")
        if model.get("byte_fallback"):
            raise CheckpointError(f"{source}: byte_fallback Unigram models are not supported")
        return MODEL_UNIGRAM, [(str(piece), float(score)) for piece, score in vocab]
    if kind == "BPE":
        vocab = model.get("vocab")
        if not isinstance(vocab, dict):
            raise CheckpointError(f"{source}: model.vocab of a BPE model must be a {{piece: id}} object")
        ordered = sorted(vocab.items(), key=lambda item: item[1])
        if [model_id for _, model_id in ordered] != list(range(len(ordered))):
            raise CheckpointError(f"{source}: BPE ids must run 0..{len(ordered) - 1} without gaps")
        head = len(_FAIRSEQ_HEAD)
        # SentencePiece BPE scores are -0, -1, -2, ... in piece order; only their order matters.
        return MODEL_BPE, [(piece, 0.0 if index < head else -float(index - head)) for index, (piece, _) in enumerate(ordered)]
    raise CheckpointError(f"{source}: model type {kind!r} is not supported (expected 'Unigram' or 'BPE')")


def _steps(component: Optional[dict], key: str) -> Iterator[dict]:
    """The component itself, or the members of a ``Sequence`` component."""
    if not component:
        return
    if component.get("type") == "Sequence":
        for member in component.get(key, []):
            yield from _steps(member, key)
    else:
        yield component


def _normalizer_settings(data: dict, source: str) -> NormalizerSettings:
    charsmap = b""
    for step in _steps(data.get("normalizer"), "normalizers"):
        if step.get("type") == "Precompiled":
            try:
                charsmap = base64.b64decode(step.get("precompiled_charsmap") or "", validate=True)
            except (ValueError, TypeError) as error:
                raise CheckpointError(f"{source}: precompiled_charsmap is not valid base64 ({error})") from None
    add_prefix = True
    for step in _steps(data.get("pre_tokenizer"), "pretokenizers"):
        if step.get("type") == "Metaspace":
            if step.get("replacement", "\u2581") != "\u2581":
                raise CheckpointError(f"{source}: Metaspace replacement {step.get('replacement')!r} is not supported")
            scheme = step.get("prepend_scheme")
            add_prefix = scheme != "never" if scheme is not None else bool(step.get("add_prefix_space", True))
    return NormalizerSettings(
        name="precompiled" if charsmap else "identity",
        precompiled_charsmap=charsmap,
        add_dummy_prefix=add_prefix,
    )


def model_proto_from_tokenizer_json(data: dict, source: str = "tokenizer.json") -> bytes:
    """Serialised SentencePiece ``ModelProto`` equivalent to an XLM-R ``tokenizer.json``."""
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise CheckpointError(f"{source}: no 'model' object; is this a transformers tokenizer.json?")
    model_type, vocab = _vocabulary(data["model"], source)
    head = [piece for piece, _ in vocab[: len(_FAIRSEQ_HEAD)]]
    if head != _FAIRSEQ_HEAD or len(vocab) < len(_FAIRSEQ_HEAD) + 1 or vocab[-1][0] != "<mask>":
        raise CheckpointError(
            f"{source}: vocabulary does not follow XLM-R's fairseq layout "
            f"(expected {_FAIRSEQ_HEAD} first and '<mask>' last, found {head} ... {vocab[-1][0]!r})"
        )
    unk_id = data["model"].get("unk_id", FAIRSEQ_SPECIALS["<unk>"]) if model_type == MODEL_UNIGRAM else None
    if unk_id not in (None, FAIRSEQ_SPECIALS["<unk>"]):
        raise CheckpointError(f"{source}: unk_id is {unk_id}, XLM-R's layout needs 3")
    pieces = [Piece("<unk>", 0.0, PIECE_UNKNOWN), Piece("<s>", 0.0, PIECE_CONTROL), Piece("</s>", 0.0, PIECE_CONTROL)]
    pieces += [Piece(piece, score, PIECE_NORMAL) for piece, score in vocab[len(_FAIRSEQ_HEAD) : -1]]
    return build_model_proto(pieces, model_type, _normalizer_settings(data, source))


def added_tokens_from_tokenizer_json(data: dict) -> Dict[int, AddedToken]:
    """The ``added_tokens`` list of a ``tokenizer.json``, keyed by id."""
    tokens = {}
    for entry in data.get("added_tokens") or []:
        if isinstance(entry, dict) and isinstance(entry.get("id"), int):
            tokens[entry["id"]] = AddedToken.from_json(entry)
    return tokens
