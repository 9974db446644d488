"""Loading the SentencePiece library and a model, with clear errors.

``sentencepiece`` is an optional dependency (``pip install "xlmr-np[tokenizer]"``): the model
code needs only NumPy, so the import happens here, when a tokenizer is first created.
"""

from __future__ import annotations

from ..errors import CheckpointError


def import_sentencepiece():
    """Return the ``sentencepiece`` module or explain how to install it."""
    try:
        import sentencepiece
    except ImportError as error:  # pragma: no cover - exercised only without the extra installed
        raise ImportError(
            "XLMRobertaTokenizer needs the 'sentencepiece' package: pip install 'xlmr-np[tokenizer]'"
        ) from error
    return sentencepiece


def load_processor(model_proto: bytes, source: str):
    """A ``SentencePieceProcessor`` for serialised model bytes; ``source`` names them in errors."""
    sentencepiece = import_sentencepiece()
    processor = sentencepiece.SentencePieceProcessor()
    try:
        processor.LoadFromSerializedProto(model_proto)
    except Exception as error:  # sentencepiece raises RuntimeError/OSError depending on version
        raise CheckpointError(f"{source} is not a valid SentencePiece model ({error})") from None
    if processor.GetPieceSize() < 3:
        raise CheckpointError(f"{source} has {processor.GetPieceSize()} pieces; an XLM-R model needs at least 3")
    if processor.unk_id() != 0:
        raise CheckpointError(
            f"{source} puts <unk> at id {processor.unk_id()}; the fairseq layout of XLM-R needs it at id 0"
        )
    return processor
