"""Fuzzing the readers of untrusted files: mutated safetensors, pytorch_model.bin and config.json.

The property, whatever the bytes: reading raises ``CheckpointError`` / ``ConfigError`` or
returns; a model that loads either runs to finite outputs or raises ``InputError`` naming the
non-finite values. Any other exception (IndexError, ValueError from NumPy, RecursionError, ...)
is a bug.

Mutations are drawn by hypothesis as short lists of operations applied to small valid seed
files: raw byte edits (bit flips, overwrites, 8-byte integers, truncation, insertion), and
format-aware edits that keep the outer layer valid so the inner checks are reached (safetensors
header fields set to odd JSON values, duplicate names, wrong lengths; a torch pickle edited and
re-zipped with correct CRCs, globals swapped; config fields set to huge, NaN or nested values).
CI runs 50 examples per target (profile "ci"); ``scripts/fuzz.py`` runs the same targets for as
long as asked and reports distinct failures.
"""

from __future__ import annotations

import atexit
import collections
import functools
import io
import json
import os
import pickletools
import re
import shutil
import tempfile
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xlmr_np
from xlmr_np import CheckpointError, ConfigError, InputError
from xlmr_np.checkpoint.safetensors_io import float32_to_bfloat16, load_file, save_file
from xlmr_np.checkpoint.torch_bin import load_bin

TINY = dict(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=8, max_position_embeddings=16, type_vocab_size=1, layer_norm_eps=1e-5)
IDS = np.array([[0, 5, 7, 2], [0, 9, 2, 1]])
INTERESTING_INTS = [0, 1, -1, 7, 255, 2**31 - 1, 2**31, 2**32, 2**48, 2**53 + 1, 2**63 - 1, 2**63,
                    2**64, 10**12, 10**30, -(2**63)]
GLOBALS = [b"posix\nsystem", b"builtins\neval", b"torch\nComplexFloatStorage", b"torch\nFloatStorage",
           b"torch\nLongStorage", b"torch\nHalfStorage", b"collections\nOrderedDict", b"torch\nSize",
           b"torch._utils\n_rebuild_tensor", b"torch._utils\n_rebuild_parameter", b"numpy\narray",
           b"torch._utils\n_rebuild_tensor_v2"]
WORKDIR = tempfile.mkdtemp(prefix="xlmr_np_fuzz_")


# -- seed files -----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def seeds() -> dict:
    """Small valid files: a tiny model's checkpoint in both formats, a mixed-dtype file, config.json."""
    import torch

    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**TINY), seed=1)
    directory = os.path.join(WORKDIR, "seed")
    model.save_pretrained(directory)
    with open(os.path.join(directory, "model.safetensors"), "rb") as handle:
        safetensors = handle.read()
    with open(os.path.join(directory, "config.json"), "rb") as handle:
        config = handle.read()
    state = load_file(os.path.join(directory, "model.safetensors"))
    model_bin = _torch_bytes(collections.OrderedDict(
        (name, torch.from_numpy(np.array(value))) for name, value in state.items()))
    weights = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    mixed_tensors = collections.OrderedDict(
        w=weights, transposed=weights.t(), sliced=weights[1:, 2:], tied=weights,
        half=weights.half(), bf16=weights.bfloat16(), ids=torch.arange(5), flags=torch.tensor([True, False]),
        scalar=torch.tensor(2.5), empty=torch.zeros(0, 3), double=weights.double())
    path = os.path.join(WORKDIR, "mixed.safetensors")
    save_file({"w": weights.numpy(), "half": weights.half().numpy(), "ids": np.arange(5),
               "bf16": ("BF16", float32_to_bfloat16(weights.numpy())), "flags": np.array([True]),
               "empty": np.zeros((0, 3), np.float32), "scalar": np.float32(2.5)}, path, {"format": "pt"})
    with open(path, "rb") as handle:
        mixed_safetensors = handle.read()
    return {"safetensors": safetensors, "config": config, "model_bin": model_bin,
            "mixed_safetensors": mixed_safetensors, "mixed_bin": _torch_bytes(mixed_tensors),
            "legacy_bin": _torch_bytes(mixed_tensors, legacy=True)}


def _torch_bytes(tensors, legacy=False) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(tensors, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


# -- mutation operations --------------------------------------------------------------------------

positions = st.integers(0, 2**32)
json_values = st.recursive(
    st.none() | st.booleans() | st.sampled_from(INTERESTING_INTS) | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=6)
    | st.sampled_from(["F32", "BF16", "F16", "I64", "gelu", "absolute", "xlm-roberta"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=6)
raw_ops = st.one_of(
    st.tuples(st.just("flip"), st.booleans(), positions, st.integers(0, 7)),
    st.tuples(st.just("set"), st.booleans(), positions, st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]) | st.integers(0, 255)),
    st.tuples(st.just("int64"), st.booleans(), positions, st.sampled_from(INTERESTING_INTS)),
    st.tuples(st.just("float32"), st.booleans(), positions, st.sampled_from([np.nan, np.inf, -np.inf, 3e38, 7e4])),
    st.tuples(st.just("truncate"), st.booleans(), positions),
    st.tuples(st.just("insert"), st.booleans(), positions, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.booleans(), positions, st.integers(1, 64)),
    st.tuples(st.just("append"), st.binary(max_size=64)),
)


def apply_raw(data: bytes, ops) -> bytes:
    """Byte-level edits; each op's flag says whether to aim at the first 4 KiB (the headers)."""
    data = bytearray(data)
    for op in ops:
        if op[0] == "append":
            data += op[1]
            continue
        span = min(len(data), 4096) if op[1] else len(data)
        where = op[2] % (span + 1)
        if op[0] == "flip" and where < len(data):
            data[where] ^= 1 << op[3]
        elif op[0] == "set" and where < len(data):
            data[where] = op[3]
        elif op[0] == "int64":
            data[where:where + 8] = (op[3] % 2**64).to_bytes(8, "little")
        elif op[0] == "float32":
            data[where:where + 4] = np.float32(op[3]).tobytes()
        elif op[0] == "truncate":
            del data[where:]
        elif op[0] == "insert":
            data[where:where] = op[3]
        elif op[0] == "delete":
            del data[where:where + op[3]]
    return bytes(data)


header_ops = st.one_of(
    st.tuples(st.just("field"), st.integers(0, 50), st.sampled_from(["dtype", "shape", "data_offsets"]), json_values),
    st.tuples(st.just("number"), st.integers(0, 50), st.sampled_from(["shape", "data_offsets"]),
              st.integers(0, 3), st.sampled_from(INTERESTING_INTS) | st.integers(-10, 100)),
    st.tuples(st.just("duplicate"), st.integers(0, 50)),
    st.tuples(st.just("remove"), st.integers(0, 50)),
    st.tuples(st.just("add"), st.text(max_size=6), json_values),
    st.tuples(st.just("metadata"), json_values),
    st.tuples(st.just("length"), st.sampled_from([-9, -1, 1, 8, 2**20]) | st.sampled_from(INTERESTING_INTS)),
    st.tuples(st.just("nest"), st.sampled_from([10, 1000, 100_000])),
)


def apply_header_ops(data: bytes, ops) -> bytes:
    """Edit a valid safetensors file's JSON header and re-encode it (with a correct length unless told)."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    names = sorted(key for key in header if key != "__metadata__")
    extra_text, length_delta = [], 0
    for op in ops:
        kind = op[0]
        name = names[op[1] % len(names)] if kind in ("field", "number", "duplicate", "remove") and names else None
        if kind == "field" and name in header:
            header[name][op[2]] = op[3]
        elif kind == "number" and name in header:
            values = header[name].get(op[2])
            if isinstance(values, list) and values:
                values[op[3] % len(values)] = op[4]
            else:
                header[name][op[2]] = [op[4]]
        elif kind == "duplicate" and name in header:
            extra_text.append(json.dumps(name) + ":" + json.dumps(header[name]))
        elif kind == "remove":
            header.pop(name, None)
        elif kind == "add":
            header[op[1]] = op[2]
        elif kind == "metadata":
            header["__metadata__"] = op[1]
        elif kind == "length":
            length_delta = op[1]
        elif kind == "nest":
            extra_text.append('"nested":' + "[" * op[1] + "]" * op[1])
    text = json.dumps(header)
    if extra_text:
        text = "{" + ",".join(extra_text) + ("," + text[1:] if len(text) > 2 else "}")
    encoded = text.encode()
    return ((len(encoded) + length_delta) % 2**64).to_bytes(8, "little") + encoded + body


# Opcode snippets spliced in between a pickle's opcodes: BUILD with slot state (the attack
# that could enlarge a storage after its bytes were mapped), stack and memo shuffles, calls.
PICKLE_SNIPPETS = [b"N}X\x05\x00\x00\x00numelJ\xa0\x86\x01\x00s\x86b", b"N}X\x05\x00\x00\x00valueNs\x86b",
                   b"}b", b"b", b"R", b")R", b"0", b"2", b"(", b"t", b"\x85", b"\x86", b"Q", b"h\x00", b"h\x01",
                   b"h\x05", b"\x94", b"N", b"\x88", b"K\xff", b"J\xff\xff\xff\x7f", b"\x8a\x09" + b"\xff" * 9,
                   b"]", b"a", b"e", b"s", b"u", b"(t", b")", b"\x81", b"\x92"]
bin_ops = st.one_of(
    st.tuples(st.just("pickle"), st.lists(raw_ops, min_size=1, max_size=3)),
    st.tuples(st.just("opcode"), st.integers(0, 500), st.sampled_from(PICKLE_SNIPPETS), st.booleans()),
    st.tuples(st.just("global"), st.integers(0, 50), st.sampled_from(GLOBALS)),
    st.tuples(st.just("number"), st.integers(0, 200), st.sampled_from(INTERESTING_INTS) | st.integers(0, 300)),
    st.tuples(st.just("entry"), st.integers(0, 50), st.lists(raw_ops, min_size=1, max_size=3)),
    st.tuples(st.just("drop"), st.integers(0, 50)),
    st.tuples(st.just("whole"), st.lists(raw_ops, min_size=1, max_size=3)),
    st.tuples(st.just("zipfield"), st.sampled_from([b"PK\x01\x02", b"PK\x03\x04", b"PK\x05\x06"]),
              st.integers(0, 50), st.sampled_from([8, 10, 14, 16, 18, 20, 22, 24, 26, 28, 30, 42]),
              st.sampled_from([0, 1, 8, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF]) | st.integers(0, 2**32 - 1)),
)
# Field offsets: central directory (PK\1\2) flags 8, method 10, CRC 16, sizes 20/24, name and
# extra lengths 28/30, local header offset 42; local header (PK\3\4) sizes 18/22, lengths
# 26/28; end record (PK\5\6) counts 8/10, directory size 12, offset 16.


def apply_bin_ops(data: bytes, ops) -> bytes:
    """Edit the pickle or entries of a torch zip file and re-zip it with correct CRCs."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    whole = []
    for op in ops:
        pickled = next(i for i, (name, _) in enumerate(entries) if name.endswith("data.pkl")) \
            if any(name.endswith("data.pkl") for name, _ in entries) else None
        if op[0] == "pickle" and pickled is not None:
            entries[pickled] = (entries[pickled][0], apply_raw(entries[pickled][1], op[1]))
        elif op[0] == "global" and pickled is not None:
            found = list(re.finditer(rb"c([\w.]+\n\w+)\n", entries[pickled][1]))
            if found:
                match = found[op[1] % len(found)]
                text = entries[pickled][1]
                entries[pickled] = (entries[pickled][0],
                                    text[:match.start(1)] + op[2] + text[match.end(1):])
        elif op[0] == "opcode" and pickled is not None:
            text = entries[pickled][1]
            try:
                bounds = [position for _, _, position in pickletools.genops(text)]
            except Exception:  # an earlier edit broke it: splice anywhere
                bounds = list(range(len(text)))
            at = bounds[op[1] % len(bounds)] if bounds else 0
            end = at
            if op[3] and at in bounds and bounds.index(at) + 1 < len(bounds):  # replace one opcode
                end = bounds[bounds.index(at) + 1]
            entries[pickled] = (entries[pickled][0], text[:at] + op[2] + text[end:])
        elif op[0] == "number" and pickled is not None:
            # Rewrite one small-int opcode (K: BININT1) as a 4-byte BININT or an 8-byte LONG1.
            text = entries[pickled][1]
            found = [m.start() for m in re.finditer(rb"K", text)]
            if found:
                at = found[op[1] % len(found)]
                value = op[2]
                if 0 <= value < 2**31:
                    replacement = b"J" + value.to_bytes(4, "little", signed=True)
                else:
                    raw = value.to_bytes(16, "little", signed=True)
                    replacement = b"\x8a" + bytes([16]) + raw
                entries[pickled] = (entries[pickled][0], text[:at] + replacement + text[at + 2:])
        elif op[0] == "entry" and entries:
            index = op[1] % len(entries)
            entries[index] = (entries[index][0], apply_raw(entries[index][1], op[2]))
        elif op[0] == "drop" and entries:
            del entries[op[1] % len(entries)]
        elif op[0] == "whole":
            whole.extend(op[1])
        elif op[0] == "zipfield":
            whole.append(op)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    data = bytearray(buffer.getvalue())
    for op in whole:
        if op[0] != "zipfield":
            data = bytearray(apply_raw(bytes(data), [op]))
            continue
        found = [m.start() for m in re.finditer(re.escape(op[1]), data)]
        if found:
            at = found[op[2] % len(found)] + op[3]
            width = 2 if op[4] <= 0xFFFF and op[3] not in (14, 16, 18, 20, 22, 24, 42) else 4
            data[at:at + width] = (op[4] % 2 ** (8 * width)).to_bytes(width, "little")
    return bytes(data)


CONFIG_KEYS = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
               "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act", "pad_token_id",
               "position_embedding_type", "id2label", "label2id", "num_labels", "pruned_heads",
               "classifier_dropout", "hidden_dropout_prob", "initializer_range", "is_decoder",
               "add_cross_attention", "chunk_size_feed_forward", "model_type", "problem_type", "use_cache"]
config_ops = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(CONFIG_KEYS) | st.text(max_size=6), json_values),
    st.tuples(st.just("big"), st.sampled_from(CONFIG_KEYS[:7] + ["num_labels"]),
              st.sampled_from(INTERESTING_INTS + [10**6, 10**4, 2**26])),
    st.tuples(st.just("remove"), st.sampled_from(CONFIG_KEYS)),
    st.tuples(st.just("duplicate"), st.sampled_from(CONFIG_KEYS), json_values),
    st.tuples(st.just("nest"), st.sampled_from([10, 1000, 100_000])),
    st.tuples(st.just("text"), st.lists(raw_ops, min_size=1, max_size=3)),
)


def apply_config_ops(data: bytes, ops) -> bytes:
    values = json.loads(data)
    extra, raw = [], []
    for op in ops:
        if op[0] in ("set", "big"):
            values[op[1]] = op[2]
        elif op[0] == "remove":
            values.pop(op[1], None)
        elif op[0] == "duplicate":
            extra.append(json.dumps(op[1]) + ":" + json.dumps(op[2]))
        elif op[0] == "nest":
            extra.append('"nested":' + "[" * op[1] + "]" * op[1])
        elif op[0] == "text":
            raw.extend(op[1])
    text = json.dumps(values)
    if extra:
        text = "{" + ",".join(extra) + "," + text[1:]
    return apply_raw(text.encode(), raw)


# -- targets: each writes the mutated bytes and checks the documented behaviour -------------------

_counter = iter(range(10**12))
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)


def _write(name, data) -> str:
    """Write ``data`` to a fresh folder (a file is never rewritten while a map of it may live)."""
    directory = os.path.join(WORKDIR, f"case{next(_counter)}")
    os.makedirs(directory)
    path = os.path.join(directory, name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def _cleaning_up(function):
    """Run a target, then delete the folders it wrote (unlinking is safe with live maps)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            for name in os.listdir(WORKDIR):
                if name.startswith("case"):
                    shutil.rmtree(os.path.join(WORKDIR, name), ignore_errors=True)
    return wrapper


def _touch(tensors):
    for value in tensors.values():
        np.asarray(value).sum()


@_cleaning_up
def read_safetensors(ops, seed="mixed_safetensors", raw=False):
    data = seeds()[seed]
    data = apply_raw(data, ops) if raw else apply_header_ops(data, ops)
    try:
        _touch(load_file(_write("x.safetensors", data)))
    except CheckpointError:
        pass


@_cleaning_up
def read_bin(ops, seed="mixed_bin"):
    data = seeds()[seed]
    data = apply_raw(data, ops) if seed == "legacy_bin" else apply_bin_ops(data, ops)
    try:
        _touch(load_bin(_write("pytorch_model.bin", data)))
    except CheckpointError:
        pass


@_cleaning_up
def read_config(ops):
    path = _write("config.json", apply_config_ops(seeds()["config"], ops))
    try:
        config = xlmr_np.XLMRobertaConfig.from_json_file(path)
    except ConfigError:
        return
    config.validate()
    json.loads(config.to_json_string())
    if _parameter_estimate(config) < 200_000:  # small enough to build and run here
        run_model(xlmr_np.XLMRobertaModel(config), config, fuzzed_config=True)


@_cleaning_up
def load_model(ops, weights="safetensors"):
    """A checkpoint directory with one mutated weights file, loaded and run end to end."""
    if weights == "safetensors":
        data, name = apply_header_ops(seeds()["safetensors"], ops[0]), "model.safetensors"
        data = apply_raw(data, ops[1])
    else:
        data, name = apply_bin_ops(seeds()["model_bin"], ops[0]), "pytorch_model.bin"
        data = apply_raw(data, ops[1])
    path = _write(name, data)
    with open(os.path.join(os.path.dirname(path), "config.json"), "wb") as handle:
        handle.write(seeds()["config"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = xlmr_np.XLMRobertaModel.from_pretrained(os.path.dirname(path))
    except CheckpointError:
        return
    run_model(model, model.config)


def run_model(model, config, fuzzed_config=False):
    """Run two tokens. With the seed's config, the only acceptable InputError is about NaN/inf
    (from mutated weights); a fuzzed config may also make these inputs invalid, e.g. a
    chunk_size_feed_forward the sequence length is not a multiple of (as in transformers)."""
    ids = IDS % config.vocab_size
    try:
        output = model(ids[:, :2])
    except InputError as error:
        assert fuzzed_config or "non-finite" in str(error), error
        return
    assert np.isfinite(output.last_hidden_state).all()


def _parameter_estimate(config):
    h = config.hidden_size
    return (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * h + \
        config.num_hidden_layers * (4 * h * h + 2 * h * config.intermediate_size) + h * h


TARGETS = {
    "safetensors-header": (st.lists(header_ops, min_size=1, max_size=4), read_safetensors),
    "safetensors-bytes": (st.lists(raw_ops, min_size=1, max_size=4),
                          functools.partial(read_safetensors, raw=True)),
    "bin-zip": (st.lists(bin_ops, min_size=1, max_size=3), read_bin),
    "bin-legacy": (st.lists(raw_ops, min_size=1, max_size=4), functools.partial(read_bin, seed="legacy_bin")),
    "config": (st.lists(config_ops, min_size=1, max_size=4), read_config),
    "model-safetensors": (st.tuples(st.lists(header_ops, max_size=2), st.lists(raw_ops, max_size=2)), load_model),
    "model-bin": (st.tuples(st.lists(bin_ops, max_size=2), st.lists(raw_ops, max_size=2)),
                  functools.partial(load_model, weights="bin")),
}


# -- the CI tests: a bounded number of examples per target ---------------------------------------

@given(TARGETS["safetensors-header"][0])
def test_safetensors_header_mutations(ops):
    read_safetensors(ops)


@given(TARGETS["safetensors-bytes"][0])
def test_safetensors_byte_mutations(ops):
    read_safetensors(ops, raw=True)


@given(TARGETS["bin-zip"][0])
def test_torch_zip_mutations(ops):
    read_bin(ops)


@given(TARGETS["bin-legacy"][0])
def test_torch_legacy_mutations(ops):
    read_bin(ops, seed="legacy_bin")


@given(TARGETS["config"][0])
def test_config_mutations(ops):
    read_config(ops)


@given(TARGETS["model-safetensors"][0])
def test_model_loads_mutated_safetensors(ops):
    load_model(ops)


@given(TARGETS["model-bin"][0])
def test_model_loads_mutated_bin(ops):
    load_model(ops, weights="bin")


# -- regressions: what the fuzzers found, as plain tests ------------------------------------------

def write_safetensors(text: str, data: bytes = b"") -> str:
    encoded = text.encode()
    return _write("x.safetensors", len(encoded).to_bytes(8, "little") + encoded + data)


@pytest.mark.parametrize("text, data, words", [
    # json.loads keeps the last of two equal keys: the file would mean different things to
    # different readers. Found by review; the fuzzer's "duplicate" operation covers it.
    ('{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
     '"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', b"\0" * 8, ["'t' twice"]),
    ('{"__metadata__": {}, "__metadata__": {"format": "pt"}}', b"", ["'__metadata__' twice"]),
    # RecursionError from json on deeply nested headers.
    ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", b"", ["nested too deeply"]),
    # TypeError: unhashable dtype used as a dict key.
    ('{"t": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}', b"\0" * 4, ["unknown dtype"]),
    ('{"t": {"dtype": {}, "shape": [1], "data_offsets": [0, 4]}}', b"\0" * 4, ["unknown dtype"]),
    # ValueError from NumPy's reshape: empty tensors with absurd dimensions.
    ('{"t": {"dtype": "F32", "shape": [0, 18446744073709551616], "data_offsets": [0, 0]}}', b"",
     ["absurdly large"]),
    ('{"t": {"dtype": "F32", "shape": [0, 4294967296, 4294967296], "data_offsets": [0, 0]}}', b"",
     ["absurdly large"]),
    ('{"t": {"dtype": "F32", "shape": ' + str([1] * 65) + ', "data_offsets": [0, 4]}}', b"\0" * 4,
     ["at most 32"]),
])
def test_safetensors_regressions(text, data, words):
    with pytest.raises(CheckpointError) as error:
        load_file(write_safetensors(text, data))
    for word in words:
        assert word in str(error.value), str(error.value)


def test_seeds_are_valid():
    """Unmutated seeds load: the mutations start from files the readers accept."""
    read_safetensors([])
    read_bin([])
    read_bin([], seed="legacy_bin")
    load_model(([], []))
    load_model(([], []), weights="bin")
    for name in ("mixed_safetensors", "safetensors"):
        assert load_file(_write("x.safetensors", seeds()[name]))
    for name in ("mixed_bin", "legacy_bin", "model_bin"):
        assert load_bin(_write("pytorch_model.bin", seeds()[name]))
    assert xlmr_np.XLMRobertaConfig.from_json_file(_write("config.json", seeds()["config"]))
