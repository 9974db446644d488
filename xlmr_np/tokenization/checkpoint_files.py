"""Reading and writing a tokenizer directory in transformers' layout.

A saved XLM-R tokenizer is up to four files:

``sentencepiece.bpe.model``   the SentencePiece model (despite the name, a *unigram* model for XLM-R)
``tokenizer.json``            the fast tokenizer's file; used only when the .model file is absent
``tokenizer_config.json``     settings: ``model_max_length``, special tokens, ``added_tokens_decoder``
``special_tokens_map.json``   the special tokens again; its entries override the config's

``save_pretrained`` writes the .model file and the two JSON files the way transformers 4.39 does,
so both ``transformers.XLMRobertaTokenizer`` and ``XLMRobertaTokenizerFast`` can load the
directory (the fast one converts the .model file itself).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence, Tuple

from ..errors import CheckpointError
from .special_tokens import AddedToken
from .tokenizer_json import added_tokens_from_tokenizer_json, model_proto_from_tokenizer_json

SENTENCEPIECE_FILE = "sentencepiece.bpe.model"
TOKENIZER_JSON_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"

SPECIAL_TOKEN_ROLES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
_SETTING_KEYS = ("model_max_length", "clean_up_tokenization_spaces", "padding_side", "truncation_side")
ADDITIONAL_SPECIAL_TOKENS = "additional_special_tokens"


@dataclass
class TokenizerFiles:
    """What a tokenizer directory holds, ready for ``XLMRobertaTokenizer(...)``."""

    model_proto: bytes
    source: str
    settings: Dict[str, Any] = field(default_factory=dict)
    added_tokens: Dict[int, AddedToken] = field(default_factory=dict)


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot read {path}: {error}") from None


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error}") from None


def read_tokenizer_files(directory: str) -> TokenizerFiles:
    """Collect the model bytes and settings of a tokenizer directory."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise CheckpointError(f"{directory!r} is not a directory (only local checkpoints are supported)")
    model_path = os.path.join(directory, SENTENCEPIECE_FILE)
    json_path = os.path.join(directory, TOKENIZER_JSON_FILE)
    added_tokens: Dict[int, AddedToken] = {}
    if os.path.isfile(model_path):
        files = TokenizerFiles(_read_bytes(model_path), model_path)
    elif os.path.isfile(json_path):
        data = _read_json(json_path)
        files = TokenizerFiles(model_proto_from_tokenizer_json(data, json_path), json_path)
        added_tokens = added_tokens_from_tokenizer_json(data)
    else:
        raise CheckpointError(f"{directory!r} has neither {SENTENCEPIECE_FILE} nor {TOKENIZER_JSON_FILE}")

    config_path = os.path.join(directory, TOKENIZER_CONFIG_FILE)
    config = _read_json(config_path) if os.path.isfile(config_path) else {}
    if not isinstance(config, dict):
        raise CheckpointError(f"{config_path} must hold a JSON object")
    for key in _SETTING_KEYS + SPECIAL_TOKEN_ROLES:
        if key in config and config[key] is not None:
            files.settings[key] = config[key]
    for token_id, entry in (config.get("added_tokens_decoder") or {}).items():
        try:
            added_tokens[int(token_id)] = AddedToken.from_json(entry)
        except ValueError as error:
            raise CheckpointError(f"{config_path}: bad added_tokens_decoder entry {token_id!r}: {error}") from None

    map_path = os.path.join(directory, SPECIAL_TOKENS_MAP_FILE)
    special_map = _read_json(map_path) if os.path.isfile(map_path) else {}
    if not isinstance(special_map, dict):
        raise CheckpointError(f"{map_path} must hold a JSON object")
    for role in SPECIAL_TOKEN_ROLES:
        if special_map.get(role) is not None:
            files.settings[role] = special_map[role]
    for role in SPECIAL_TOKEN_ROLES:
        if role in files.settings:
            files.settings[role] = AddedToken.from_json(files.settings[role])
    for source, path in ((special_map, map_path), (config, config_path)):
        listed = source.get(ADDITIONAL_SPECIAL_TOKENS)
        if listed is None:
            continue
        if not isinstance(listed, list):
            raise CheckpointError(f"{path}: {ADDITIONAL_SPECIAL_TOKENS} must be a list, got {listed!r:.80}")
        try:
            files.settings[ADDITIONAL_SPECIAL_TOKENS] = [AddedToken.from_json(entry) for entry in listed]
        except ValueError as error:
            raise CheckpointError(f"{path}: bad {ADDITIONAL_SPECIAL_TOKENS} entry: {error}") from None
        break  # special_tokens_map.json's list wins over the config's
    files.added_tokens = added_tokens
    return files


def write_tokenizer_files(
    directory: str,
    model_proto: bytes,
    special_tokens: Dict[str, AddedToken],
    added_tokens: Dict[int, AddedToken],
    model_max_length: int,
    clean_up_tokenization_spaces: bool,
    extra_settings: Optional[Dict[str, Any]] = None,
    additional_special_tokens: Sequence[AddedToken] = (),
) -> Tuple[str, str, str]:
    """Write the three files of a slow-tokenizer checkpoint; return their paths.

    Additional special tokens, when there are any, are listed as transformers lists them: their
    strings in ``tokenizer_config.json``, their flags in ``special_tokens_map.json``.
    """
    directory = os.fspath(directory)
    if os.path.isfile(directory):
        raise CheckpointError(f"{directory!r} is a file; save_pretrained needs a directory")
    os.makedirs(directory, exist_ok=True)
    config: Dict[str, Any] = {
        "added_tokens_decoder": {str(token_id): token.to_json() for token_id, token in sorted(added_tokens.items())},
    }
    for role in SPECIAL_TOKEN_ROLES:
        config[role] = special_tokens[role].content
    if additional_special_tokens:
        config[ADDITIONAL_SPECIAL_TOKENS] = [token.content for token in additional_special_tokens]
    config["clean_up_tokenization_spaces"] = clean_up_tokenization_spaces
    config["model_max_length"] = model_max_length
    config["sp_model_kwargs"] = {}
    config["tokenizer_class"] = "XLMRobertaTokenizer"
    config.update(extra_settings or {})
    config = dict(sorted(config.items()))

    special_map = {}
    for role in SPECIAL_TOKEN_ROLES:
        token = special_tokens[role]
        if token.lstrip or token.rstrip:
            entry = token.to_json()
            del entry["special"]
            special_map[role] = entry
        else:
            special_map[role] = token.content
    if additional_special_tokens:
        special_map[ADDITIONAL_SPECIAL_TOKENS] = [
            {key: value for key, value in token.to_json().items() if key != "special"} for token in additional_special_tokens
        ]
    special_map = dict(sorted(special_map.items()))

    paths = tuple(os.path.join(directory, name) for name in (TOKENIZER_CONFIG_FILE, SPECIAL_TOKENS_MAP_FILE, SENTENCEPIECE_FILE))
    with open(paths[0], "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    with open(paths[1], "w", encoding="utf-8") as handle:
        json.dump(special_map, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    with open(paths[2], "wb") as handle:
        handle.write(model_proto)
    return paths
