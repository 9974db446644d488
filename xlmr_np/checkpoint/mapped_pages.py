"""Letting go of the file pages under a memory-mapped tensor once it has been copied.

Checkpoint tensors are read-only views of a memory map (``safetensors_io``, ``torch_bin``). Pages
of the file that the process has read count in its resident memory for as long as the map is
open, even after the tensor was copied elsewhere (``nn.matmul_layout`` copies every Linear
weight). ``release_pages`` hands those pages back: they stay in the OS page cache, and a later
read of the same bytes maps them in again, so the values never change. Host-side only (NumPy).
"""

from __future__ import annotations

import mmap

import numpy


def mapping_of(array):
    """The ``mmap.mmap`` a NumPy array is a view of, or None. (``numpy.frombuffer`` on a map makes
    an array whose base is a memoryview of it; reshapes add arrays in between.)"""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return base


def release_pages(array) -> int:
    """Drop the whole pages of ``array``'s bytes from this process's resident memory when it is
    a read-only view of a memory map; return how many bytes that covered (0 for anything else).

    Writeable views are left alone: on a copy-on-write map (``numpy.memmap(mode="c")``) dropping
    a page would throw away changes made to it."""
    mapping = mapping_of(array)
    if (mapping is None or array.flags.writeable or not hasattr(mapping, "madvise")
            or not hasattr(mmap, "MADV_DONTNEED")):
        return 0
    start = array.ctypes.data - numpy.frombuffer(mapping, dtype=numpy.uint8, count=1).ctypes.data
    first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE  # whole pages only: neighbours keep theirs
    last = (start + array.nbytes) // mmap.PAGESIZE * mmap.PAGESIZE
    if last <= first:
        return 0
    mapping.madvise(mmap.MADV_DONTNEED, first, last - first)
    return last - first
