"""``XLMRobertaTokenizer``: XLM-R's SentencePiece tokenizer, id for id equal to transformers'.

It mirrors the public API of ``transformers.XLMRobertaTokenizer`` (4.39.3), so switching is
changing an import::

    from xlmr_np.tokenization import XLMRobertaTokenizer
    tokenizer = XLMRobertaTokenizer.from_pretrained("path/to/xlm-roberta-base")
    batch = tokenizer(["Hello world!", "Bonjour"], padding=True, return_tensors="np")

How a text becomes ids:

1. cut the text at special tokens written in it (``special_tokens.py``);
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
from typing import Dict, List, Optional, Sequence, Tuple, Union

from ..errors import CheckpointError, ConfigError, InputError
from . import padding as padding_rules
from . import truncation as truncation_rules
from .alignment import Span
from .batch_encoding import BatchEncoding
from .checkpoint_files import (
    SENTENCEPIECE_FILE,
    SPECIAL_TOKEN_ROLES,
    read_tokenizer_files,
    write_tokenizer_files,
)
from .decoding import clean_up_tokenization, tokens_to_string
from .id_layout import FairseqIdLayout
from .offsets import OffsetMapper
from .sentencepiece_backend import load_processor
from .sentencepiece_model import read_normalizer_settings
from .special_tokens import AddedToken, AddedTokenSplitter, Stretch

VERY_LARGE_INTEGER = int(1e30)
"""``model_max_length`` of a tokenizer that has none (transformers' value)."""

LARGE_INTEGER = int(1e20)
"""Above this, ``model_max_length`` counts as "no limit" when padding or truncating to it."""

_BATCH_ENCODE_THRESHOLD = 64
"""SentencePiece's list API costs ~0.3 ms per call (it starts worker threads); below this many
texts, encoding them one by one is faster."""

TextInput = Union[str, Sequence[str], Sequence[Tuple[str, str]]]

_DEFAULT_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "mask_token": "<mask>",
}


class _Encoded:
    """The tokens of one text, before special tokens are added."""

    __slots__ = ("ids", "spans")

    def __init__(self, ids: List[int], spans: Optional[List[Span]]):
        self.ids = ids
        self.spans = spans


class XLMRobertaTokenizer:
    """SentencePiece tokenizer of XLM-RoBERTa with transformers' API and outputs.

    Build it with :meth:`from_pretrained` on a checkpoint directory, or directly from a
    ``sentencepiece.bpe.model`` file (``vocab_file``) or model bytes (``model_proto``).
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
        self._vocab: Optional[Dict[str, int]] = None

        if isinstance(model_max_length, float) and model_max_length.is_integer():
            model_max_length = int(model_max_length)  # some configs store 1e30 as a float
        self.model_max_length = _check_positive_int("model_max_length", model_max_length, ConfigError)
        self.clean_up_tokenization_spaces = bool(clean_up_tokenization_spaces)
        self.padding_side = padding_side
        self.truncation_side = truncation_side

        roles = dict(
            bos_token=bos_token, eos_token=eos_token, unk_token=unk_token, sep_token=sep_token,
            pad_token=pad_token, cls_token=cls_token, mask_token=mask_token,
        )
        self._special_tokens: Dict[str, AddedToken] = {}
        for role, token in roles.items():
            if isinstance(token, str):
                # XLM-R's <mask> swallows the whitespace before it ("the <mask>" -> "the", "<mask>").
                token = AddedToken(token, lstrip=(role == "mask_token"))
            elif not isinstance(token, AddedToken):
                raise ConfigError(f"{role} must be a string or an AddedToken, got {type(token).__name__}")
            self._special_tokens[role] = token
        self._build_added_tokens(added_tokens_decoder or {})

    # ------------------------------------------------------------------ construction helpers

    def _build_added_tokens(self, configured: Dict[int, AddedToken]) -> None:
        """Decide which strings are matched verbatim in the input, and their ids."""
        decoder: Dict[int, AddedToken] = {}
        for token_id, token in configured.items():
            token_id = int(token_id)
            if not 0 <= token_id < self._layout.vocab_size:
                raise ConfigError(
                    f"added token {token.content!r} has id {token_id}, outside the vocabulary 0..{self._layout.vocab_size - 1}"
                )
            decoder[token_id] = token
        present = {token.content for token in decoder.values()}
        for role in SPECIAL_TOKEN_ROLES:
            token = self._special_tokens[role]
            if token.content in present:
                continue
            token_id = self._layout.id_of_token(token.content)
            if token_id == self._layout.unk_id and token.content != "<unk>":
                raise ConfigError(f"{role} {token.content!r} is not in the vocabulary")
            decoder[token_id] = token
            present.add(token.content)
        self._added_tokens_decoder = dict(sorted(decoder.items()))
        self._added_tokens_encoder = {token.content: token_id for token_id, token in self._added_tokens_decoder.items()}
        self._splitter = AddedTokenSplitter(self._added_tokens_decoder)

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
            self._special_tokens,
            self._added_tokens_decoder,
            self.model_max_length,
            self.clean_up_tokenization_spaces,
            extra,
        )

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_processor"] = None  # SentencePieceProcessor is rebuilt from the stored bytes
        state["_layout"] = None
        state["_offset_mapper"] = None  # rebuilt on first use
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
        return len(self.get_vocab())

    def get_vocab(self) -> Dict[str, int]:
        """``{token: id}`` for every id (a copy; built once, then cached)."""
        if self._vocab is None:
            vocab = {self._layout.token_of_id(model_id): model_id for model_id in range(self.vocab_size)}
            vocab.update(self._added_tokens_encoder)
            self._vocab = vocab
        return dict(self._vocab)

    @property
    def added_tokens_decoder(self) -> Dict[int, AddedToken]:
        """``{id: AddedToken}`` of the tokens matched verbatim in text."""
        return dict(self._added_tokens_decoder)

    @property
    def added_tokens_encoder(self) -> Dict[str, int]:
        """``{content: id}`` of the tokens matched verbatim in text."""
        return dict(self._added_tokens_encoder)

    def convert_tokens_to_ids(self, tokens: Union[str, Sequence[str], None]):
        """Id of a token string, or ids of a list of them; unknown strings give ``unk_token_id``."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            return self._id_of_token(tokens)
        return [self._id_of_token(_require_str(token, "token")) for token in tokens]

    def _id_of_token(self, token: str) -> int:
        added = self._added_tokens_encoder.get(token)
        return added if added is not None else self._layout.id_of_token(token)

    def convert_ids_to_tokens(self, ids, skip_special_tokens: bool = False):
        """Token string of an id, or strings of a list of ids (optionally without special tokens)."""
        if _is_integer(ids):
            return self._token_of_id(int(ids))
        ids = _as_id_list(ids)
        special_ids = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._token_of_id(token_id) for token_id in ids if token_id not in special_ids]

    def _token_of_id(self, token_id: int) -> str:
        added = self._added_tokens_decoder.get(token_id)
        if added is not None:
            return added.content
        if not 0 <= token_id < self.vocab_size:
            raise InputError(f"token id {token_id} is outside the vocabulary 0..{self.vocab_size - 1}")
        return self._layout.token_of_id(token_id)

    def convert_tokens_to_string(self, tokens: Sequence[str]) -> str:
        """Join tokens into text ("▁" becomes a space, ends stripped)."""
        return tokens_to_string(tokens)

    # ------------------------------------------------------------------ special tokens

    def _special_token(self, role: str) -> str:
        return self._special_tokens[role].content

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
    def special_tokens_map(self) -> Dict[str, str]:
        """``{"bos_token": "<s>", ...}`` for the seven roles."""
        return {role: self._special_token(role) for role in SPECIAL_TOKEN_ROLES}

    @property
    def all_special_tokens(self) -> List[str]:
        """The distinct special token strings, in role order (``<s> </s> <unk> <pad> <mask>``)."""
        seen: List[str] = []
        for role in SPECIAL_TOKEN_ROLES:
            if self._special_token(role) not in seen:
                seen.append(self._special_token(role))
        return seen

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
        text = _require_str(text, "text")
        stretches = self._splitter.split(text)
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
                _require_encodable(text)
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

    def _encode_texts(self, texts: List[str], with_offsets: bool) -> List[_Encoded]:
        """Ids (and, if asked, original character spans) of each text, without special tokens added."""
        stretches_per_text: List[List[Stretch]] = [self._splitter.split(text) for text in texts]
        plain = [
            stretch.text
            for stretches in stretches_per_text
            for stretch in stretches
            if stretch.token_id is None and stretch.text
        ]
        if with_offsets:
            encoded_stretches = iter(self._sentencepiece_encode(plain, str))
        else:
            encoded_stretches = iter(self._layout.model_ids(ids) for ids in self._sentencepiece_encode(plain, int))
        results = []
        for stretches in stretches_per_text:
            if not with_offsets and len(stretches) == 1:
                results.append(_Encoded(next(encoded_stretches) if stretches[0].text else [], None))
                continue
            ids: List[int] = []
            spans: Optional[List[Span]] = [] if with_offsets else None
            for stretch in stretches:
                if stretch.token_id is not None:
                    ids.append(stretch.token_id)
                    if with_offsets:
                        spans.append((stretch.start, stretch.end))
                elif stretch.text:
                    if with_offsets:
                        pieces = next(encoded_stretches)
                        ids.extend(self._layout.id_of_token(piece) for piece in pieces)
                        spans.extend(self._offsets().spans(stretch.text, stretch.start, pieces))
                    else:
                        ids.extend(next(encoded_stretches))
            results.append(_Encoded(ids, spans))
        return results

    # ------------------------------------------------------------------ the main call

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
        verbose: bool = True,
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
        """
        batched, examples = _examples(text, text_pair)
        padding_strategy, truncation_strategy, max_length = self._resolve_lengths(padding, truncation, max_length, pad_to_multiple_of)
        stride = _check_non_negative_int("stride", stride)
        if return_tensors not in (None, "np"):
            raise InputError(f"return_tensors={return_tensors!r} is not supported; use None or 'np'")
        if return_token_type_ids and not add_special_tokens:
            raise InputError("return_token_type_ids=True needs add_special_tokens=True (as in transformers)")
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in self.model_input_names

        firsts = self._encode_texts([first for first, _ in examples], return_offsets_mapping)
        pair_texts = [second for _, second in examples if second is not None]
        seconds = iter(self._encode_texts(pair_texts, return_offsets_mapping))

        rows_ids: List[List[int]] = []
        rows_spans: List[List[Span]] = []
        rows_special: List[List[int]] = []
        rows_sequence: List[List[Optional[int]]] = []
        sample_of_row: List[int] = []
        for sample, (first, (_, second_text)) in enumerate(zip(firsts, examples)):
            second = next(seconds) if second_text is not None else None
            for kept_first, kept_second in self._truncated_rows(
                first, second, add_special_tokens, truncation_strategy, max_length, stride, return_overflowing_tokens
            ):
                ids, spans, special, sequence = self._assemble_row(first, kept_first, second, kept_second, add_special_tokens)
                rows_ids.append(ids)
                rows_spans.append(spans)
                rows_special.append(special)
                rows_sequence.append(sequence)
                sample_of_row.append(sample)

        fields: Dict[str, List[list]] = {"input_ids": rows_ids}
        if return_token_type_ids:
            fields["token_type_ids"] = [[0] * len(row) for row in rows_ids]
        if return_attention_mask:
            fields["attention_mask"] = [[1] * len(row) for row in rows_ids]
        if return_special_tokens_mask:
            fields["special_tokens_mask"] = rows_special
        if return_offsets_mapping:
            fields["offset_mapping"] = rows_spans
        fields["_sequence_ids"] = rows_sequence

        target = padding_rules.target_length(
            padding_strategy, [len(row) for row in rows_ids], max_length, pad_to_multiple_of
        )
        if target is not None:
            pad_values = {
                "input_ids": self.pad_token_id,
                "token_type_ids": self.pad_token_type_id,
                "attention_mask": 0,
                "special_tokens_mask": 1,
                "offset_mapping": (0, 0),
                "_sequence_ids": None,
            }
            padding_rules.pad_rows(fields, pad_values, target, self.padding_side)

        sequence_ids = fields.pop("_sequence_ids")
        if return_overflowing_tokens:
            fields["overflow_to_sample_mapping"] = sample_of_row
        unbatch = not batched and not return_overflowing_tokens
        if unbatch and return_tensors is None:
            fields = {key: value[0] for key, value in fields.items()}
        encoding = BatchEncoding(fields, sequence_ids)
        if return_tensors == "np":
            encoding.convert_to_numpy()
        return encoding

    def _resolve_lengths(self, padding, truncation, max_length, pad_to_multiple_of):
        """transformers' rules for combining ``padding``, ``truncation`` and ``max_length``."""
        if max_length is not None:
            max_length = _check_non_negative_int("max_length", max_length)
        if pad_to_multiple_of is not None:
            pad_to_multiple_of = _check_positive_int("pad_to_multiple_of", pad_to_multiple_of, InputError)
        if max_length is not None and padding is False and truncation is None:
            truncation = truncation_rules.LONGEST_FIRST  # transformers' backward-compatible default
        padding_strategy = padding_rules.resolve_strategy(padding)
        truncation_strategy = truncation_rules.resolve_strategy(truncation)
        if max_length is None:
            no_limit = self.model_max_length > LARGE_INTEGER
            if padding_strategy == padding_rules.MAX_LENGTH:
                if no_limit:
                    padding_strategy = padding_rules.DO_NOT_PAD
                else:
                    max_length = self.model_max_length
            if truncation_strategy != truncation_rules.DO_NOT_TRUNCATE:
                if no_limit:
                    truncation_strategy = truncation_rules.DO_NOT_TRUNCATE
                else:
                    max_length = self.model_max_length
        if (
            truncation_strategy != truncation_rules.DO_NOT_TRUNCATE
            and padding_strategy != padding_rules.DO_NOT_PAD
            and pad_to_multiple_of is not None
            and max_length is not None
            and max_length % pad_to_multiple_of
        ):
            raise InputError(
                f"truncation length max_length={max_length} is not a multiple of pad_to_multiple_of={pad_to_multiple_of}"
            )
        return padding_strategy, truncation_strategy, max_length

    def _truncated_rows(self, first, second, add_special_tokens, strategy, max_length, stride, overflow):
        """``[(slice of first, slice of second or None), ...]``: one row, or one per overflow window."""
        keep_second = None if second is None else slice(0, len(second.ids))
        if strategy == truncation_rules.DO_NOT_TRUNCATE or max_length is None:
            return [(slice(0, len(first.ids)), keep_second)]
        special_count = self.num_special_tokens_to_add(pair=second is not None) if add_special_tokens else 0
        if max_length < special_count:
            raise InputError(
                f"max_length={max_length} is smaller than the {special_count} special tokens "
                f"{'a pair' if second is not None else 'one text'} needs"
            )
        budget = max_length - special_count
        if second is None and strategy == truncation_rules.ONLY_SECOND:
            raise InputError("truncation='only_second' needs a text_pair")
        if not overflow:
            return [truncation_rules.truncate(len(first.ids), None if second is None else len(second.ids), budget, strategy, self.truncation_side)]
        if second is not None and strategy == truncation_rules.LONGEST_FIRST:
            raise InputError(
                "return_overflowing_tokens=True with a pair of texts needs truncation='only_first' or "
                "'only_second' (as in transformers' slow tokenizer); 'longest_first' cannot say which text overflows"
            )
        if strategy == truncation_rules.ONLY_SECOND:
            window = budget - len(first.ids)
            if window <= 0 and len(second.ids) > window:
                raise InputError(
                    f"truncation='only_second' leaves no room for the second text: max_length={max_length} holds "
                    f"{budget} tokens besides special tokens and the first text already has {len(first.ids)}"
                )
            windows = truncation_rules.overflow_windows(len(second.ids), window, stride, self.truncation_side)
            return [(slice(0, len(first.ids)), window_slice) for window_slice in windows]
        window = budget - (len(second.ids) if second is not None else 0)
        if window <= 0 and len(first.ids) > window:
            raise InputError(
                f"truncation leaves no room for the first text: max_length={max_length} holds {budget} tokens "
                f"besides special tokens and the second text already has {len(second.ids) if second else 0}"
            )
        windows = truncation_rules.overflow_windows(len(first.ids), window, stride, self.truncation_side)
        return [(window_slice, keep_second) for window_slice in windows]

    def _assemble_row(self, first, kept_first, second, kept_second, add_special_tokens):
        """Ids, offsets, special-token mask and sequence ids of one output row."""
        first_ids = first.ids[kept_first]
        first_spans = first.spans[kept_first] if first.spans is not None else [(0, 0)] * len(first_ids)
        parts_ids = [first_ids]
        parts_spans = [first_spans]
        parts_special = [[0] * len(first_ids)]
        parts_sequence = [[0] * len(first_ids)]
        if second is not None:
            second_ids = second.ids[kept_second]
            second_spans = second.spans[kept_second] if second.spans is not None else [(0, 0)] * len(second_ids)
        if not add_special_tokens:
            if second is not None:
                parts_ids.append(second_ids)
                parts_spans.append(second_spans)
                parts_special.append([0] * len(second_ids))
                parts_sequence.append([1] * len(second_ids))
            return [sum(parts, []) for parts in (parts_ids, parts_spans, parts_special, parts_sequence)]
        cls, sep, none = self.cls_token_id, self.sep_token_id, (0, 0)
        ids = [cls] + first_ids + [sep]
        spans = [none] + first_spans + [none]
        special = [1] + [0] * len(first_ids) + [1]
        sequence: List[Optional[int]] = [None] + [0] * len(first_ids) + [None]
        if second is not None:
            ids += [sep] + second_ids + [sep]
            spans += [none] + second_spans + [none]
            special += [1] + [0] * len(second_ids) + [1]
            sequence += [None] + [1] * len(second_ids) + [None]
        return ids, spans, special, sequence

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

    # ------------------------------------------------------------------ tokens -> text

    def decode(
        self,
        token_ids,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: Optional[bool] = None,
        spaces_between_special_tokens: bool = True,
    ) -> str:
        """Text of a sequence of ids, exactly as transformers' slow ``XLMRobertaTokenizer.decode``."""
        tokens = self.convert_ids_to_tokens(_as_id_list(token_ids), skip_special_tokens=skip_special_tokens)
        special = set(self.all_special_tokens)
        # Added tokens that are not special are decoded on their own, between spaces (transformers' rule).
        plain_added = {content for content in self._added_tokens_encoder if content not in special}
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


# ---------------------------------------------------------------------- argument checking


def _require_str(value, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a str, got {type(value).__name__}: {value!r:.80}")
    return value


def _require_encodable(text: str) -> None:
    """Reject strings that cannot be written as UTF-8 (lone surrogates such as '\\ud800')."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(
            f"text contains the lone surrogate {text[error.start]!r} (U+{ord(text[error.start]):04X}) at "
            f"position {error.start}; only valid Unicode text can be tokenised"
        ) from None


def _is_integer(value) -> bool:
    return isinstance(value, int) or (hasattr(value, "ndim") and value.ndim == 0 and hasattr(value, "item"))


def _as_id_list(token_ids) -> List[int]:
    """Accept an int, a list/tuple of ints, or a 0-/1-D array (NumPy, torch, ...)."""
    if hasattr(token_ids, "tolist"):
        token_ids = token_ids.tolist()
    if isinstance(token_ids, int):
        return [token_ids]
    if not isinstance(token_ids, (list, tuple)):
        raise InputError(f"token ids must be an int or a sequence of ints, got {type(token_ids).__name__}")
    result = []
    for token_id in token_ids:
        if isinstance(token_id, bool) or not isinstance(token_id, int):
            if hasattr(token_id, "item"):
                token_id = token_id.item()
            if isinstance(token_id, bool) or not isinstance(token_id, int):
                raise InputError(f"token ids must be ints, got {type(token_id).__name__}: {token_id!r:.80}")
        result.append(token_id)
    return result


def _check_non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{name} must be an int >= 0, got {value!r}")
    return value


def _check_positive_int(name: str, value, error_type) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise error_type(f"{name} must be an int > 0, got {value!r}")
    return value


def _examples(text, text_pair) -> Tuple[bool, List[Tuple[str, Optional[str]]]]:
    """Normalise the call's inputs to ``(batched, [(text, pair or None), ...])``."""
    if isinstance(text, str):
        if text_pair is not None and not isinstance(text_pair, str):
            raise InputError(f"text is one str, so text_pair must be a str too, got {type(text_pair).__name__}")
        return False, [(text, text_pair)]
    if not isinstance(text, (list, tuple)):
        raise InputError(f"text must be a str or a list of str, got {type(text).__name__}: {text!r:.80}")
    if not text:
        raise InputError("text is an empty list; there is nothing to tokenise")
    if text_pair is not None:
        if not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text):
            raise InputError(
                f"text is a batch of {len(text)}, so text_pair must be a list of {len(text)} str, got {text_pair!r:.80}"
            )
        pairs = list(zip(text, text_pair))
    else:
        pairs = [tuple(item) if isinstance(item, (list, tuple)) else (item, None) for item in text]
    examples = []
    for index, pair in enumerate(pairs):
        if len(pair) != 2:
            raise InputError(f"batch item {index} must be a str or a (text, text_pair) pair, got {pair!r:.80}")
        first, second = pair
        if not isinstance(first, str) or not (second is None or isinstance(second, str)):
            raise InputError(f"batch item {index} must hold str values, got {pair!r:.80}")
        examples.append((first, second))
    return True, examples
