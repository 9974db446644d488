"""``pytorch_model.bin`` -> ``model.safetensors``: convert a legacy checkpoint once, load it safely after.

``convert_bin_to_safetensors(src, dst)`` reads the ``.bin`` weights with ``torch_bin`` (no torch,
no pickled code run) and writes a directory that transformers and xlmr_np both load:

- ``model.safetensors`` (metadata ``{"format": "pt"}``, which transformers requires), or for a
  sharded ``pytorch_model.bin.index.json`` one ``model-0000i-of-0000n.safetensors`` per shard
  and a ``model.safetensors.index.json`` built from the tensors actually found;
- when ``src`` is a checkpoint directory (or a shard index), every other regular file of it
  (``config.json``, tokenizer files, ...) copied as it is, symbolic links and weight files of
  any format excepted; when ``src`` is a single ``.bin`` file, only the ``config.json`` and
  ``generation_config.json`` next to it.

Tensors keep their dtype (float32, float16, bfloat16, integers). Tied weights, which share a
storage in the ``.bin``, are written once per name (safetensors has no aliasing); both loaders
tie them again. Files are written under a temporary name and renamed, so an interrupted
conversion leaves no half-written ``model.safetensors``.

    python -m xlmr_np.checkpoint.convert SRC DST
"""

from __future__ import annotations

import json
import os
import shutil
import sys

from ..errors import CheckpointError
from .loading import BIN_INDEX_NAME, BIN_NAME, WEIGHTS_INDEX_NAME, WEIGHTS_NAME, shard_files
from .safetensors_io import save_file
from .torch_bin import load_bin_with_codes

WEIGHT_SUFFIXES = (".bin", ".bin.index.json", ".safetensors", ".safetensors.index.json", ".h5",
                   ".msgpack", ".pt", ".pth", ".ckpt")
SINGLE_FILE_COMPANIONS = ("config.json", "generation_config.json")


def convert_bin_to_safetensors(src, dst, overwrite: bool = False) -> list[str]:
    """Convert ``src`` (a directory, a ``.bin`` file or a ``.bin.index.json``) into directory ``dst``.

    Returns the paths written. Refuses (``CheckpointError``) to replace existing safetensors
    weights in ``dst`` unless ``overwrite``.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    if os.path.isdir(src):
        folder = src
        if os.path.isfile(os.path.join(src, BIN_NAME)):
            files, index = [os.path.join(src, BIN_NAME)], None
        elif os.path.isfile(os.path.join(src, BIN_INDEX_NAME)):
            index = os.path.join(src, BIN_INDEX_NAME)
            files = shard_files(index)
        else:
            raise CheckpointError(f"no {BIN_NAME} or {BIN_INDEX_NAME} in {src}")
    elif os.path.isfile(src):
        folder = os.path.dirname(os.path.abspath(src))
        index = src if src.endswith(".json") else None
        files = shard_files(src) if index else [src]
    else:
        raise CheckpointError(f"{src!r} is neither a directory nor a file")

    os.makedirs(dst, exist_ok=True)
    existing = [name for name in os.listdir(dst) if name.endswith((".safetensors", WEIGHTS_INDEX_NAME))]
    if existing and not overwrite:
        raise CheckpointError(f"{dst} already has {', '.join(sorted(existing))}; pass overwrite=True "
                              f"to replace them")

    written, weight_map, total = [], {}, 0
    for number, file in enumerate(files, start=1):
        tensors, codes = load_bin_with_codes(file)
        name = WEIGHTS_NAME if index is None else f"model-{number:05d}-of-{len(files):05d}.safetensors"
        for key in tensors:
            if key in weight_map:
                raise CheckpointError(f"tensor {key!r} appears in more than one shard ({file})")
            weight_map[key] = name
            total += tensors[key].nbytes
        _write_atomically(os.path.join(dst, name), lambda path: save_file(
            {key: ("BF16", value) if codes[key] == "BF16" else value for key, value in tensors.items()},
            path, {"format": "pt"}))
        written.append(os.path.join(dst, name))
    if index is not None:
        content = json.dumps({"metadata": {"total_size": total},
                              "weight_map": dict(sorted(weight_map.items()))}, indent=2)
        _write_atomically(os.path.join(dst, WEIGHTS_INDEX_NAME),
                          lambda path: _write_text(path, content))
        written.append(os.path.join(dst, WEIGHTS_INDEX_NAME))

    if os.path.abspath(folder) != os.path.abspath(dst):
        whole_folder = os.path.isdir(src) or index is not None
        for entry in sorted(os.listdir(folder)):
            source = os.path.join(folder, entry)
            if entry.endswith(WEIGHT_SUFFIXES) or os.path.islink(source) or not os.path.isfile(source):
                continue
            if not whole_folder and entry not in SINGLE_FILE_COMPANIONS:
                continue
            shutil.copyfile(source, os.path.join(dst, entry))
            written.append(os.path.join(dst, entry))
    return written


def _write_text(path, content):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content)


def _write_atomically(path, write):
    temporary = path + ".partial"
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m xlmr_np.checkpoint.convert SRC DST", file=sys.stderr)
        return 2
    try:
        for path in convert_bin_to_safetensors(argv[0], argv[1]):
            print(path)
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
