"""The safetensors reader: agrees with the reference library and refuses malformed files."""

import json
import mmap
import struct

import numpy as np
import pytest
import safetensors.numpy

from xlmr_np import CheckpointError
from xlmr_np.checkpoint.mapped_pages import release_pages
from xlmr_np.checkpoint.safetensors_io import load_file, save_file


def test_reads_what_the_reference_library_writes(tmp_path):
    tensors = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array([1, 2], np.int64),
               "c": np.ones((2, 0), np.float16), "d": np.array([True, False])}
    safetensors.numpy.save_file(tensors, tmp_path / "x.safetensors")
    loaded = load_file(tmp_path / "x.safetensors")
    assert set(loaded) == set(tensors)
    for key, value in tensors.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].dtype == value.dtype


def test_reference_library_reads_what_we_write(tmp_path):
    tensors = {"w": np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32),
               "i": np.arange(7, dtype=np.int32)}
    save_file(tensors, tmp_path / "x.safetensors", {"format": "pt"})
    loaded = safetensors.numpy.load_file(tmp_path / "x.safetensors")
    for key, value in tensors.items():
        np.testing.assert_array_equal(loaded[key], value)


def write_raw(path, header, data=b""):
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data)


@pytest.mark.parametrize("header, data, words", [
    ({"t": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, ["'t'", "F33"]),
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, ["'t'", "needs 8 bytes"]),
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 4, ["'t'", "outside"]),
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "u": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, b"\0" * 8, ["overlaps"]),
    ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8, ["4 bytes that no tensor covers"]),
    ({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, ["shape"]),
    ({"t": [1, 2]}, b"", ["'t'", "dtype, shape and data_offsets"]),
])
def test_malformed_headers_are_refused(tmp_path, header, data, words):
    path = tmp_path / "bad.safetensors"
    write_raw(path, header, data)
    with pytest.raises(CheckpointError) as error:
        load_file(path)
    for word in words:
        assert word in str(error.value)
    assert "bad.safetensors" in str(error.value)


def test_truncated_and_garbage_files(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x01\x02")
    with pytest.raises(CheckpointError, match="too short"):
        load_file(path)
    path.write_bytes(struct.pack("<Q", 10**9) + b"{}")
    with pytest.raises(CheckpointError, match="header length"):
        load_file(path)
    path.write_bytes(struct.pack("<Q", 4) + b"\xff\xfe{}")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_file(path)
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load_file(path)


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * mmap.PAGESIZE


def test_released_pages_leave_resident_memory_and_keep_their_values(tmp_path):
    """``release_pages`` (used after copying a Linear weight) drops the file pages under a mapped
    tensor from the process; reading the tensor again gives the same values."""
    big = np.arange(4 * 2**20, dtype=np.float32)  # 16 MiB
    save_file({"small": np.ones(3, dtype=np.float32), "big": big}, tmp_path / "model.safetensors")
    mapped = load_file(tmp_path / "model.safetensors")["big"]
    assert float(mapped[::1024].sum()) == float(big[::1024].sum())  # every page read in
    before = resident_bytes()
    released = release_pages(mapped)
    dropped = before - resident_bytes()
    assert released >= mapped.nbytes - 2 * mmap.PAGESIZE  # whole pages of the tensor only
    assert dropped >= released // 2, f"resident memory fell by {dropped} bytes of {released} released"
    np.testing.assert_array_equal(mapped, big)
    assert release_pages(big) == 0 and release_pages(np.ones(4)) == 0  # not views of a map


def test_writeable_memory_maps_keep_their_pages(tmp_path):
    """A copy-on-write map's changed pages exist only in this process: they are never dropped."""
    np.arange(2**20, dtype=np.float32).tofile(tmp_path / "values.bin")
    changed = np.memmap(tmp_path / "values.bin", dtype=np.float32, mode="c")
    changed[:] = 7.0
    assert release_pages(changed) == 0
    assert float(changed.min()) == float(changed.max()) == 7.0
