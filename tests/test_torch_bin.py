"""The pytorch_model.bin reader: same tensors as torch.load, no torch needed, no pickled code run.

Valid files come from torch itself (``torch.save(state_dict)``, transformers'
``save_pretrained(safe_serialization=False)``, the pre-1.6 legacy format); hostile ones are
built here: pickles whose ``__reduce__`` would call ``os.system`` or ``eval``, unexpected
globals, tensor views outside their storage, wrong storage sizes, compressed entries.
"""

import collections
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from transformers import XLMRobertaForMaskedLM as ReferenceMaskedLM
from transformers import XLMRobertaModel as ReferenceModel

import xlmr_np
from reference import assert_close, reference_checkpoint
from xlmr_np import CheckpointError
from xlmr_np.checkpoint.convert import convert_bin_to_safetensors
from xlmr_np.checkpoint.safetensors_io import bfloat16_to_float32, load_file
from xlmr_np.checkpoint.torch_bin import ALLOWED_GLOBALS, load_bin, load_bin_with_codes
from xlmr_np.heads import XLMRobertaForMaskedLM

CONFIG = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
              intermediate_size=24, max_position_embeddings=24, type_vocab_size=1, layer_norm_eps=1e-5)
IDS = np.array([[0, 5, 7, 9, 2, 1], [0, 11, 12, 2, 1, 1]])
MASK = (IDS != 1).astype(np.int64)


def as_float32(array, code):
    return bfloat16_to_float32(array) if code == "BF16" else array


def assert_same_as_torch(path, expected):
    tensors, codes = load_bin_with_codes(path)
    assert list(tensors) == list(expected)
    for name, value in expected.items():
        value = value.detach()
        got = as_float32(tensors[name], codes[name])
        want = (value.float() if value.dtype == torch.bfloat16 else value).numpy()
        assert got.dtype == want.dtype and got.shape == want.shape, name
        np.testing.assert_array_equal(got, want, err_msg=name)
        assert not tensors[name].flags.writeable
    return tensors, codes


# -- valid files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy-pre-1.6"])
def test_dtypes_views_and_shared_storages(tmp_path, legacy):
    weights = torch.randn(5, 6)
    tensors = collections.OrderedDict(
        weight=weights, transposed=weights.t(), sliced=weights[1:4, 2:], row=weights[3], tied=weights,
        strided=weights[::2, ::3], half=weights.half(), bf16=weights.bfloat16(), double=weights.double(),
        long=torch.arange(7), int=torch.arange(3, dtype=torch.int32), short=torch.arange(2, dtype=torch.int16),
        int8=torch.tensor([-3, 4], dtype=torch.int8), uint8=torch.tensor([200], dtype=torch.uint8),
        flags=torch.tensor([True, False]), scalar=torch.tensor(1.5), empty=torch.zeros(0, 4),
        parameter=torch.nn.Parameter(torch.ones(3)))
    torch.save(tensors, tmp_path / "x.bin", _use_new_zipfile_serialization=not legacy)
    loaded, codes = assert_same_as_torch(tmp_path / "x.bin", tensors)
    assert loaded["tied"] is loaded["weight"], "tied tensors stay one array"
    assert codes["bf16"] == "BF16" and codes["half"] == "F16" and codes["flags"] == "BOOL"
    assert loaded["weight"].base is not None, "contiguous tensors are views of the file, not copies"


def test_plain_dict_and_state_dict_metadata(tmp_path):
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    torch.save(module.state_dict(), tmp_path / "a.bin")  # an OrderedDict with _metadata
    assert_same_as_torch(tmp_path / "a.bin", module.state_dict())
    plain = {"w": torch.ones(2, 2)}
    torch.save(plain, tmp_path / "b.bin")
    assert_same_as_torch(tmp_path / "b.bin", plain)


def test_big_endian_archives(tmp_path):
    """torch writes a ``byteorder`` record; big-endian files are byte-swapped on reading."""
    tensors = {"w": torch.randn(3, 4), "h": torch.randn(5).half(), "i": torch.arange(4)}
    torch.save(tensors, tmp_path / "little.bin")
    with zipfile.ZipFile(tmp_path / "little.bin") as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    dtypes = {"0": ">f4", "1": ">f2", "2": ">i8"}
    swapped = {}
    for name, content in entries.items():
        key = name.rsplit("/", 1)[-1]
        if name.endswith("byteorder"):
            content = b"big"
        elif "/data/" in name:
            content = np.frombuffer(content, dtypes[key].replace(">", "<")).astype(dtypes[key]).tobytes()
        swapped[name] = content
    write_zip(tmp_path / "big.bin", swapped)
    assert_same_as_torch(tmp_path / "big.bin", tensors)


def test_loads_without_torch(tmp_path):
    torch.save({"w": torch.arange(6.0).reshape(2, 3).t()}, tmp_path / "x.bin")
    code = ("import sys; sys.modules['torch'] = None\n"
            "from xlmr_np.checkpoint.torch_bin import load_bin\n"
            f"print(load_bin({str(tmp_path / 'x.bin')!r})['w'].tolist())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]"


@pytest.fixture(scope="module")
def masked_lm_bin(tmp_path_factory):
    """transformers' own .bin: tied decoder weight and bias share storage with their sources."""
    directory = tmp_path_factory.mktemp("bin")
    reference = reference_checkpoint(directory, ReferenceMaskedLM, CONFIG)
    os.remove(directory / "model.safetensors")
    reference.save_pretrained(directory, safe_serialization=False)
    assert (directory / "pytorch_model.bin").exists()
    return directory, reference


def reference_logits(model):
    with torch.no_grad():
        return model(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).logits


def test_transformers_bin_loads_with_identical_outputs(masked_lm_bin):
    directory, reference = masked_lm_bin
    assert_same_as_torch(directory / "pytorch_model.bin", reference.state_dict())
    ours = XLMRobertaForMaskedLM.from_pretrained(directory)
    assert_close(ours(IDS, attention_mask=MASK).logits, reference_logits(reference), "masked LM from .bin")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_bins(tmp_path, dtype):
    torch.manual_seed(0)
    reference = ReferenceModel(ReferenceModel.config_class(**CONFIG)).eval().to(dtype)
    reference.save_pretrained(tmp_path, safe_serialization=False)
    ours = xlmr_np.XLMRobertaModel.from_pretrained(tmp_path)  # widened to float32
    reference = reference.float()
    with torch.no_grad():
        expected = reference(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).last_hidden_state
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, expected, f"{dtype} .bin")


def test_sharded_bin_and_conversion(tmp_path):
    torch.manual_seed(0)
    reference = ReferenceModel(ReferenceModel.config_class(**CONFIG)).eval()
    source = tmp_path / "source"
    reference.save_pretrained(source, safe_serialization=False, max_shard_size="20KB")
    assert (source / "pytorch_model.bin.index.json").exists()
    with torch.no_grad():
        expected = reference(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).last_hidden_state
    ours = xlmr_np.XLMRobertaModel.from_pretrained(source)
    assert_close(ours(IDS, attention_mask=MASK).last_hidden_state, expected, "sharded .bin")

    written = convert_bin_to_safetensors(source, tmp_path / "converted")
    index = json.loads((tmp_path / "converted" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1
    assert str(tmp_path / "converted" / "config.json") in written
    converted = ReferenceModel.from_pretrained(tmp_path / "converted").eval()
    with torch.no_grad():
        again = converted(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).last_hidden_state
    np.testing.assert_array_equal(again.numpy(), expected.numpy())


def test_conversion_gives_identical_outputs_in_transformers_and_xlmr_np(masked_lm_bin, tmp_path):
    directory, reference = masked_lm_bin
    (directory / "tokenizer_config.json").write_text("{}")
    os.symlink("/etc/hostname", directory / "linked.txt")
    destination = tmp_path / "converted"
    convert_bin_to_safetensors(directory, destination)
    assert sorted(os.listdir(destination)) == ["config.json", "generation_config.json", "model.safetensors",
                                               "tokenizer_config.json"] or \
        sorted(os.listdir(destination)) == ["config.json", "model.safetensors", "tokenizer_config.json"]
    converted = ReferenceMaskedLM.from_pretrained(destination).eval()
    np.testing.assert_array_equal(reference_logits(converted).numpy(), reference_logits(reference).numpy())
    ours = XLMRobertaForMaskedLM.from_pretrained(destination)
    assert_close(ours(IDS, attention_mask=MASK).logits, reference_logits(reference), "converted masked LM")
    assert load_file(destination / "model.safetensors").keys() == load_bin(directory / "pytorch_model.bin").keys()
    with pytest.raises(CheckpointError, match="already has model.safetensors"):
        convert_bin_to_safetensors(directory, destination)
    convert_bin_to_safetensors(directory / "pytorch_model.bin", destination, overwrite=True)


def test_bfloat16_survives_conversion(tmp_path):
    tensors = {"w": torch.randn(4, 3).bfloat16(), "i": torch.arange(3)}
    torch.save(tensors, tmp_path / "pytorch_model.bin")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "unrelated.txt").write_text("not part of the checkpoint")
    written = convert_bin_to_safetensors(tmp_path / "pytorch_model.bin", tmp_path / "out")
    assert sorted(os.path.basename(path) for path in written) == ["config.json", "model.safetensors"]
    from safetensors.torch import load_file as torch_load_file

    again = torch_load_file(tmp_path / "out" / "model.safetensors")
    assert again["w"].dtype == torch.bfloat16 and torch.equal(again["w"], tensors["w"])
    assert torch.equal(again["i"], tensors["i"])


# -- hostile files --------------------------------------------------------------------------------

def write_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


class Storage:
    def __init__(self, key, numel, storage_type=torch.FloatStorage):
        self.key, self.numel, self.storage_type = key, numel, storage_type


class Tensor:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel)
        return None


def crafted_bin(path, obj, storages=None):
    """A torch-format zip: ``obj`` pickled as data.pkl (Storage objects as persistent ids)."""
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump(obj)
    entries = {"archive/data.pkl": buffer.getvalue(), "archive/byteorder": b"little",
               "archive/version": b"3\n"}
    for key, content in (storages or {}).items():
        entries[f"archive/data/{key}"] = content
    write_zip(path, entries)
    return path


class RunsShell:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


class RunsEval:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return eval, (f"open({str(self.target)!r}, 'w').close()",)


@pytest.mark.parametrize("payload, global_name", [(RunsShell, "posix.system"), (RunsEval, "__builtin__.eval")])
def test_pickled_code_is_never_run(tmp_path, payload, global_name):
    marker = tmp_path / "pwned"
    obj = collections.OrderedDict(w=Tensor(Storage("0", 4), 0, [4], [1]), evil=payload(marker))
    for path in (crafted_bin(tmp_path / "in_state_dict.bin", obj, {"0": b"\0" * 16}),
                 crafted_bin(tmp_path / "alone.bin", payload(marker))):
        with pytest.raises(CheckpointError) as error:
            load_bin(path)
        assert global_name in str(error.value) and "refusing" in str(error.value)
        assert not marker.exists(), "the pickled call ran"
    modern = {"archive/data.pkl": pickle.dumps(payload(marker), protocol=4), "archive/version": b"3\n"}
    write_zip(tmp_path / "protocol4.bin", modern)  # STACK_GLOBAL 'builtins' 'eval' / 'posix' 'system'
    with pytest.raises(CheckpointError, match=global_name.replace("__builtin__", "builtins")):
        load_bin(tmp_path / "protocol4.bin")
    assert not marker.exists()
    # The same file, through the model loader: refused the same way, nothing run.
    (tmp_path / "pytorch_model.bin").write_bytes((tmp_path / "in_state_dict.bin").read_bytes())
    with pytest.raises(CheckpointError, match=global_name):
        xlmr_np.XLMRobertaModel.from_pretrained(tmp_path, config=xlmr_np.XLMRobertaConfig(**CONFIG))
    assert not marker.exists()
    # Sanity check of the test itself: torch.load without weights_only does run it.
    torch.load(tmp_path / "alone.bin", weights_only=False)
    assert marker.exists()


def test_legacy_format_pickles_are_restricted_too(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.bin", _use_new_zipfile_serialization=False)
    data = (tmp_path / "legacy.bin").read_bytes()
    evil = pickle.dumps(RunsShell(marker), protocol=2)
    # Replace the sys-info pickle (the third) with the payload.
    stream = io.BytesIO(data)
    for _ in range(2):
        pickle.load(stream)
    start = stream.tell()
    pickle.load(stream)
    (tmp_path / "evil.bin").write_bytes(data[:start] + evil + data[stream.tell():])
    with pytest.raises(CheckpointError, match="posix.system"):
        load_bin(tmp_path / "evil.bin")
    assert not marker.exists()


@pytest.mark.parametrize("tensor, storage_bytes, words", [
    (Tensor(Storage("0", 4), 2, [4], [1]), 16, ["reaches element 5", "which has 4"]),
    (Tensor(Storage("0", 4), 0, [3, 2], [1, 1]), 16, ["more elements than its storage"]),
    (Tensor(Storage("0", 4), 0, [2, 2], [3, 1]), 16, ["reaches element 4"]),
    (Tensor(Storage("0", 6), 0, [4], [1]), 16, ["needs 24 bytes", "holds 16"]),
    (Tensor(Storage("0", 4), -1, [2], [1]), 16, ["storage offset -1"]),
    (Tensor(Storage("0", 4), 0, [2], [-1]), 16, ["stride"]),
    (Tensor(Storage("0", 4), 0, [2, 2], [1]), 16, ["equal length"]),
    (Tensor(Storage("0", 4), 0, [0, 2**62], [1, 1]), 16, ["size"]),
    (Tensor(Storage("0", 4), 0, [1] * 40, [1] * 40), 16, ["at most 32"]),
    (Tensor(Storage("1", 4), 0, [4], [1]), 16, ["storage '1' has no zip entry"]),
    (Tensor(Storage("0", 2**40), 0, [4], [1]), 16, ["needs 4398046511104 bytes"]),
    (Tensor("not a storage", 0, [4], [1]), 16, ["not a storage record"]),
    (Tensor(Storage("0", 4, torch.ComplexFloatStorage), 0, [4], [1]), 16, ["torch.ComplexFloatStorage"]),
])
def test_views_outside_their_storage_are_refused(tmp_path, tensor, storage_bytes, words):
    path = crafted_bin(tmp_path / "x.bin", {"w": tensor}, {"0": b"\0" * storage_bytes})
    with pytest.raises(CheckpointError) as error:
        load_bin(path)
    for word in words:
        assert word in str(error.value), str(error.value)
    assert "x.bin" in str(error.value)


def build_attack(target):
    """A hand-written pickle that, after getting a storage handle (or the storage type), runs
    BUILD with slot state {"numel": 100000} on it, then views 100000 elements of the 4-element
    storage. Before handles were read-only this read past the mapped bytes (a segfault)."""
    storage_type = b"ctorch\nFloatStorage\n"
    if target == "storage type":
        storage_type += b"N}X\x05\x00\x00\x00valueX\x03\x00\x00\x00F64s\x86b"
    pid = b"(X\x07\x00\x00\x00storage" + storage_type + b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ"
    if target == "storage":
        pid += b"N}X\x05\x00\x00\x00numelJ\xa0\x86\x01\x00s\x86b"  # BUILD (None, {"numel": 100000})
    size = b"K\x04" if target == "tensor" else b"J\xa0\x86\x01\x00"  # 4, or 100000 elements
    tensor = b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"K\x00" + size + b"\x85K\x01\x85\x89)tR"
    if target == "tensor":  # BUILD (None, {"value": None}) on the tensor handle
        tensor += b"N}X\x05\x00\x00\x00valueNs\x86b"
    return b"\x80\x02}X\x01\x00\x00\x00w" + tensor + b"s."


@pytest.mark.parametrize("target", ["storage", "storage type", "tensor"])
def test_pickle_cannot_modify_what_it_is_given(tmp_path, target):
    write_zip(tmp_path / "x.bin", {"a/data.pkl": build_attack(target), "a/data/0": b"\0" * 16})
    with pytest.raises(CheckpointError, match="read-only|malformed"):
        load_bin(tmp_path / "x.bin")


def test_storage_described_twice_differently(tmp_path):
    obj = {"a": Tensor(Storage("0", 4), 0, [4], [1]), "b": Tensor(Storage("0", 2, torch.LongStorage), 0, [2], [1])}
    with pytest.raises(CheckpointError, match="described both as 4 F32 and 2 I64"):
        load_bin(crafted_bin(tmp_path / "x.bin", obj, {"0": b"\0" * 16}))


@pytest.mark.parametrize("obj, words", [
    ([1, 2], ["list", "not a state dict"]),
    ({"w": 3}, ["'w'", "int", "not a tensor"]),
    ({"nested": {"w": Tensor(Storage("0", 4), 0, [4], [1])}}, ["'nested'", "dict"]),
    ({1: Tensor(Storage("0", 4), 0, [4], [1])}, ["key 1"]),
    ({"w": Storage("0", 4)}, ["'w'", "is a storage, not a tensor"]),
])
def test_only_state_dicts_of_tensors_are_accepted(tmp_path, obj, words):
    with pytest.raises(CheckpointError) as error:
        load_bin(crafted_bin(tmp_path / "x.bin", obj, {"0": b"\0" * 16}))
    for word in words:
        assert word in str(error.value), str(error.value)


def test_broadcast_views_are_refused_with_a_reason(tmp_path):
    torch.save({"w": torch.ones(3).expand(4, 3)}, tmp_path / "x.bin")
    with pytest.raises(CheckpointError, match="broadcast views are not supported"):
        load_bin(tmp_path / "x.bin")


def test_copies_of_views_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr("xlmr_np.checkpoint.torch_bin.MAX_COPY_FACTOR", 0)
    base = torch.arange(2**19, dtype=torch.float32).reshape(2**9, 2**10)
    torch.save({f"t{i}": base[:, i:].t() for i in range(4)}, tmp_path / "x.bin")
    with pytest.raises(CheckpointError, match="non-contiguous tensor views"):
        load_bin(tmp_path / "x.bin")


def archive_entries(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_container_level_damage_is_refused(tmp_path):
    torch.save({"w": torch.arange(6.0)}, tmp_path / "good.bin")
    entries = archive_entries(tmp_path / "good.bin")
    data_name = next(name for name in entries if "/data/" in name)
    cases = {
        "compressed or encrypted": ("deflated", None),
        "CRC-32": ("flipped", None),
        "byteorder entry": ("byteorder", b"middle"),
        "0 '<name>/data.pkl' entries": ("drop", next(n for n in entries if n.endswith("data.pkl"))),
        "has no zip entry": ("drop", data_name),
        "holds 20": ("resize", data_name),
    }
    for words, (kind, argument) in cases.items():
        path = tmp_path / f"{kind}.bin"
        changed = dict(entries)
        if kind == "deflated":
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, content in entries.items():
                    archive.writestr(name, content)
        elif kind == "flipped":
            good = (tmp_path / "good.bin").read_bytes()
            at = good.index(np.arange(6.0, dtype=np.float32).tobytes())
            path.write_bytes(good[:at] + b"\x01" + good[at + 1:])
        else:
            if kind == "byteorder":
                changed[next(n for n in entries if n.endswith("byteorder"))] = argument
            elif kind == "drop":
                del changed[argument]
            elif kind == "resize":
                changed[argument] = entries[argument][:20]
            write_zip(path, changed)
        with pytest.raises(CheckpointError) as error:
            load_bin(path)
        assert words in str(error.value), (kind, str(error.value))


@pytest.mark.parametrize("content, words", [
    (b"", ["empty"]),
    (b"hello world", ["neither a zip archive"]),
    (b"\x80\x02K\x05.", ["wrong magic number"]),
    (b"\x80\x02" + b"\xff" * 30, ["pickle is malformed"]),
    (b"PK\x03\x04" + b"\0" * 100, ["zip directory is malformed"]),
])
def test_garbage_files_are_refused(tmp_path, content, words):
    path = tmp_path / "pytorch_model.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as error:
        load_bin(path)
    for word in words:
        assert word in str(error.value), str(error.value)


def test_tar_format_is_refused_with_advice(tmp_path):
    import tarfile

    with tarfile.open(tmp_path / "old.bin", "w") as archive:
        info = tarfile.TarInfo("storages")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"\0" * 4))
    with pytest.raises(CheckpointError, match="tar format of torch < 0.4"):
        load_bin(tmp_path / "old.bin")


def test_allow_list_is_what_torch_writes(tmp_path):
    """Every global torch 2.x writes into a state dict is allowed; nothing else is."""
    module = torch.nn.Linear(3, 2)
    tensors = dict(module.state_dict(), half=torch.ones(2).half(), bf16=torch.ones(2).bfloat16(),
                   p=torch.nn.Parameter(torch.ones(1)), i=torch.arange(2), b=torch.tensor([True]))
    torch.save(tensors, tmp_path / "x.bin")
    import pickletools

    pickled = next(content for name, content in archive_entries(tmp_path / "x.bin").items()
                   if name.endswith("data.pkl"))
    used = {arg.replace(" ", ".") for op, arg, _ in pickletools.genops(pickled) if op.name == "GLOBAL"}
    assert used <= set(ALLOWED_GLOBALS), used - set(ALLOWED_GLOBALS)
    assert len(ALLOWED_GLOBALS) == 15


@pytest.mark.parametrize("index, words", [
    ('{"weight_map": {"w": ["pytorch_model-1.bin"]}}', ["not a plain file name"]),
    ('{"weight_map": {"w": "../pytorch_model.bin"}}', ["not a plain file name"]),
    ('{"weight_map": {"w": "missing.bin"}}', ["missing.bin is missing"]),
    ('{"weight_map": {}}', ["no weight_map"]),
    ('{"weight_map": ' + "[" * 100_000 + "]" * 100_000 + "}", ["cannot read shard index"]),
    (b'{"weight_map": {"w": "\xff"}}', ["cannot read shard index"]),
])
def test_hostile_bin_shard_indexes(tmp_path, index, words):
    path = tmp_path / "pytorch_model.bin.index.json"
    path.write_bytes(index if isinstance(index, bytes) else index.encode())
    with pytest.raises(CheckpointError) as error:
        xlmr_np.XLMRobertaModel.from_pretrained(tmp_path, config=xlmr_np.XLMRobertaConfig(**CONFIG))
    for word in words:
        assert word in str(error.value), str(error.value)
