"""Reading PyTorch ``pytorch_model.bin`` checkpoints without torch and without running pickled code.

``torch.save`` writes a pickle. Unpickling calls whatever functions the pickle names, so a
hostile ``.bin`` can run any code on ``pickle.load``. This reader never does: its unpickler
resolves only the handful of globals a state dict contains (``ALLOWED_GLOBALS``) to functions
of this module, and refuses every other global with a ``CheckpointError`` naming it, before
anything is called. Tensors are rebuilt here with NumPy over the raw storage bytes, after
checking that every view stays inside its storage.

Two container formats are read:

- the zip format, ``torch.save``'s default since torch 1.6 (and what transformers writes):
  ``<prefix>/data.pkl`` is the pickle, ``<prefix>/data/<key>`` the raw bytes of storage
  ``key``, ``<prefix>/byteorder`` ``little`` or ``big``. Entries must be stored uncompressed,
  as torch writes them (no zip bombs); each storage's CRC-32 is checked.
- the legacy format of torch < 1.6 (``_use_new_zipfile_serialization=False``): four pickles
  (magic number, protocol 1001, system info, the object), the list of storage keys, then each
  storage as an 8-byte element count and its bytes.

The still older tar format (torch < 0.4) is refused. Tensors come back as read-only NumPy
arrays, memory-mapped where contiguous; bfloat16 ones as uint16 bits with code ``"BF16"``,
as ``safetensors_io.load_file_with_codes`` does. See docs/untrusted-files.md.
"""

from __future__ import annotations

import collections
import io
import mmap
import os
import pickle
import reprlib
import struct
import zipfile
import zlib

import numpy

from ..errors import CheckpointError
from .safetensors_io import DTYPES

# torch storage class -> safetensors dtype code (its NumPy dtype is safetensors_io.DTYPES[code]).
STORAGE_CODES = {
    "DoubleStorage": "F64", "FloatStorage": "F32", "HalfStorage": "F16", "BFloat16Storage": "BF16",
    "LongStorage": "I64", "IntStorage": "I32", "ShortStorage": "I16", "CharStorage": "I8",
    "ByteStorage": "U8", "BoolStorage": "BOOL",
}
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
MAX_PICKLE_BYTES = 256 * 1024 * 1024
MAX_DIMS = 32
MAX_DIM = 2**48
# Non-contiguous views are copied; all copies together may not exceed this many times the
# file's size (a few tied or transposed weights need ~1x; a hostile file could ask for 1000x).
MAX_COPY_FACTOR = 4


class _Handle:
    """All the pickle ever holds of a storage type, a storage or a tensor: an opaque handle.

    The pickle cannot make one (no allowed global names this class) nor change one: it has no
    ``__dict__`` and ``__setattr__`` refuses, so a BUILD opcode cannot, say, enlarge a storage's
    element count after its bytes were mapped (which would make a view read past them).
    """

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value):
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", value)

    def __setattr__(self, name, value):
        raise AttributeError(f"a {self.kind} handle is read-only")

    def __delattr__(self, name):
        raise AttributeError(f"a {self.kind} handle is read-only")

    def __repr__(self):
        return f"<{self.kind}>"


class _Storage:
    """One storage: its key, dtype code, element count and (once read) a flat read-only array."""

    __slots__ = ("key", "code", "numel", "array")

    def __init__(self, key, code, numel, array=None):
        self.key, self.code, self.numel, self.array = key, code, numel, array


class _Reader:
    """State of one file being read: its storages, the tensors built, the copy budget."""

    def __init__(self, path, file_size):
        self.path = path
        self.storages = {}
        self.storage_views = {}  # legacy files only: the pre-1.0 storage views, by key
        self.storage_handles = {}
        self.views = {}  # (storage key, offset, size, stride) -> tensor handle: tied weights stay shared
        self.copy_budget = MAX_COPY_FACTOR * file_size + 2**20
        self.dry = False  # legacy files: a first pass that only collects the storages

    def fail(self, message):
        raise CheckpointError(f"{self.path}: {message}")

    # -- what the allowed globals resolve to --------------------------------------------------

    def rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad=False,
                          backward_hooks=None, metadata=None):
        if not isinstance(requires_grad, bool):
            self.fail(f"a tensor's requires_grad is {_short(requires_grad)}, not a bool")
        if backward_hooks:
            self.fail("a tensor carries backward hooks, which a state dict never has")
        if metadata is not None and not isinstance(metadata, dict):
            self.fail(f"a tensor's metadata is a {type(metadata).__name__}, not a dict")
        return self.rebuild_tensor(storage, storage_offset, size, stride)

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        if not isinstance(storage, _Handle) or storage.kind != "storage":
            self.fail(f"a tensor's storage is a {type(storage).__name__}, not a storage record")
        storage = storage.value
        if not _is_int(storage_offset) or storage_offset < 0:
            self.fail(f"storage offset {_short(storage_offset)} is not a non-negative integer")
        if (not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride)
                or len(size) > MAX_DIMS):
            self.fail(f"tensor size {_short(size)} and stride {_short(stride)} are not tuples of equal length "
                      f"(at most {MAX_DIMS})")
        if not all(_is_int(d) and 0 <= d <= MAX_DIM for d in size + stride):
            self.fail(f"tensor size {_short(size)} or stride {_short(stride)} holds something other than "
                      f"integers in [0, 2**48]")
        numel, extent = 1, 1
        for dim in size:
            numel, extent = numel * dim, extent * max(dim, 1)
        if extent > MAX_DIM:
            self.fail(f"tensor size {list(size)} is absurdly large")
        if numel:
            last = storage_offset + sum((d - 1) * s for d, s in zip(size, stride))
            if last >= storage.numel:
                self.fail(f"a tensor of size {list(size)}, stride {list(stride)} at offset "
                          f"{storage_offset} reaches element {last} of storage {_short(storage.key)}, "
                          f"which has {storage.numel}")
        if numel > max(storage.numel, 1):
            self.fail(f"a tensor of size {list(size)} has more elements than its storage "
                      f"{_short(storage.key)} ({storage.numel}); broadcast views are not supported")
        if self.dry:
            return _Handle("tensor", None)
        key = (storage.key, storage_offset, size, stride)
        if key not in self.views:
            array = self.view(storage, storage_offset, size, stride, numel)
            self.views[key] = _Handle("tensor", (array, storage.code))
        return self.views[key]

    def rebuild_parameter(self, data, requires_grad=False, backward_hooks=None):
        if not isinstance(data, _Handle) or data.kind != "tensor":
            self.fail(f"a parameter wraps a {type(data).__name__}, not a tensor")
        if backward_hooks:
            self.fail("a parameter carries backward hooks, which a state dict never has")
        return data

    def view(self, storage, storage_offset, size, stride, numel):
        """The tensor as a NumPy array: contiguous views are free, others are copied (budgeted)."""
        flat = storage.array
        itemsize = flat.dtype.itemsize
        if flat.size != storage.numel:  # cannot happen (checked when read); as_strided trusts us
            self.fail(f"storage {_short(storage.key)} has {flat.size} elements, not {storage.numel}")
        if numel == 0:
            array = numpy.empty(size, dtype=flat.dtype.newbyteorder("="))
        else:
            array = numpy.lib.stride_tricks.as_strided(
                flat[storage_offset:], shape=size, strides=[s * itemsize for s in stride],
                writeable=False)
            if not array.flags.c_contiguous or not array.dtype.isnative:
                self.copy_budget -= numel * itemsize
                if self.copy_budget < 0:
                    self.fail(f"its non-contiguous tensor views would need more than "
                              f"{MAX_COPY_FACTOR}x the file's size in copies")
                array = numpy.ascontiguousarray(array).astype(flat.dtype.newbyteorder("="))
        array.flags.writeable = False
        return array

    def storage(self, storage_type, key, numel):
        """The storage record for ``key`` (one per key: tensors that share it share its bytes)."""
        if not isinstance(storage_type, _Handle) or storage_type.kind != "storage type":
            self.fail(f"storage type {_short(storage_type)} is not one of the torch storage classes "
                      f"({', '.join(STORAGE_CODES)})")
        if not isinstance(key, str) or not _is_int(numel) or not 0 <= numel <= MAX_DIM:
            self.fail(f"storage record ({_short(key)}, {_short(numel)}) needs a string key and an element count")
        code = storage_type.value[1]
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = _Storage(key, code, numel)
        elif (known.code, known.numel) != (code, numel):
            self.fail(f"storage {_short(key)} is described both as {known.numel} {known.code} and "
                      f"{numel} {code} elements")
        return known

    def handle(self, storage):
        """The one handle of a storage record given to the pickle."""
        if storage.key not in self.storage_handles:
            self.storage_handles[storage.key] = _Handle("storage", storage)
        return self.storage_handles[storage.key]

    # -- the unpickler ------------------------------------------------------------------------

    def unpickle(self, stream, persistent_load):
        """One pickle from ``stream``; only ALLOWED_GLOBALS resolve, each to a function above."""
        allowed = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): self.rebuild_tensor_v2,
            ("torch._utils", "_rebuild_tensor"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): self.rebuild_parameter,
            ("torch", "Size"): _size,
            **{("torch", name): _Handle("storage type", (name, code)) for name, code in STORAGE_CODES.items()},
        }
        fail = self.fail

        class RestrictedUnpickler(pickle.Unpickler):
            def find_class(self, module, name):
                if (module, name) not in allowed:
                    fail(f"refusing to load: its pickle references the global {module[:100]}.{name[:100]}, "
                         f"which is not one of those a state dict needs ({', '.join(ALLOWED_GLOBALS)})")
                return allowed[(module, name)]

            def persistent_load(self, pid):
                return persistent_load(pid)

        return self.guarded(lambda: RestrictedUnpickler(stream, encoding="utf-8").load(), "its pickle")

    def guarded(self, function, what):
        """Run a parser over hostile bytes; whatever it raises becomes a CheckpointError."""
        try:
            return function()
        except CheckpointError:
            raise
        except (Exception, RecursionError) as error:  # noqa: BLE001 - any parser failure
            self.fail(f"{what} is malformed ({type(error).__name__}: {error})")

    def state_dict(self, result):
        """Check the unpickled object is {name: tensor}, every tensor one this reader built."""
        if not isinstance(result, dict):
            self.fail(f"holds a pickled {type(result).__name__}, not a state dict of tensors")
        tensors, codes = {}, {}
        for name, value in result.items():
            if not isinstance(name, str):
                self.fail(f"state dict key {_short(name)} is not a string")
            if not isinstance(value, _Handle) or value.kind != "tensor":
                what = f"a {value.kind}" if isinstance(value, _Handle) else f"a {type(value).__name__}"
                self.fail(f"state dict entry {_short(name)} is {what}, not a tensor")
            tensors[name], codes[name] = value.value
        return tensors, codes


ALLOWED_GLOBALS = ("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                   "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "torch.Size",
                   *(f"torch.{name}" for name in STORAGE_CODES))


def _short(value) -> str:
    """repr of a value from the file, bounded in length and nesting."""
    return _REPR.repr(value)


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _size(values=()):
    """``torch.Size(...)``, as older torch versions pickled tensor sizes: a plain tuple."""
    return tuple(values)


# -- public API -----------------------------------------------------------------------------------

def load_bin(path) -> dict:
    """Tensors of a torch.save'd state dict as read-only NumPy arrays, by name."""
    tensors, _ = load_bin_with_codes(path)
    return tensors


def load_bin_with_codes(path):
    """Like ``load_bin``, also returning {name: safetensors dtype code} (``"BF16"`` for bfloat16)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            file_size = os.fstat(handle.fileno()).st_size
            if file_size == 0:
                raise CheckpointError(f"{path}: file is empty")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as error:
        raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from error
    reader = _Reader(path, file_size)
    if mapped[:4] == b"PK\x03\x04":
        return _load_zip(reader, mapped, file_size)
    if mapped[:2] == b"\x80\x02":
        return _load_legacy(reader, mapped, file_size)
    if file_size >= 262 and mapped[257:262] == b"ustar":
        reader.fail("is in the tar format of torch < 0.4, which xlmr_np does not read; load it "
                    "with an old torch and save it again")
    reader.fail("is neither a zip archive written by torch.save nor a legacy torch pickle")


def _load_zip(reader, mapped, file_size):
    archive = reader.guarded(lambda: zipfile.ZipFile(mapped), "its zip directory")  # reads no data
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        reader.fail("its zip archive names an entry twice")
    pickles = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
    if len(pickles) != 1:
        reader.fail(f"its zip archive has {len(pickles)} '<name>/data.pkl' entries, expected 1 "
                    f"(is this a torch.save file?)")
    prefix = pickles[0][: -len("data.pkl")]
    by_name = {info.filename: info for info in infos}

    def entry(name):
        """A memoryview of a stored (uncompressed) entry's bytes, checked against its CRC-32."""
        info = by_name[name]
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 1:
            reader.fail(f"zip entry {name} is compressed or encrypted; torch.save stores "
                        f"entries uncompressed, and xlmr_np does not inflate them")
        local = mapped[info.header_offset: info.header_offset + 30] if info.header_offset >= 0 else b""
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            reader.fail(f"zip entry {name} has no local header at byte {info.header_offset}")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        if info.compress_size != info.file_size or start + info.file_size > file_size:
            reader.fail(f"zip entry {name} ({info.file_size} bytes at byte {start}) lies outside "
                        f"the file of {file_size} bytes")
        data = memoryview(mapped)[start: start + info.file_size]
        if zlib.crc32(data) != info.CRC:
            reader.fail(f"zip entry {name} fails its CRC-32 check (the file is corrupt)")
        return data, start

    order = "<"
    if prefix + "byteorder" in by_name:
        byteorder = bytes(entry(prefix + "byteorder")[0])
        if byteorder not in (b"little", b"big"):
            reader.fail(f"byteorder entry is {_short(byteorder[:20])}, expected 'little' or 'big'")
        order = "<" if byteorder == b"little" else ">"

    def fill(storage):
        if storage.array is not None:
            return
        name = prefix + "data/" + storage.key
        if name not in by_name:
            reader.fail(f"storage {_short(storage.key)} has no zip entry {_short(name)}")
        dtype = DTYPES[storage.code].newbyteorder(order)
        needed = storage.numel * dtype.itemsize
        if by_name[name].file_size != needed:
            reader.fail(f"storage {_short(storage.key)} of {storage.numel} {storage.code} elements needs "
                        f"{needed} bytes, its zip entry holds {by_name[name].file_size}")
        _, start = entry(name)
        storage.array = numpy.frombuffer(mapped, dtype=dtype, count=storage.numel, offset=start)

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage":
            reader.fail(f"persistent id {_short(pid)} is not ('storage', type, key, location, numel)")
        storage = reader.storage(pid[1], pid[2], pid[4])
        fill(storage)
        return reader.handle(storage)

    pickled_info = by_name[pickles[0]]
    if pickled_info.file_size > MAX_PICKLE_BYTES:
        reader.fail(f"its pickle is {pickled_info.file_size} bytes, more than {MAX_PICKLE_BYTES}")
    pickled, _ = entry(pickles[0])
    result = reader.unpickle(io.BytesIO(pickled), persistent_load)
    return reader.state_dict(result)


def _load_legacy(reader, mapped, file_size):
    """torch < 1.6 format: magic, protocol, sys info, object, storage keys, then the storages.

    The storages' bytes follow the pickle that uses them, so the object is unpickled twice: a
    dry pass (tensors not built) to learn the storages and where their bytes start, and the
    real pass once every storage has its bytes.
    """
    stream = mapped  # an mmap reads, seeks and tells like a file, without a copy
    no_ids = lambda pid: reader.fail(f"unexpected persistent id {_short(pid)}")  # noqa: E731
    if reader.unpickle(stream, no_ids) != LEGACY_MAGIC:
        reader.fail("is a pickle but not a torch.save file (wrong magic number)")
    protocol = reader.unpickle(stream, no_ids)
    if protocol != LEGACY_PROTOCOL:
        reader.fail(f"has legacy torch.save protocol {_short(protocol)}, expected {LEGACY_PROTOCOL}")
    sys_info = reader.unpickle(stream, no_ids)
    if not isinstance(sys_info, dict) or not isinstance(sys_info.get("little_endian", True), bool):
        reader.fail("legacy system-info record is malformed")
    order = "<" if sys_info.get("little_endian", True) else ">"
    object_start = stream.tell()

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage":
            reader.fail(f"persistent id {_short(pid)} is not ('storage', type, key, location, numel, view)")
        _, storage_type, key, _, numel, view = pid
        storage = reader.storage(storage_type, key, numel)
        if view is None:
            return reader.handle(storage)
        if (not isinstance(view, tuple) or len(view) != 3 or not isinstance(view[0], str)
                or not all(_is_int(v) and v >= 0 for v in view[1:]) or view[1] + view[2] > numel):
            reader.fail(f"storage view {_short(view)} of storage {_short(key)} ({numel} elements) is malformed")
        view_key, offset, count = view
        if view_key not in reader.storage_views:
            record = _Storage(view_key, storage.code, count)
            if storage.array is not None:
                record.array = storage.array[offset: offset + count]
            reader.storage_views[view_key] = _Handle("storage", record)
        return reader.storage_views[view_key]

    reader.dry = True
    reader.unpickle(stream, persistent_load)
    keys = reader.unpickle(stream, no_ids)
    if (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
            or len(set(keys)) != len(keys) or set(keys) != set(reader.storages)):
        reader.fail("legacy storage key list does not match the storages the object uses")
    position = stream.tell()
    for key in keys:
        storage = reader.storages[key]
        dtype = DTYPES[storage.code].newbyteorder(order)
        count = int.from_bytes(mapped[position: position + 8], "little" if order == "<" else "big")
        end = position + 8 + storage.numel * dtype.itemsize
        if count != storage.numel or end > file_size:
            reader.fail(f"storage {_short(key)} at byte {position} claims {count} elements; the pickle "
                        f"says {storage.numel} and the file has {file_size} bytes")
        storage.array = numpy.frombuffer(mapped, dtype=dtype, count=count, offset=position + 8)
        position = end
    if position != file_size:
        reader.fail(f"{file_size - position} bytes after the last storage belong to no storage")
    reader.dry = False
    reader.storage_views, reader.storage_handles, reader.views = {}, {}, {}
    stream.seek(object_start)
    return reader.state_dict(reader.unpickle(stream, persistent_load))
