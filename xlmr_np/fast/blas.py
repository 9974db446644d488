"""Turning off the BLAS's own threads while the fast path shares the work out itself.

NumPy's wheels bring OpenBLAS, which runs each matmul on every core and then keeps its worker
threads spinning for a while (about 0.1 s) in case another matmul follows. Right after a matmul
comes elementwise work (bias, GELU, LayerNorm); a thread of ours doing it then shares a core with
a spinning BLAS worker, and running it on two threads gains nothing (measured on 2 cores: GELU of
1024x3072 floats 28 ms on two threads after a matmul, 25 ms on one, 15.5 ms on two when the BLAS
workers sleep). So the fast path limits OpenBLAS to one thread while it runs and splits the rows
of every matmul over its own threads, each of which then does the elementwise work on the same
rows (``fast/threads.py``).

OpenBLAS has no Python API; its C functions ``openblas_set_num_threads`` and
``openblas_get_num_threads`` (``scipy_openblas_..._64_`` in NumPy's own build) are found in the
library NumPy loaded, by reading the process's memory map (Linux). With another BLAS (MKL,
Accelerate) or elsewhere, ``blas_threads_controllable()`` is False and the fast path leaves
threading to the BLAS.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import threading

_NAMES = [(f"{prefix}_get_num_threads{suffix}", f"{prefix}_set_num_threads{suffix}")
          for prefix in ("scipy_openblas", "openblas") for suffix in ("64_", "")]
_LOCK = threading.Lock()


def _loaded_openblas_paths() -> list[str]:
    try:
        with open(f"/proc/{os.getpid()}/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:  # not Linux
        return []
    return sorted(path for path in paths if "openblas" in os.path.basename(path).lower())


@functools.lru_cache(maxsize=None)
def _openblas_thread_functions():
    """``(get, set)`` C functions of the loaded OpenBLAS, or None."""
    for path in _loaded_openblas_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _NAMES:
            get, set_ = getattr(library, get_name, None), getattr(library, set_name, None)
            if get is not None and set_ is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return get, set_
    return None


def blas_threads_controllable() -> bool:
    """True when NumPy's BLAS is an OpenBLAS whose thread count can be set from here."""
    return _openblas_thread_functions() is not None


@contextlib.contextmanager
def single_threaded_blas():
    """Run the block with OpenBLAS on one thread, then restore its thread count.

    The count is process-wide: NumPy matmuls in other threads run single-threaded meanwhile.
    """
    functions = _openblas_thread_functions()
    if functions is None:
        raise RuntimeError("NumPy's BLAS is not an OpenBLAS whose threads can be set")
    get, set_ = functions
    with _LOCK:  # one fast-path call at a time owns the setting
        previous = get()
        set_(1)
        try:
            yield
        finally:
            set_(previous)
