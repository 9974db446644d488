"""From checkpoint files to a model's parameters: finding the files, matching keys, checking shapes.

A model's parameter paths are the checkpoint keys, so loading is mostly bookkeeping for the
layouts real checkpoints come in:

- saved by ``XLMRobertaModel`` (``embeddings.word_embeddings.weight``) or by a head model
  (``roberta.embeddings.word_embeddings.weight``, plus ``lm_head.*``, ``classifier.*``, ...);
- old TensorFlow-era names ``LayerNorm.gamma`` / ``LayerNorm.beta`` for weight / bias;
- one ``model.safetensors`` or shards listed in ``model.safetensors.index.json``;
- failing those, ``pytorch_model.bin`` or shards listed in ``pytorch_model.bin.index.json``,
  read by ``torch_bin`` without torch and without running pickled code;
- float32, float16 or bfloat16 tensors.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy

from ..backend import to_numpy
from ..errors import CheckpointError
from .safetensors_io import bfloat16_to_float32, load_file_with_codes
from .torch_bin import load_bin_with_codes

WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
BIN_NAME = "pytorch_model.bin"
BIN_INDEX_NAME = "pytorch_model.bin.index.json"
BIN_SUFFIXES = (".bin", ".pt", ".pth")
LEGACY_NAMES = ("tf_model.h5", "flax_model.msgpack")
# Buffers some checkpoints carry; they are recomputed, never loaded.
BUFFER_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")


def checkpoint_files(path) -> list[str]:
    """The safetensors files of a checkpoint directory, a sharded index, or a single file."""
    path = os.fspath(path)
    if os.path.isfile(path):
        if path.endswith(".json"):
            return shard_files(path)
        return [path]
    if not os.path.isdir(path):
        raise CheckpointError(f"checkpoint {path!r} is neither a directory nor a file")
    single = os.path.join(path, WEIGHTS_NAME)
    if os.path.isfile(single):
        return [single]
    index = os.path.join(path, WEIGHTS_INDEX_NAME)
    if os.path.isfile(index):
        return shard_files(index)
    if os.path.isfile(os.path.join(path, BIN_NAME)):
        return [os.path.join(path, BIN_NAME)]
    if os.path.isfile(os.path.join(path, BIN_INDEX_NAME)):
        return shard_files(os.path.join(path, BIN_INDEX_NAME))
    legacy = [name for name in LEGACY_NAMES if os.path.exists(os.path.join(path, name))]
    found = f"; it has {', '.join(legacy)}, which xlmr_np does not read" if legacy else ""
    raise CheckpointError(f"no {WEIGHTS_NAME}, {WEIGHTS_INDEX_NAME}, {BIN_NAME} or "
                          f"{BIN_INDEX_NAME} in {path}{found}")


def shard_files(index_path) -> list[str]:
    """The shard files named by a ``model.safetensors.index.json``, each inside its folder."""
    try:
        with open(index_path, encoding="utf-8") as handle:
            index = json.load(handle)
    except (OSError, ValueError, RecursionError) as error:  # ValueError: bad JSON or UTF-8
        raise CheckpointError(f"cannot read shard index {index_path}: {error}") from error
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise CheckpointError(f"{index_path} has no weight_map object")
    folder = os.path.dirname(os.path.abspath(index_path))
    files = []
    names = list(weight_map.values())
    for name in names:
        if not isinstance(name, str) or os.path.basename(name) != name or name in ("", ".", ".."):
            raise CheckpointError(f"{index_path}: shard name {name!r} is not a plain file name")
    for name in dict.fromkeys(names):
        file = os.path.join(folder, name)
        if not os.path.isfile(file):
            raise CheckpointError(f"{index_path}: shard {name} is missing")
        files.append(file)
    return files


def read_tensors(files, dtype) -> dict:
    """All tensors of the files, floats converted to ``dtype`` (no copy for float32 -> float32)."""
    tensors = {}
    for file in files:
        read = load_bin_with_codes if file.endswith(BIN_SUFFIXES) else load_file_with_codes
        arrays, codes = read(file)
        for name, array in arrays.items():
            if name in tensors:
                raise CheckpointError(f"tensor {name!r} appears in more than one shard ({file})")
            if codes[name] == "BF16":
                array = bfloat16_to_float32(array)
            if array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            tensors[name] = array
    return tensors


def rename_legacy_keys(tensors: dict) -> dict:
    """``LayerNorm.gamma`` -> ``LayerNorm.weight``, ``LayerNorm.beta`` -> ``LayerNorm.bias``."""
    renamed = {}
    for key, value in tensors.items():
        if key.endswith(".gamma"):
            key = key[: -len("gamma")] + "weight"
        elif key.endswith(".beta"):
            key = key[: -len("beta")] + "bias"
        renamed[key] = value
    return renamed


def match_prefix(tensors: dict, expected_keys, prefix: str) -> dict:
    """Add or strip the base-model prefix (``roberta.``) so checkpoint keys meet the model's."""
    dotted = prefix + "."
    model_has_prefix = any(key.startswith(dotted) for key in expected_keys)
    file_has_prefix = any(key.startswith(dotted) for key in tensors)
    if model_has_prefix and not file_has_prefix:
        return {dotted + key: value for key, value in tensors.items()}
    if file_has_prefix and not model_has_prefix:
        return {(key[len(dotted):] if key.startswith(dotted) else key): value
                for key, value in tensors.items()}
    return tensors


def load_state_dict(model, tensors: dict, source: str) -> list[str]:
    """Put checkpoint tensors into ``model``; return the keys the checkpoint lacked.

    Missing keys outside the model's optional heads raise ``CheckpointError`` listing them (a
    zero-element parameter may be missing: it holds no values);
    missing head keys are returned for the caller to initialise (with a warning). Keys the model
    does not have are listed in a warning. Shapes must match exactly.
    """
    expected = dict(model.named_parameters())
    tensors = match_prefix(rename_legacy_keys(tensors), expected, model.base_model_prefix)
    for key, alias in model.checkpoint_aliases.items():
        if key not in tensors and alias in tensors:  # a shared tensor saved under its other name
            tensors[key] = tensors[alias]
    ignored = set(model.tied_checkpoint_keys)
    unexpected = sorted(key for key in tensors
                        if key not in expected and key not in ignored and not key.endswith(BUFFER_SUFFIXES))
    # A zero-element tensor (a layer with every head pruned) holds no values; transformers'
    # save_pretrained writes only one of them (they all have data pointer 0, so it takes them for
    # one shared tensor and drops the others' names).
    missing = [key for key in expected if key not in tensors and expected[key].size > 0]
    required = [key for key in missing if not key.startswith(model.optional_prefixes)]
    if required:
        shown = ", ".join(required[:20]) + (f" and {len(required) - 20} more" if len(required) > 20 else "")
        raise CheckpointError(f"{source} misses {len(required)} tensor(s) the model needs: {shown}")
    for key, current in expected.items():
        if key not in tensors:
            continue
        value = tensors[key]
        if tuple(value.shape) != tuple(current.shape):
            raise CheckpointError(f"{source}: tensor {key!r} has shape {tuple(value.shape)}, "
                                  f"the model expects {tuple(current.shape)}")
        if value.dtype.kind != current.dtype.kind and not (value.dtype.kind in "iu" and current.dtype.kind in "iu"):
            raise CheckpointError(f"{source}: tensor {key!r} has dtype {value.dtype}, expected {current.dtype}")
        model.set_parameter(key, value)
    if unexpected:
        warnings.warn(f"{source} has tensor(s) {type(model).__name__} does not use, ignored: "
                      f"{', '.join(unexpected)}", stacklevel=3)
    return missing


def state_dict_for_saving(model) -> dict:
    """The model's parameters as contiguous host arrays, tied copies left out (as transformers does)."""
    return {key: numpy.ascontiguousarray(to_numpy(value)) for key, value in model.named_parameters()}
