"""``XLMRobertaTokenizer``: XLM-R's SentencePiece tokenizer, id for id equal to transformers'.

It mirrors the public API of ``transformers.XLMRobertaTokenizer`` (4.39.3), so switching is
changing an import::

    from xlmr_np.tokenization import XLMRobertaTokenizer
    tokenizer = XLMRobertaTokenizer.from_pretrained("path/to/xlm-roberta-base")
    batch = tokenizer(["Hello world!", "Bonjour"], padding=True, return_tensors="np")

How a text becomes ids:

1. cut the text at special and added tokens written in it (``special_tokens.py``,
   ``added_vocabulary.py``);
2. hand each stretch in between to SentencePiece, which normalises it (NFKC and friends, one
   "▁" per word start) and picks pieces;
3. shift SentencePiece ids into the fairseq layout the model was trained with (``id_layout.py``);
4. truncate, add ``<s> ... </s>`` (pairs: ``<s> A </s></s> B </s>``), pad.

Ids equal the slow transformers tokenizer's. Offsets (``return_offsets_mapping=True``), which the
slow tokenizer cannot produce, equal the fast tokenizer's (``offsets.py``). Overflowing windows
follow the fast tokenizer too (``truncation.py``). docs/tokenizer.md lists every difference.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple, Union

from ..errors import CheckpointError, ConfigError, InputError
from . import padding as padding_rules
from .added_vocabulary import AddedVocabulary, as_token
from .alignment import Span
from .batch_encoding import Alignment, BatchEncoding
from .checkpoint_files import (
    SENTENCEPIECE_FILE,
    SPECIAL_TOKEN_ROLES,
    read_tokenizer_files,
    write_tokenizer_files,
)
from .collection import pauses_garbage_collection
from .decoding import clean_up_tokenization, tokens_to_string
from .encoded_inputs import field_array, pad_input_fields, padded_field_rows
from .id_layout import FairseqIdLayout
from .inputs import (
    LARGE_INTEGER,
    VERY_LARGE_INTEGER,
    as_id_list,
    check_non_negative_int,
    check_positive_int,
    examples_of_call,
    examples_of_split_call,
    is_integer,
    require_encodable,
    require_str,
    resolve_lengths,
)
from .offsets import OffsetMapper
from .rows import EncodedText, Row, RowPlan, SequenceIdRows, alignment_of_rows, build_row, select_rows, word_ids_of_pieces
from .sentencepiece_backend import load_processor
from .sentencepiece_model import MODEL_BPE, read_model_type, read_normalizer_settings
from .special_tokens import AddedToken, AddedTokenSplitter, Stretch

__all__ = ["LARGE_INTEGER", "VERY_LARGE_INTEGER", "XLMRobertaTokenizer"]

_BATCH_ENCODE_THRESHOLD = 64
"""SentencePiece's list API costs ~0.3 ms per call (it starts worker threads); below this many
texts, encoding them one by one is faster."""

TextInput = Union[str, Sequence[str], Sequence[Tuple[str, str]]]


class XLMRobertaTokenizer:
    """SentencePiece tokenizer of XLM-RoBERTa with transformers' API and outputs.

    Build it with :meth:`from_pretrained` on a checkpoint directory, or directly from a
    ``sentencepiece.bpe.model`` file (``vocab_file``) or its bytes (``model_proto``; ``source``
    then names them in error messages).

    The special tokens default to XLM-R's; a plain-string ``mask_token`` strips the whitespace
    on its left, as in transformers. ``added_tokens_decoder`` (``{id: AddedToken}``, as stored
    in ``tokenizer_config.json``) overrides the flags of the tokens matched verbatim in text;
    ``additional_special_tokens`` names further special tokens (added if the vocabulary lacks
    them). :meth:`add_tokens` and :meth:`add_special_tokens` add tokens later.
    ``model_max_length`` is what ``truncation=True`` and ``padding="max_length"`` use when no
    ``max_length`` is given; the default (1e30) means "no limit".
    """

    vocab_files_names = {"vocab_file": SENTENCEPIECE_FILE}
    model_input_names = ["input_ids", "attention_mask"]
    is_fast = False

    def __init__(
        self,
        vocab_file: Optional[str] = None,
        bos_token: Union[str, AddedToken] = "<s>",
        eos_token: Union[str, AddedToken] = "</s>",
        sep_token: Union[str, AddedToken] = "</s>",
        cls_token: Union[str, AddedToken] = "<s>",
        unk_token: Union[str, AddedToken] = "<unk>",
        pad_token: Union[str, AddedToken] = "<pad>",
        mask_token: Union[str, AddedToken] = "<mask>",
        *,
        model_proto: Optional[bytes] = None,
        model_max_length: int = VERY_LARGE_INTEGER,
        clean_up_tokenization_spaces: bool = True,
        padding_side: str = "right",
        truncation_side: str = "right",
        added_tokens_decoder: Optional[Dict[int, AddedToken]] = None,
        additional_special_tokens: Sequence[Union[str, AddedToken]] = (),
        name_or_path: str = "",
        source: Optional[str] = None,
    ):
        if (vocab_file is None) == (model_proto is None):
            raise CheckpointError("pass exactly one of vocab_file (a path) or model_proto (bytes)")
        if vocab_file is not None:
            source = os.fspath(vocab_file)
            try:
                with open(source, "rb") as handle:
                    model_proto = handle.read()
            except OSError as error:
                raise CheckpointError(f"cannot read SentencePiece model {source!r}: {error}") from None
        else:
            source = source or "model_proto"  # where the bytes came from, for error messages
        self.vocab_file = vocab_file
        self.name_or_path = name_or_path or (os.path.dirname(source) if vocab_file else "")
        self._model_proto = bytes(model_proto)
        self._processor = load_processor(self._model_proto, source)
        self._layout = FairseqIdLayout(
            self._processor.GetPieceSize(), self._processor.IdToPiece, self._processor.PieceToId
        )
        self._offset_mapper: Optional[OffsetMapper] = None
        self._vocab: Optional[Dict[str, int]] = None  # get_vocab() of the current added tokens
        self._base_vocab: Optional[Dict[str, int]] = None  # the SentencePiece vocabulary's part of it

        if isinstance(model_max_length, float) and model_max_length.is_integer():
            model_max_length = int(model_max_length)  # some configs store 1e30 as a float
        self.model_max_length = check_positive_int("model_max_length", model_max_length, ConfigError)
        self.clean_up_tokenization_spaces = bool(clean_up_tokenization_spaces)
        self.padding_side = padding_side
        self.truncation_side = truncation_side

        roles = dict(
            bos_token=bos_token, eos_token=eos_token, unk_token=unk_token, sep_token=sep_token,
            pad_token=pad_token, cls_token=cls_token, mask_token=mask_token,
        )
        special_tokens: Dict[str, AddedToken] = {}
        for role, token in roles.items():
            if isinstance(token, str):
                # XLM-R's <mask> swallows the whitespace before it ("the <mask>" -> "the", "<mask>").
                token = AddedToken(token, lstrip=(role == "mask_token"), special=True)
            elif not isinstance(token, AddedToken):
                raise ConfigError(f"{role} must be a string or an AddedToken, got {type(token).__name__}")
            special_tokens[role] = token
        if additional_special_tokens is None:
            additional_special_tokens = ()
        if not isinstance(additional_special_tokens, (list, tuple)):
            raise ConfigError(f"additional_special_tokens must be a list, got {type(additional_special_tokens).__name__}")
        additional = []
        for token in additional_special_tokens:
            try:
                token = as_token(token, "additional special token")
            except InputError as error:
                raise ConfigError(str(error)) from None
            additional.append(AddedToken(token, normalized=False, special=True) if isinstance(token, str) else token)
        self._set_added(self._build_added_tokens(special_tokens, added_tokens_decoder or {}, additional))

    # ------------------------------------------------------------------ construction helpers

    def _build_added_tokens(
        self, special_tokens: Dict[str, AddedToken], configured: Dict[int, AddedToken], additional: List[AddedToken]
    ) -> AddedVocabulary:
        """Decide which strings are matched verbatim in the input, and their ids.

        The configured ``{id: AddedToken}`` first; then each named special token not among
        them, at its vocabulary id (one missing from the vocabulary is a ``ConfigError``, where
        transformers would add it); then each additional special token not among them, at its
        vocabulary id or a new one, as transformers' constructor does.
        """
        decoder: Dict[int, AddedToken] = {}
        for token_id, token in configured.items():
            token_id = int(token_id)
            if token_id < 0:
                raise ConfigError(f"added token {token.content!r} has the negative id {token_id}")
            decoder[token_id] = token
        present = {token.content for token in decoder.values()}
        for role in SPECIAL_TOKEN_ROLES:
            token = special_tokens[role]
            if token.content in present:
                continue
            token_id = self._layout.id_of_token(token.content)
            if token_id == self._layout.unk_id and token.content != "<unk>":
                raise ConfigError(f"{role} {token.content!r} is not in the vocabulary")
            decoder[token_id] = replace(token, special=True)
            present.add(token.content)
        by_content = {token.content: token for token in decoder.values()}
        additional = [by_content.get(token.content, token) for token in additional]  # the table's flags win
        vocabulary = AddedVocabulary.build(special_tokens, additional, decoder)
        missing = [token for token in additional if token.content not in by_content]
        if missing:
            vocabulary, _ = vocabulary.with_tokens(missing, True, self._vocab_with(vocabulary))
        return vocabulary

    def _set_added(self, vocabulary: AddedVocabulary) -> None:
        self._added = vocabulary
        self._vocab = None  # get_vocab() is rebuilt on its next call

    @property
    def _splitter(self) -> AddedTokenSplitter:
        return self._added.splitter

    def _with_added(self, vocabulary: AddedVocabulary) -> "XLMRobertaTokenizer":
        """A shallow copy of this tokenizer with other added tokens (sharing the SentencePiece processor)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._set_added(vocabulary)
        return clone

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str, **overrides) -> "XLMRobertaTokenizer":
        """Load a tokenizer directory saved by transformers or by :meth:`save_pretrained`.

        Reads ``sentencepiece.bpe.model`` — or, if absent, rebuilds it from ``tokenizer.json`` —
        plus ``tokenizer_config.json`` / ``special_tokens_map.json`` when present. Keyword
        arguments override what the files say (e.g. ``model_max_length=512``).
        """
        files = read_tokenizer_files(pretrained_model_name_or_path)
        settings = dict(files.settings)
        settings.update(overrides)
        settings.setdefault("added_tokens_decoder", files.added_tokens)
        settings.setdefault("name_or_path", os.fspath(pretrained_model_name_or_path))
        return cls(model_proto=files.model_proto, source=files.source, **settings)

    def save_pretrained(self, save_directory: str) -> Tuple[str, ...]:
        """Write ``tokenizer_config.json``, ``special_tokens_map.json`` and ``sentencepiece.bpe.model``.

        Both transformers tokenizer classes load the result and produce the same ids.
        """
        extra = {}
        if self.padding_side != "right":
            extra["padding_side"] = self.padding_side
        if self.truncation_side != "right":
            extra["truncation_side"] = self.truncation_side
        return write_tokenizer_files(
            save_directory,
            self._model_proto,
            self._added.special_tokens,
            self._added.decoder,
            self.model_max_length,
            self.clean_up_tokenization_spaces,
            extra,
            self._added.additional_special_tokens,
        )

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_processor"] = None  # SentencePieceProcessor is rebuilt from the stored bytes
        state["_layout"] = None
        state["_offset_mapper"] = None  # rebuilt on first use
        state["_vocab"] = state["_base_vocab"] = None  # caches
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._processor = load_processor(self._model_proto, "pickled tokenizer")
        self._layout = FairseqIdLayout(
            self._processor.GetPieceSize(), self._processor.IdToPiece, self._processor.PieceToId
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side={self.padding_side!r}, "
            f"truncation_side={self.truncation_side!r})"
        )

    # ------------------------------------------------------------------ settings

    @property
    def padding_side(self) -> str:
        return self._padding_side

    @padding_side.setter
    def padding_side(self, side: str) -> None:
        if side not in ("left", "right"):
            raise ConfigError(f"padding_side must be 'left' or 'right', got {side!r}")
        self._padding_side = side

    @property
    def truncation_side(self) -> str:
        return self._truncation_side

    @truncation_side.setter
    def truncation_side(self, side: str) -> None:
        if side not in ("left", "right"):
            raise ConfigError(f"truncation_side must be 'left' or 'right', got {side!r}")
        self._truncation_side = side

    # ------------------------------------------------------------------ vocabulary

    @property
    def vocab_size(self) -> int:
        """SentencePiece pieces + 1 (fairseq offset) + 1 (``<mask>``)."""
        return self._layout.vocab_size

    def __len__(self) -> int:
        """The number of distinct token strings: ``vocab_size`` plus the tokens added with new ids
        (transformers' slow rule; the next added token gets this id)."""
        return len(self._vocab_with(self._added))

    def get_vocab(self) -> Dict[str, int]:
        """``{token: id}`` for every id, added tokens included (a copy; built once, then cached)."""
        return dict(self._vocab_with(self._added))

    def _vocab_with(self, vocabulary: AddedVocabulary) -> Dict[str, int]:
        """The vocabulary's pieces by id, then ``vocabulary``'s added tokens (cached for the current one; not a copy)."""
        if self._vocab is not None and vocabulary is self._added:
            return self._vocab
        if self._base_vocab is None:
            self._base_vocab = {self._layout.token_of_id(model_id): model_id for model_id in range(self.vocab_size)}
        vocab = dict(self._base_vocab)
        vocab.update(vocabulary.encoder)
        if vocabulary is getattr(self, "_added", None):
            self._vocab = vocab
        return vocab

    @property
    def added_tokens_decoder(self) -> Dict[int, AddedToken]:
        """``{id: AddedToken}`` of the tokens matched verbatim in text, sorted by id."""
        return dict(self._added.decoder)

    @property
    def added_tokens_encoder(self) -> Dict[str, int]:
        """``{content: id}`` of the tokens matched verbatim in text, sorted by id."""
        return dict(self._added.encoder)

    def get_added_vocab(self) -> Dict[str, int]:
        """``{content: id}`` of the added tokens (XLM-R's special tokens included), as :attr:`added_tokens_encoder`."""
        return dict(self._added.encoder)

    def add_tokens(self, new_tokens: Union[str, AddedToken, Sequence[Union[str, AddedToken]]], special_tokens: bool = False) -> int:
        """Add tokens matched verbatim in text; return how many got a new id (as transformers' slow tokenizer).

        ``new_tokens`` is a string, an :class:`AddedToken` (transformers' and ``tokenizers``'
        ``AddedToken`` are taken too, with their flags) or a list of them. Strings already added
        and empty strings are skipped; a string that is a vocabulary piece keeps its id; others
        get ``len(tokenizer)``, ``len(tokenizer) + 1``, ... ``special_tokens=True`` makes them
        special (skipped by ``decode(skip_special_tokens=True)``, listed in
        ``additional_special_tokens``). Resize the model's embeddings to ``len(tokenizer)`` after.
        Matching and stripping follow the slow tokenizer (``normalized`` changes nothing);
        docs/tokenizer.md lists where the fast tokenizer gives other ids. A token that is not a
        string or an ``AddedToken``, or has ``single_word=True``, is an ``InputError``, raised
        before anything is added. The fast tokenizer's count includes strings that were
        vocabulary pieces.
        """
        if not new_tokens:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        tokens = [as_token(token, "token") for token in new_tokens]
        vocabulary, new_ids = self._added.with_tokens(tokens, bool(special_tokens), self._vocab_with(self._added))
        self._set_added(vocabulary)
        return new_ids

    def add_special_tokens(self, special_tokens_dict: Dict[str, object], replace_additional_special_tokens: bool = True) -> int:
        """Set special tokens and add those not yet in the vocabulary; return how many got a new id.

        Keys as transformers': ``bos_token``, ``eos_token``, ``sep_token``, ``pad_token``,
        ``cls_token``, ``mask_token`` (a string or :class:`AddedToken`) and
        ``additional_special_tokens`` (a list), which replaces the additional special tokens,
        or extends them with ``replace_additional_special_tokens=False`` (replaced ones stay
        added tokens). A string becomes a special token that strips nothing. ``unk_token`` may
        be given only with its current string (other flags): SentencePiece's unknown pieces
        keep id 3 here. Other keys, non-token values and ``single_word`` tokens are an
        ``InputError``; nothing changes then. A new ``cls_token`` / ``sep_token`` is what the
        tokenizer puts around texts, as in the slow tokenizer (the fast one keeps ``<s>`` / ``</s>``).
        """
        if not special_tokens_dict:
            return 0
        vocabulary, tokens = self._added.with_special_tokens(special_tokens_dict, bool(replace_additional_special_tokens))
        vocabulary, new_ids = vocabulary.with_tokens(tokens, True, self._vocab_with(self._added))
        self._set_added(vocabulary)
        return new_ids

    def convert_tokens_to_ids(self, tokens: Union[str, Sequence[str], None]):
        """Id of a token string, or ids of a list of them; unknown strings give ``unk_token_id``."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            return self._id_of_token(tokens)
        return [self._id_of_token(require_str(token, "token")) for token in tokens]

    def _id_of_token(self, token: str) -> int:
        added = self._added.encoder.get(token)
        return added if added is not None else self._layout.id_of_token(token)

    def convert_ids_to_tokens(self, ids, skip_special_tokens: bool = False):
        """Token string of an id, or strings of a list of ids (optionally without special tokens)."""
        if is_integer(ids):
            return self._token_of_id(int(ids))
        ids = as_id_list(ids)
        special_ids = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._token_of_id(token_id) for token_id in ids if token_id not in special_ids]

    def _token_of_id(self, token_id: int) -> str:
        added = self._added.decoder.get(token_id)
        if added is not None:
            return added.content
        if not 0 <= token_id < self.vocab_size:
            message = f"token id {token_id} is outside the vocabulary 0..{self.vocab_size - 1}"
            if max(self._added.decoder, default=0) >= self.vocab_size:
                message += f" and is no added token's id (those go up to {max(self._added.decoder)})"
            raise InputError(message)
        return self._layout.token_of_id(token_id)

    def convert_tokens_to_string(self, tokens: Sequence[str]) -> str:
        """Join tokens into text ("▁" becomes a space, ends stripped)."""
        return tokens_to_string(tokens)

    # ------------------------------------------------------------------ special tokens

    def _special_token(self, role: str) -> str:
        return self._added.special_tokens[role].content

    bos_token = property(lambda self: self._special_token("bos_token"))
    eos_token = property(lambda self: self._special_token("eos_token"))
    unk_token = property(lambda self: self._special_token("unk_token"))
    sep_token = property(lambda self: self._special_token("sep_token"))
    pad_token = property(lambda self: self._special_token("pad_token"))
    cls_token = property(lambda self: self._special_token("cls_token"))
    mask_token = property(lambda self: self._special_token("mask_token"))
    bos_token_id = property(lambda self: self._id_of_token(self.bos_token))
    eos_token_id = property(lambda self: self._id_of_token(self.eos_token))
    unk_token_id = property(lambda self: self._id_of_token(self.unk_token))
    sep_token_id = property(lambda self: self._id_of_token(self.sep_token))
    pad_token_id = property(lambda self: self._id_of_token(self.pad_token))
    cls_token_id = property(lambda self: self._id_of_token(self.cls_token))
    mask_token_id = property(lambda self: self._id_of_token(self.mask_token))
    pad_token_type_id = 0

    @property
    def additional_special_tokens(self) -> List[str]:
        """The special tokens besides the named ones (``add_special_tokens``, ``add_tokens(..., special_tokens=True)``)."""
        return [token.content for token in self._added.additional_special_tokens]

    @property
    def additional_special_tokens_ids(self) -> List[int]:
        return [self._id_of_token(token) for token in self.additional_special_tokens]

    @property
    def special_tokens_map(self) -> Dict[str, Union[str, List[str]]]:
        """``{"bos_token": "<s>", ...}`` for the seven roles, and ``additional_special_tokens`` if there are any."""
        special = {role: self._special_token(role) for role in SPECIAL_TOKEN_ROLES}
        if self._added.additional_special_tokens:
            special["additional_special_tokens"] = self.additional_special_tokens
        return special

    @property
    def all_special_tokens(self) -> List[str]:
        """The distinct special token strings: the roles' in order (``<s> </s> <unk> <pad> <mask>``), then the additional ones."""
        return self._added.all_special_tokens

    @property
    def all_special_ids(self) -> List[int]:
        return [self._id_of_token(token) for token in self.all_special_tokens]

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        """2 for one text (``<s> A </s>``), 4 for a pair (``<s> A </s></s> B </s>``)."""
        return 4 if pair else 2

    def build_inputs_with_special_tokens(self, token_ids_0: List[int], token_ids_1: Optional[List[int]] = None) -> List[int]:
        """``<s> A </s>`` or ``<s> A </s></s> B </s>``."""
        cls, sep = [self.cls_token_id], [self.sep_token_id]
        if token_ids_1 is None:
            return cls + list(token_ids_0) + sep
        return cls + list(token_ids_0) + sep + sep + list(token_ids_1) + sep

    def get_special_tokens_mask(
        self, token_ids_0: List[int], token_ids_1: Optional[List[int]] = None, already_has_special_tokens: bool = False
    ) -> List[int]:
        """1 where :meth:`build_inputs_with_special_tokens` puts a special token, else 0.

        With ``already_has_special_tokens=True`` the ids are checked against ``all_special_ids``
        instead (``<unk>`` counts as special there, as in transformers).
        """
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise InputError("token_ids_1 must be None when already_has_special_tokens=True")
            special_ids = set(self.all_special_ids)
            return [1 if token_id in special_ids else 0 for token_id in token_ids_0]
        if token_ids_1 is None:
            return [1] + [0] * len(token_ids_0) + [1]
        return [1] + [0] * len(token_ids_0) + [1, 1] + [0] * len(token_ids_1) + [1]

    def create_token_type_ids_from_sequences(self, token_ids_0: List[int], token_ids_1: Optional[List[int]] = None) -> List[int]:
        """All zeros: XLM-R does not use token types."""
        return [0] * len(self.build_inputs_with_special_tokens(token_ids_0, token_ids_1))

    # ------------------------------------------------------------------ text -> tokens

    def tokenize(self, text: str) -> List[str]:
        """The token strings of ``text`` (SentencePiece pieces and special tokens, no ``<s>``/``</s>`` added)."""
        text = require_str(text, "text")
        stretches = self._added.splitter.split(text)
        plain = [stretch.text for stretch in stretches if stretch.token_id is None and stretch.text]
        pieces_per_stretch = iter(self._sentencepiece_encode(plain, str))
        tokens: List[str] = []
        for stretch in stretches:
            if stretch.token_id is not None:
                tokens.append(stretch.text)
            elif stretch.text:
                tokens.extend(next(pieces_per_stretch))
        return tokens

    def _sentencepiece_encode(self, texts: List[str], out_type):
        """SentencePiece on a list of texts (one C++ call), with a clear error for unencodable text."""
        if not texts:
            return []
        try:
            if len(texts) < _BATCH_ENCODE_THRESHOLD:
                encode = self._processor.encode
                return [encode(text, out_type=out_type) for text in texts]
            return self._processor.encode(texts, out_type=out_type)
        except (RuntimeError, TypeError, UnicodeError):
            for text in texts:
                require_encodable(text)
            raise

    def _offsets(self) -> OffsetMapper:
        if self._offset_mapper is None:
            self._offset_mapper = OffsetMapper(
                read_normalizer_settings(self._model_proto), self._pieces_of_text, self._ids_of_pieces
            )
        return self._offset_mapper

    def _pieces_of_text(self, text: str) -> List[str]:
        return self._processor.encode(text, out_type=str)

    def _ids_of_pieces(self, pieces: Sequence[str]) -> List[int]:
        return [self._layout.id_of_token(piece) for piece in pieces]

    def _encode_texts(self, texts: List[str], with_offsets: bool) -> List[EncodedText]:
        """Ids of each text, without special tokens added; ``with_offsets``: also spans, token strings and word ids."""
        split = self._added.splitter.split
        stretches_per_text: List[List[Stretch]] = [split(text) for text in texts]
        plain = [
            stretch.text
            for stretches in stretches_per_text
            for stretch in stretches
            if stretch.token_id is None and stretch.text
        ]
        if with_offsets:
            encoded_stretches = iter(self._sentencepiece_encode(plain, str))
            return [self._aligned_text(text, stretches, encoded_stretches) for text, stretches in zip(texts, stretches_per_text)]
        encoded_stretches = iter(self._layout.model_ids(ids) for ids in self._sentencepiece_encode(plain, int))
        results = []
        for stretches in stretches_per_text:
            if len(stretches) == 1:
                results.append(EncodedText(next(encoded_stretches) if stretches[0].text else [], None))
                continue
            ids: List[int] = []
            for stretch in stretches:
                if stretch.token_id is not None:
                    ids.append(stretch.token_id)
                elif stretch.text:
                    ids.extend(next(encoded_stretches))
            results.append(EncodedText(ids, None))
        return results

    def _aligned_text(self, text: str, stretches: List[Stretch], encoded_stretches) -> EncodedText:
        """One text's ids with their spans, token strings and word ids (``encoded_stretches``: pieces per plain stretch).

        Token strings are the fast tokenizer's: SentencePiece's pieces, except that a BPE model's
        unknown piece is ``<unk>``; an added token is the text it matched, stripped whitespace
        included. Words follow the fast tokenizer's pre-tokenizer (:func:`word_ids_of_pieces`);
        an added token is a word of its own.
        """
        ids: List[int] = []
        spans: List[Span] = []
        tokens: List[str] = []
        words: List[int] = []
        next_word = 0
        for stretch in stretches:
            if stretch.token_id is not None:
                ids.append(stretch.token_id)
                spans.append((stretch.start, stretch.end))
                tokens.append(text[stretch.start:stretch.end])
                words.append(next_word)
                next_word += 1
            elif stretch.text:
                pieces = next(encoded_stretches)
                piece_ids = [self._layout.id_of_token(piece) for piece in pieces]
                ids.extend(piece_ids)
                stretch_spans, pieces = self._offsets().align(stretch.text, stretch.start, pieces)  # the fast tokenizer's pieces
                spans.extend(stretch_spans)
                stretch_words, next_word = word_ids_of_pieces(pieces, next_word)
                words.extend(stretch_words)
                unknown = self._unknown_token_string
                if unknown is not None:
                    pieces = [unknown if piece_id == self._layout.unk_id else piece for piece, piece_id in zip(pieces, piece_ids)]
                tokens.extend(pieces)
        return EncodedText(ids, spans, tokens, words)

    @property
    def _unknown_token_string(self) -> Optional[str]:
        """What the fast tokenizer calls an unknown piece: ``<unk>`` for BPE models; None (the text itself) for unigram."""
        if "_unknown_token" not in self.__dict__:
            is_bpe = read_model_type(self._model_proto) == MODEL_BPE
            self.__dict__["_unknown_token"] = self.unk_token if is_bpe else None
        return self.__dict__["_unknown_token"]

    def _encode_inputs(self, inputs: List[Union[str, List[str]]], with_offsets: bool) -> List[EncodedText]:
        """:meth:`_encode_texts` for texts or, with ``is_split_into_words``, lists of words.

        Each word is tokenised as a text of its own (its own word-start marker, special tokens
        cut out of it), and the words' tokens are joined, as both transformers tokenizers do.
        """
        if all(isinstance(item, str) for item in inputs):
            return self._encode_texts(inputs, with_offsets)
        encoded_words = iter(self._encode_texts([word for words in inputs for word in words], with_offsets))
        return [EncodedText.joined([next(encoded_words) for _ in words], with_offsets) for words in inputs]

    # ------------------------------------------------------------------ the main call

    def _build_rows(self, examples, plan: RowPlan, with_offsets: bool) -> Tuple[List[Row], List[int]]:
        """Tokenise the examples and lay out their rows (before padding); also which example each row came from."""
        firsts = self._encode_inputs([first for first, _ in examples], with_offsets)
        pair_texts = [second for _, second in examples if second is not None]
        seconds = iter(self._encode_inputs(pair_texts, with_offsets))

        rows: List[Row] = []
        sample_of_row: List[int] = []
        cls_id, sep_id = self.cls_token_id, self.sep_token_id
        cls_token, sep_token = self.cls_token, self.sep_token
        for sample, (first, (_, second_text)) in enumerate(zip(firsts, examples)):
            second = next(seconds) if second_text is not None else None
            special_count = self.num_special_tokens_to_add(pair=second is not None) if plan.add_special_tokens else 0
            for kept_first, kept_second in select_rows(
                len(first.ids), None if second is None else len(second.ids), special_count,
                plan.truncation_strategy, plan.max_length, plan.stride, plan.overflow, plan.truncation_side,
            ):
                rows.append(build_row(
                    first, kept_first, second, kept_second, cls_id, sep_id, plan.add_special_tokens, cls_token, sep_token
                ))
                sample_of_row.append(sample)
        return rows, sample_of_row

    @pauses_garbage_collection
    def __call__(
        self,
        text: TextInput,
        text_pair: Optional[Union[str, Sequence[str]]] = None,
        add_special_tokens: bool = True,
        padding: Union[bool, str] = False,
        truncation: Union[bool, str, None] = None,
        max_length: Optional[int] = None,
        stride: int = 0,
        pad_to_multiple_of: Optional[int] = None,
        return_tensors: Optional[str] = None,
        return_token_type_ids: Optional[bool] = None,
        return_attention_mask: Optional[bool] = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        is_split_into_words: bool = False,
        verbose: bool = True,  # accepted for transformers compatibility; nothing is logged
    ) -> BatchEncoding:
        """Tokenise one text, a pair, or a batch of either; like transformers' ``tokenizer(...)``.

        ``text`` is a string or a list of strings (a batch); ``text_pair`` matches it (a string,
        or a list of the same length). A batch may also be a list of ``(text, text_pair)``
        tuples. Returns a :class:`BatchEncoding` with ``input_ids`` and ``attention_mask`` plus
        whatever ``return_*`` asks for; a single text gives flat lists, a batch lists of rows.

        Truncation happens only when asked (``truncation=True`` / a strategy) or when
        ``max_length`` is given without ``padding``; ``max_length`` defaults to
        ``model_max_length``. With ``return_overflowing_tokens=True`` the truncated tokens come
        back as extra rows, windows overlapping by ``stride`` tokens, and
        ``overflow_to_sample_mapping`` says which input each row came from.

        ``is_split_into_words=True`` takes lists of words instead of strings (``["Hello", "world"]``,
        or a batch ``[["Hello", "world"], ["Hi"]]``); each word is tokenised on its own, and
        offsets count from the start of each word. ``return_length=True`` adds ``length``: the
        number of tokens of each row before padding, or of the padded row for a single text (the
        slow tokenizer's rule).
        """
        if is_split_into_words:
            batched, examples = examples_of_split_call(text, text_pair)
        else:
            batched, examples = examples_of_call(text, text_pair)
        padding_strategy, truncation_strategy, max_length = resolve_lengths(
            padding, truncation, max_length, pad_to_multiple_of, self.model_max_length
        )
        stride = check_non_negative_int("stride", stride)
        if return_tensors not in (None, "np"):
            raise InputError(f"return_tensors={return_tensors!r} is not supported; use None or 'np'")
        if return_token_type_ids and not add_special_tokens:
            raise InputError("return_token_type_ids=True needs add_special_tokens=True (as in transformers)")
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in self.model_input_names

        plan = RowPlan(add_special_tokens, truncation_strategy, max_length, stride, return_overflowing_tokens, self.truncation_side)
        rows, sample_of_row = self._build_rows(examples, plan, return_offsets_mapping)
        rows_ids = [row.ids for row in rows]
        lengths = [len(row) for row in rows_ids]
        target = padding_rules.target_length(padding_strategy, lengths, max_length, pad_to_multiple_of)
        fields: Dict[str, object] = {"input_ids": rows_ids}
        if return_token_type_ids:
            fields["token_type_ids"] = 0  # at every token
        if return_attention_mask:
            fields["attention_mask"] = 1
        if return_special_tokens_mask:
            fields["special_tokens_mask"] = [row.special_tokens_mask for row in rows]
        if return_offsets_mapping:
            fields["offset_mapping"] = [row.spans for row in rows]
        pad_values = {
            "input_ids": self.pad_token_id,
            "token_type_ids": self.pad_token_type_id,
            "attention_mask": 0,
            "special_tokens_mask": 1,
            "offset_mapping": (0, 0),
        }
        # With return_tensors="np", straight to arrays (no padded Python lists): a model's input.
        fields = padding_rules.pad_fields(fields, lengths, target, pad_values, self.padding_side,
                                          as_arrays=return_tensors == "np" and not return_offsets_mapping)
        sequence_ids = SequenceIdRows(rows, target, self.padding_side)
        if return_overflowing_tokens:
            fields["overflow_to_sample_mapping"] = sample_of_row
        unbatch = not batched and not return_overflowing_tokens
        if return_length:
            # Rows of a batch count their tokens before padding; a single text counts its padding too.
            fields["length"] = [len(fields["input_ids"][0])] if unbatch else lengths
        if unbatch and return_tensors is None:
            fields = {key: value[0] for key, value in fields.items()}
        if return_offsets_mapping:  # the offsets are here: token strings and word ids came with them
            alignment = alignment_of_rows(rows, target, self.padding_side, self.pad_token)
        else:
            alignment = AlignmentPass(self, examples, plan, list(lengths), target, self.padding_side)
        n_sequences = 2 if examples[0][1] is not None else 1
        encoding = BatchEncoding(fields, sequence_ids, n_sequences, alignment)
        if return_tensors == "np":
            encoding.convert_to_numpy()
        return encoding

    def encode(
        self,
        text: str,
        text_pair: Optional[str] = None,
        add_special_tokens: bool = True,
        padding: Union[bool, str] = False,
        truncation: Union[bool, str, None] = None,
        max_length: Optional[int] = None,
        stride: int = 0,
        return_tensors: Optional[str] = None,
    ):
        """Just the ``input_ids`` of one text or pair (a list, or an array with ``return_tensors="np"``)."""
        if not isinstance(text, str):
            raise InputError(f"encode() takes one text (str), got {type(text).__name__}; call the tokenizer for batches")
        return self(
            text, text_pair, add_special_tokens=add_special_tokens, padding=padding, truncation=truncation,
            max_length=max_length, stride=stride, return_tensors=return_tensors,
        )["input_ids"]

    def encode_plus(self, text: str, text_pair: Optional[str] = None, **kwargs) -> BatchEncoding:
        """Same as calling the tokenizer on one text (kept for transformers compatibility)."""
        if not isinstance(text, str):
            raise InputError(f"encode_plus() takes one text (str), got {type(text).__name__}")
        return self(text, text_pair, **kwargs)

    def batch_encode_plus(self, batch_text_or_text_pairs: Sequence, **kwargs) -> BatchEncoding:
        """Same as calling the tokenizer on a list (kept for transformers compatibility)."""
        if not isinstance(batch_text_or_text_pairs, (list, tuple)):
            raise InputError(f"batch_encode_plus() takes a list, got {type(batch_text_or_text_pairs).__name__}")
        return self(list(batch_text_or_text_pairs), **kwargs)

    # ------------------------------------------------------------------ padding encoded examples

    def pad(
        self,
        encoded_inputs,
        padding: Union[bool, str] = True,
        max_length: Optional[int] = None,
        pad_to_multiple_of: Optional[int] = None,
        return_attention_mask: Optional[bool] = None,
        return_tensors: Optional[str] = None,
        verbose: bool = True,  # accepted for transformers compatibility; nothing is logged
    ) -> BatchEncoding:
        """Pad encoded examples to one length, as transformers' ``tokenizer.pad`` (what data collators call).

        ``encoded_inputs`` is one example or a batch: a ``BatchEncoding`` / dict of lists, or a
        list of dicts (collated by the first one's keys; each needs ``input_ids``). Values may be
        lists, NumPy arrays or tensors (anything with ``tolist()``); arrays as ``input_ids`` give
        NumPy arrays back. ``input_ids`` get the pad id, ``token_type_ids`` the pad token type,
        ``special_tokens_mask`` 1, ``attention_mask`` 0 (made when missing, unless
        ``return_attention_mask=False``, which leaves a given mask unpadded); other fields are
        kept as they are. The strategies and ``padding_side`` are :meth:`__call__`'s
        (``padding.py``); nothing is truncated. The inputs are not changed. The result has no
        rows as ``Encoding`` objects (docs/tokenizer.md, "Padding encoded examples").
        """
        if return_tensors not in (None, "np"):
            raise InputError(f"return_tensors={return_tensors!r} is not supported; use None or 'np'")
        main = self.model_input_names[0]
        fields, from_arrays = pad_input_fields(encoded_inputs, main)
        strategy, _, max_length = resolve_lengths(padding, False, max_length, pad_to_multiple_of, self.model_max_length)
        if from_arrays:
            return_tensors = "np"  # arrays in, arrays out (transformers: the input's tensor type)
        ids = fields[main]
        if not ids:  # no example, or one without tokens: returned as it is (transformers' rule)
            if return_attention_mask:
                fields["attention_mask"] = []
            encoding = BatchEncoding(fields)
            return encoding.convert_to_numpy() if return_tensors == "np" else encoding
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        batched = isinstance(ids[0], list)
        pad_values = {main: self.pad_token_id, "token_type_ids": self.pad_token_type_id, "special_tokens_mask": 1}
        if return_attention_mask:
            pad_values["attention_mask"] = 0
        rows = padded_field_rows(fields, [key for key in pad_values if key in fields], main, batched)
        lengths = [len(row) for row in rows[main]]
        create_mask = return_attention_mask and "attention_mask" not in fields
        if create_mask:
            rows["attention_mask"] = 1  # at every token

        target = padding_rules.target_length(strategy, lengths, max_length, pad_to_multiple_of)
        padded = padding_rules.pad_fields(rows, lengths, target, pad_values, self.padding_side,
                                          as_arrays=return_tensors == "np" and batched)
        if not batched:  # one example: its rows of one
            padded = {key: key_rows[0] for key, key_rows in padded.items()}
        other = {key: value for key, value in fields.items() if key not in padded}
        if return_tensors == "np":
            padded = BatchEncoding(padded).convert_to_numpy().data  # rows of different lengths: InputError
            other = {key: field_array(key, value) for key, value in other.items()}
        out = {key: padded[key] if key in padded else other[key] for key in fields}  # the input's key order
        if create_mask:
            out["attention_mask"] = padded["attention_mask"]
        return BatchEncoding(out)

    # ------------------------------------------------------------------ tokens -> text

    def decode(
        self,
        token_ids,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: Optional[bool] = None,
        spaces_between_special_tokens: bool = True,
    ) -> str:
        """Text of a sequence of ids, exactly as transformers' slow ``XLMRobertaTokenizer.decode``."""
        tokens = self.convert_ids_to_tokens(as_id_list(token_ids), skip_special_tokens=skip_special_tokens)
        # Added tokens that are not special, and additional special tokens with ids past the
        # vocabulary, are decoded on their own, between spaces (the slow tokenizer's rule).
        special = set(self.all_special_tokens)
        plain_added = {content for content in self._added.encoder if content not in special}
        plain_added.update(
            content for content in self.additional_special_tokens if self._id_of_token(content) >= self.vocab_size
        )
        sub_texts: List[str] = []
        current: List[str] = []
        for token in tokens:
            if token in plain_added:
                if current:
                    text = tokens_to_string(current)
                    if text:
                        sub_texts.append(text)
                    current = []
                sub_texts.append(token)
            else:
                current.append(token)
        if current:
            sub_texts.append(tokens_to_string(current))
        text = (" " if spaces_between_special_tokens else "").join(sub_texts)
        if clean_up_tokenization_spaces is None:
            clean_up_tokenization_spaces = self.clean_up_tokenization_spaces
        return clean_up_tokenization(text) if clean_up_tokenization_spaces else text

    def batch_decode(self, sequences, skip_special_tokens: bool = False, clean_up_tokenization_spaces: Optional[bool] = None, spaces_between_special_tokens: bool = True) -> List[str]:
        """:meth:`decode` for each sequence (a list of lists, or a 2-D array)."""
        if hasattr(sequences, "tolist"):
            sequences = sequences.tolist()
        return [
            self.decode(sequence, skip_special_tokens, clean_up_tokenization_spaces, spaces_between_special_tokens)
            for sequence in sequences
        ]

    clean_up_tokenization = staticmethod(clean_up_tokenization)


class AlignmentPass:
    """The offsets pass a :class:`BatchEncoding` runs when one of its alignment methods is first called.

    It tokenises the same examples again, computing offsets, token strings and word ids, and
    pads them as the call padded its rows; the rows' ids are the same, as SentencePiece is
    deterministic. The call's settings are kept here, so later changes to the tokenizer's
    ``padding_side`` or ``model_max_length`` do not matter; nor do tokens added since: the pass
    runs with the added tokens of the call.
    """

    def __init__(
        self, tokenizer: XLMRobertaTokenizer, examples, plan: RowPlan, lengths: List[int], target: Optional[int], padding_side: str
    ):
        self.tokenizer = tokenizer
        self.added = tokenizer._added  # replaced, never changed, when tokens are added
        self.examples = examples
        self.plan = plan
        self.lengths = lengths  # tokens per row before padding, to check the second pass against
        self.target = target
        self.padding_side = padding_side

    @pauses_garbage_collection
    def __call__(self) -> Alignment:
        tokenizer = self.tokenizer
        if tokenizer._added is not self.added:
            tokenizer = tokenizer._with_added(self.added)
        rows, _ = tokenizer._build_rows(self.examples, self.plan, with_offsets=True)
        if [len(row.ids) for row in rows] != self.lengths:
            raise RuntimeError("the offsets pass produced other rows than the call; please report this input")
        return alignment_of_rows(rows, self.target, self.padding_side, tokenizer.pad_token)
