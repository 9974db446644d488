"""The added tokens of a tokenizer, and adding more at run time (``add_tokens``, ``add_special_tokens``).

An *added token* is a string matched verbatim in text before SentencePiece runs
(``special_tokens.py``): XLM-R's ``<s>``, ``</s>``, ``<pad>``, ``<unk>`` and ``<mask>``, the
tokens a checkpoint lists in ``added_tokens_decoder``, and those added at run time. Adding one
follows transformers' slow ``PreTrainedTokenizer._add_tokens``:

* a string already added, and the empty string, are skipped;
* a string that is already a vocabulary piece (``"▁the"``) keeps the piece's id and is from then
  on matched verbatim in text;
* any other string gets the next id, ``len(tokenizer)``, then ``len(tokenizer) + 1``, ...;
* a plain string becomes ``AddedToken(s, normalized=True, special=False)``, or a special one
  (``normalized=False``) with ``special_tokens=True`` or when it is a special token's string;
  an ``AddedToken`` keeps its flags (``special_tokens=True`` sets ``special``), and one whose
  string was added before replaces that token's flags, keeping its id;
* a special token that is none of the named ones becomes an additional special token.

Everything adding changes — the named special tokens, the additional special tokens, the
``{id: AddedToken}`` table and the splitter built from it — lives in one :class:`AddedVocabulary`
that is replaced, never modified: an output whose alignment pass runs later keeps the one its
call used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Sequence, Tuple, Union

from ..errors import InputError
from .checkpoint_files import SPECIAL_TOKEN_ROLES
from .inputs import require_encodable
from .special_tokens import AddedToken, AddedTokenSplitter

SPECIAL_TOKENS_ATTRIBUTES = SPECIAL_TOKEN_ROLES + ("additional_special_tokens",)
"""The keys ``add_special_tokens`` takes, as transformers' ``SPECIAL_TOKENS_ATTRIBUTES``."""

FIXED_ROLES = ("unk_token",)
"""Named special tokens that cannot be given another string at run time. The unknown token's id
is where SentencePiece's unknown pieces go (``id_layout.py``); the slow tokenizer would send them
to a new ``unk_token``'s id, the fast one keeps 3, and our encoder maps them without looking."""

_FLAGS = ("lstrip", "rstrip", "single_word", "normalized", "special")

TokenLike = Union[str, AddedToken]


def as_token(value, what: str) -> TokenLike:
    """A ``str`` or :class:`AddedToken` to add; another library's ``AddedToken`` (transformers',
    ``tokenizers``') becomes ours with the same flags. Refuses anything else, ``single_word``
    tokens and strings that are not valid Unicode, naming the token."""
    if not isinstance(value, (str, AddedToken)):
        content = getattr(value, "content", None)
        if not (isinstance(content, str) and all(hasattr(value, flag) for flag in _FLAGS)):
            raise InputError(f"{what} must be a str or an AddedToken, got {type(value).__name__}: {value!r:.80}")
        value = AddedToken(content, **{flag: getattr(value, flag) for flag in _FLAGS})
    content = str(value)
    try:
        require_encodable(content)
    except InputError as error:
        raise InputError(f"{what} {content!r:.80}: {error}") from None
    if isinstance(value, AddedToken) and value.single_word:
        raise InputError(f"{what} {content!r:.80} has single_word=True, which this tokenizer does not support")
    return value


@dataclass(frozen=True)
class AddedVocabulary:
    """The named special tokens, the additional special tokens, and every added token by id.

    ``decoder`` is ``{id: AddedToken}`` sorted by id, ``encoder`` its inverse ``{content: id}``,
    ``splitter`` cuts text at the tokens of ``decoder``. Build it with :meth:`build`.
    """

    special_tokens: Dict[str, AddedToken]  # role -> token, for the seven roles
    additional_special_tokens: Tuple[AddedToken, ...]
    decoder: Dict[int, AddedToken]
    encoder: Dict[str, int]
    splitter: AddedTokenSplitter

    @classmethod
    def build(
        cls, special_tokens: Dict[str, AddedToken], additional: Iterable[AddedToken], decoder: Dict[int, AddedToken]
    ) -> "AddedVocabulary":
        decoder = dict(sorted(decoder.items()))
        encoder = {token.content: token_id for token_id, token in decoder.items()}
        return cls(dict(special_tokens), tuple(additional), decoder, encoder, AddedTokenSplitter(decoder))

    @property
    def all_special_tokens(self) -> List[str]:
        """The distinct strings of the named special tokens, then of the additional ones (transformers' order)."""
        seen: Dict[str, None] = {}
        for token in list(self.special_tokens.values()) + list(self.additional_special_tokens):
            seen.setdefault(token.content)
        return list(seen)

    def with_tokens(self, tokens: Sequence[TokenLike], special_tokens: bool, vocab: Dict[str, int]) -> Tuple["AddedVocabulary", int]:
        """This vocabulary with ``tokens`` added (checked by :func:`as_token`), and how many got a new id.

        ``vocab`` is the tokenizer's ``get_vocab()``; new ids start at its length, as in
        transformers' slow tokenizer, whose rules the module docstring lists.
        """
        vocab = dict(vocab)
        first_new_id = len(vocab)
        decoder, encoder = dict(self.decoder), dict(self.encoder)
        additional = list(self.additional_special_tokens)
        special = set(self.all_special_tokens)
        new_ids = 0
        for token in tokens:
            if str(token) == "":
                continue
            if isinstance(token, str):
                if token in encoder:
                    continue
                is_special = special_tokens or token in special
                token = AddedToken(token, normalized=not is_special, special=is_special)
            elif special_tokens:
                token = replace(token, special=True)
            token_id = vocab.get(token.content)
            if token_id is None:
                token_id = first_new_id + new_ids
                taken = decoder.get(token_id)
                if taken is not None:
                    raise InputError(
                        f"cannot add {token.content!r}: its id {token_id} (the vocabulary's size) already belongs to "
                        f"the added token {taken.content!r}; the added tokens' ids have a gap"
                    )
                vocab[token.content] = token_id
                new_ids += 1
            if token.special and token.content not in special:
                additional.append(token)
                special.add(token.content)
            decoder[token_id] = token
            encoder[token.content] = token_id
        return AddedVocabulary.build(self.special_tokens, additional, decoder), new_ids

    def with_special_tokens(
        self, special_tokens_dict: Dict[str, object], replace_additional_special_tokens: bool
    ) -> Tuple["AddedVocabulary", List[AddedToken]]:
        """This vocabulary with the named and additional special tokens of ``special_tokens_dict``
        set, and the tokens still to pass to :meth:`with_tokens` (``special_tokens=True``).

        As transformers' ``add_special_tokens``: a string becomes a special token that strips
        nothing (also for ``mask_token``, unlike the constructor); ``replace_additional_special_tokens``
        replaces the list of additional special tokens (the old ones stay added tokens) rather
        than extending it, and is ignored for an empty list. Checks every key and value before
        anything changes.
        """
        if not isinstance(special_tokens_dict, dict):
            raise InputError(f"add_special_tokens takes a dict, got {type(special_tokens_dict).__name__}")
        checked: Dict[str, object] = {}
        for key, value in special_tokens_dict.items():
            if key not in SPECIAL_TOKENS_ATTRIBUTES:
                raise InputError(f"add_special_tokens: {key!r} is not a special token key; the keys are {', '.join(SPECIAL_TOKENS_ATTRIBUTES)}")
            if key == "additional_special_tokens":
                if not isinstance(value, (list, tuple)):
                    raise InputError(f"additional_special_tokens must be a list of tokens, got {type(value).__name__}: {value!r:.80}")
                checked[key] = [_as_special(as_token(token, "additional special token")) for token in value]
                if any(token.content == "" for token in checked[key]):
                    raise InputError("additional_special_tokens cannot hold the empty string")
                continue
            token = _as_special(as_token(value, key))
            if token.content == "":
                raise InputError(f"{key} cannot be the empty string")
            if key in FIXED_ROLES and token.content != self.special_tokens[key].content:
                raise InputError(
                    f"{key} cannot be changed from {self.special_tokens[key].content!r} to {token.content!r}: "
                    f"SentencePiece's unknown pieces always get id 3 here (the slow transformers tokenizer would "
                    f"give them the new token's id, the fast one keeps 3); flags of {self.special_tokens[key].content!r} may be changed"
                )
            checked[key] = token

        special_tokens = dict(self.special_tokens)
        additional = list(self.additional_special_tokens)
        to_add: List[AddedToken] = []
        for key, value in checked.items():
            if key == "additional_special_tokens":
                present = {token.content for token in additional}
                new = [token for token in value if replace_additional_special_tokens or token.content not in present]
                additional = list(new) if replace_additional_special_tokens and new else additional + new
                to_add += new
            else:
                special_tokens[key] = value
                if value not in to_add:
                    to_add.append(value)
        return AddedVocabulary.build(special_tokens, additional, self.decoder), to_add


def _as_special(token: TokenLike) -> AddedToken:
    """A string given to ``add_special_tokens``: a special token that strips nothing and is not normalised."""
    return AddedToken(token, normalized=False, special=True) if isinstance(token, str) else token
