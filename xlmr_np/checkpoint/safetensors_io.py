"""Reading and writing ``.safetensors`` files, validated and memory-mapped.

The format: 8 bytes little-endian header length N, N bytes of JSON
``{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}``,
then the data section, each tensor a C-ordered byte range inside it.

Everything in the header is checked before a tensor is touched (see docs/untrusted-files.md), and
tensors are returned as read-only views of a memory map, so a 1 GB file costs page cache, not
1 GB more of private memory. This module works on the host; it imports NumPy for that reason.
"""

from __future__ import annotations

import json
import mmap
import os

import numpy

from ..errors import CheckpointError

# safetensors dtype code -> (numpy dtype, itemsize). BF16 has no NumPy dtype: it is read as
# uint16 and widened to float32 by ``bfloat16_to_float32``.
DTYPES = {
    "F64": numpy.dtype("<f8"), "F32": numpy.dtype("<f4"), "F16": numpy.dtype("<f2"),
    "BF16": numpy.dtype("<u2"),
    "I64": numpy.dtype("<i8"), "I32": numpy.dtype("<i4"), "I16": numpy.dtype("<i2"),
    "I8": numpy.dtype("i1"), "U8": numpy.dtype("u1"), "BOOL": numpy.dtype("?"),
}
NUMPY_TO_CODE = {numpy.dtype("float64"): "F64", numpy.dtype("float32"): "F32",
                 numpy.dtype("float16"): "F16", numpy.dtype("int64"): "I64",
                 numpy.dtype("int32"): "I32", numpy.dtype("int16"): "I16", numpy.dtype("int8"): "I8",
                 numpy.dtype("uint8"): "U8", numpy.dtype("bool"): "BOOL"}
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the reference library's own limit
MAX_DIMS = 32  # NumPy allows 64; no model tensor has more than a few
MAX_EXTENT = 2**48  # product of the dimensions, zeros counted as 1 (NumPy refuses ~2**63 bytes)


def bfloat16_to_float32(raw):
    """bfloat16 bits (uint16) -> float32: bfloat16 is the top half of a float32."""
    return (raw.astype(numpy.uint32) << 16).view(numpy.float32)


def float32_to_bfloat16(values):
    """float32 -> bfloat16 bits (uint16), rounding to nearest even as torch does."""
    bits = numpy.ascontiguousarray(values, dtype=numpy.float32).view(numpy.uint32)
    rounding = ((bits >> 16) & 1) + numpy.uint32(0x7FFF)
    return ((bits + rounding) >> 16).astype(numpy.uint16)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs):
    """``object_pairs_hook`` for json.loads: a dict, refusing a key seen twice (json keeps the last)."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _fail(path, message):
    raise CheckpointError(f"{path}: {message}")


def read_header(path, file_size: int, head: bytes):
    """Parse and validate the header; return ({name: (code, shape, begin, end)}, metadata, data_start)."""
    if file_size < 8:
        _fail(path, f"file is {file_size} bytes, too short for a safetensors header")
    header_length = int.from_bytes(head[:8], "little")
    if header_length > MAX_HEADER_BYTES or 8 + header_length > file_size:
        _fail(path, f"header length {header_length} does not fit in a file of {file_size} bytes")
    try:
        header = json.loads(bytes(head[8:8 + header_length]).decode("utf-8"),
                            object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(path, f"header is not valid JSON ({error})")
    except RecursionError:
        _fail(path, "header JSON is nested too deeply")
    except _DuplicateKey as error:
        _fail(path, f"header names {error.args[0]!r} twice (JSON keys, tensor names included, "
                    f"must be unique)")
    if not isinstance(header, dict):
        _fail(path, "header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict):
        _fail(path, "__metadata__ is not a JSON object")
    data_start = 8 + header_length
    data_size = file_size - data_start
    entries = {}
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            _fail(path, f"tensor {name!r}: entry must have exactly dtype, shape and data_offsets")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(code, str) or code not in DTYPES:
            _fail(path, f"tensor {name!r}: unknown dtype {code!r}; known: {', '.join(DTYPES)}")
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
            _fail(path, f"tensor {name!r}: shape {shape!r} is not a list of at most {MAX_DIMS} "
                        f"non-negative integers")
        extent = 1
        for dim in shape:
            extent *= max(dim, 1)
        if extent > MAX_EXTENT:  # only an empty tensor can get here with huge dimensions
            _fail(path, f"tensor {name!r}: shape {shape} is absurdly large")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            _fail(path, f"tensor {name!r}: data_offsets {offsets!r} is not [begin, end]")
        begin, end = offsets
        if not 0 <= begin <= end <= data_size:
            _fail(path, f"tensor {name!r}: byte range [{begin}, {end}) lies outside the "
                        f"data section of {data_size} bytes")
        count = 1
        for dim in shape:
            count *= dim
        if count * DTYPES[code].itemsize != end - begin:
            _fail(path, f"tensor {name!r}: shape {shape} of {code} needs "
                        f"{count * DTYPES[code].itemsize} bytes, its range holds {end - begin}")
        entries[name] = (code, tuple(shape), begin, end)
    # The ranges must tile the data section: no overlap, no gap.
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: (item[1][2], item[1][3])):
        if begin != position:
            what = "overlaps the previous tensor" if begin < position else "leaves a gap before it"
            _fail(path, f"tensor {name!r} at byte {begin} {what} (expected {position})")
        position = end
    if position != data_size:
        _fail(path, f"data section has {data_size - position} bytes that no tensor covers")
    return entries, metadata, data_start


def load_file(path, copy: bool = False) -> dict:
    """Tensors of a .safetensors file as NumPy arrays, by name, in the file's own dtypes.

    BF16 tensors come back as their uint16 bits (convert with ``bfloat16_to_float32``) and are
    reported by ``dtypes_of``. Arrays are read-only views of a memory map unless ``copy``.
    """
    tensors, _ = load_file_with_codes(path, copy=copy)
    return tensors


def load_file_with_codes(path, copy: bool = False):
    """Like ``load_file``, also returning {name: safetensors dtype code}."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            file_size = os.fstat(handle.fileno()).st_size
            if file_size == 0:
                _fail(path, "file is empty")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from error
    entries, _, data_start = read_header(path, file_size, _head(mapped, file_size))
    tensors, codes = {}, {}
    for name, (code, shape, begin, end) in entries.items():
        dtype = DTYPES[code]
        array = numpy.frombuffer(mapped, dtype=dtype, count=(end - begin) // dtype.itemsize,
                                 offset=data_start + begin).reshape(shape)
        tensors[name] = array.copy() if copy else array
        codes[name] = code
    return tensors, codes


def _head(mapped, file_size):
    """The header bytes: the 8-byte length and as much JSON as it claims (bounded)."""
    length = int.from_bytes(mapped[:8], "little")
    return mapped[:8 + max(0, min(length, MAX_HEADER_BYTES, file_size - 8))]


def save_file(tensors: dict, path, metadata: dict | None = None):
    """Write NumPy arrays to ``path`` in safetensors format (8-byte aligned, as the reference)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        array = tensors[name]
        if isinstance(array, tuple):  # ("BF16", uint16 bits)
            code, array = array
        else:
            array = numpy.asarray(array)
            if array.dtype not in NUMPY_TO_CODE:
                raise CheckpointError(f"tensor {name!r}: dtype {array.dtype} cannot be saved")
            code = NUMPY_TO_CODE[array.dtype]
        data = numpy.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as handle:
        handle.write(len(encoded).to_bytes(8, "little"))
        handle.write(encoded)
        for data in blobs:
            handle.write(data)
