"""The array backend: the one module that knows NumPy from CuPy.

Model code never imports numpy or cupy. It asks this module for the array namespace of the arrays
it holds (``xp = namespace(hidden_states)``) and writes every step with ``xp.matmul``,
``xp.exp`` and friends, so the same lines run on the CPU (NumPy) and on an NVIDIA GPU (CuPy).

Backends are named by string: ``"numpy"`` and ``"cupy"``; ``register_backend`` adds another
array library that follows NumPy's API (the test suite adds a guarded NumPy that fails on any
direct NumPy call, to prove model code only uses ``xp``). See ``docs/backends.md``.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Callable, NamedTuple

import numpy

BACKENDS = ("numpy", "cupy")


class RegisteredBackend(NamedTuple):
    """An extra backend: its array module, its array type, and the moves to and from the host."""

    xp: object
    array_type: type
    from_host: Callable  # (numpy array, dtype or None) -> array on this backend
    to_host: Callable  # array on this backend -> numpy array


_REGISTERED: dict[str, RegisteredBackend] = {}


def register_backend(name: str, xp, array_type: type, from_host: Callable, to_host: Callable) -> None:
    """Add a backend whose module ``xp`` follows NumPy's API and whose arrays are ``array_type``.

    Model code then runs on it with ``model.to(name)``; erf uses ``erf_rational`` there.
    """
    if name in BACKENDS:
        raise ValueError(f"backend {name!r} is built in and can't be replaced")
    _REGISTERED[name] = RegisteredBackend(xp, array_type, from_host, to_host)


@functools.lru_cache(maxsize=None)
def _cupy():
    """Import CuPy once, with an error that says what is missing."""
    try:
        import cupy  # noqa: PLC0415 - optional dependency, imported on first use
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise RuntimeError(
            "backend 'cupy' needs CuPy and an NVIDIA GPU: pip install 'xlmr-np[gpu]'"
        ) from error
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # pragma: no cover - depends on the machine
        raise RuntimeError(f"backend 'cupy': CuPy is installed but no GPU is usable ({error})") from error
    return cupy


def cublas_batched_matmul(a, b, a_transposed: bool, b_transposed: bool, out=None, library=None):
    """``a @ b`` for C-contiguous CuPy arrays with equal leading (batch) axes, as one cuBLAS call.

    ``a`` holds (..., m, k), or (..., k, m) with ``a_transposed``; likewise ``b`` (..., k, n) or
    (..., n, k). Returns a new (..., m, n) array, or writes it into ``out`` (C-contiguous, of that
    shape and ``a``'s dtype). CuPy's own ``matmul`` spends over 0.1 ms of
    host time on a batched product (and converts float16 operands); this is one
    ``cublasGemmStridedBatchedEx``, accumulating in float32 for float16 and float32 (TF32 only
    where ``CUPY_TF32=1`` asks for it, as for CuPy's matmul) and in float64 for float64.
    ``library`` makes the two cuBLAS calls (``setStream``, ``gemmStridedBatchedEx``, with the
    arguments of CuPy's bindings, the default); benchmarks/gpu_device_time.py passes the same
    functions called through ctypes, which a CUDA stream capture allows and the bindings refuse.
    """
    cupy = _cupy()
    from cupy_backends.cuda.libs import cublas  # noqa: PLC0415 - CuPy's cuBLAS bindings

    m, k = (a.shape[-1], a.shape[-2]) if a_transposed else (a.shape[-2], a.shape[-1])
    n = b.shape[-2] if b_transposed else b.shape[-1]
    batch = math.prod(a.shape[:-2])
    shape = tuple(a.shape[:-2]) + (m, n)
    if b.dtype != a.dtype:
        raise ValueError(f"cublas_batched_matmul: operands of one dtype needed, got {a.dtype} and {b.dtype}")
    if out is None:
        out = cupy.empty(shape, dtype=a.dtype)
    elif out.shape != shape or out.dtype != a.dtype or not out.flags.c_contiguous:
        raise ValueError(f"cublas_batched_matmul: out must be a C-contiguous {a.dtype} array of shape {shape}")
    if out.size == 0:  # cuBLAS refuses zero dimensions (a fully pruned layer's query/key/value)
        return out
    if k == 0:  # a sum of no products
        out.fill(0)
        return out
    data_type, compute, alpha, beta = _cublas_types(a.dtype, os.environ.get("CUPY_TF32", "0") != "0")
    # cuBLAS is column-major: a row-major (r, c) matrix is its (c, r) transpose there, so
    # out = a @ b is computed as out^T = b^T a^T; a stored transposed needs op T, ld = its columns.
    op_a, ld_a = (cublas.CUBLAS_OP_T, m) if a_transposed else (cublas.CUBLAS_OP_N, k)
    op_b, ld_b = (cublas.CUBLAS_OP_T, k) if b_transposed else (cublas.CUBLAS_OP_N, n)
    library = cublas if library is None else library
    handle = cupy.cuda.device.get_cublas_handle()
    library.setStream(handle, cupy.cuda.get_current_stream().ptr)
    library.gemmStridedBatchedEx(
        handle, op_b, op_a, n, m, k, alpha.ctypes.data,
        b.data.ptr, data_type, ld_b, k * n,
        a.data.ptr, data_type, ld_a, m * k,
        beta.ctypes.data, out.data.ptr, data_type, n, m * n,
        batch, compute, cublas.CUBLAS_GEMM_DEFAULT)
    return out


@functools.lru_cache(maxsize=None)
def _cublas_types(dtype, tf32: bool):
    """(data type, compute type, alpha, beta) of a cuBLAS product of ``dtype`` arrays, found once
    per dtype: working them out on each call cost more host time than the call itself."""
    from cupy_backends.cuda.libs import cublas  # noqa: PLC0415 - CuPy's cuBLAS bindings

    runtime = _cupy().cuda.runtime
    name = numpy.dtype(dtype).name
    data_type = {"float16": runtime.CUDA_R_16F, "float32": runtime.CUDA_R_32F, "float64": runtime.CUDA_R_64F}[name]
    if name == "float64":
        compute, scalar = cublas.CUBLAS_COMPUTE_64F, numpy.float64
    elif name == "float32" and tf32:
        compute, scalar = cublas.CUBLAS_COMPUTE_32F_FAST_TF32, numpy.float32
    else:
        compute, scalar = cublas.CUBLAS_COMPUTE_32F, numpy.float32
    return data_type, compute, numpy.ones(1, dtype=scalar), numpy.zeros(1, dtype=scalar)


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        _cupy()
    except RuntimeError:
        return False
    return True


def check_backend(name: str) -> str:
    """Return ``name`` if it names a backend, else raise with the known names."""
    if name not in BACKENDS and name not in _REGISTERED:
        known = ", ".join(BACKENDS + tuple(_REGISTERED))
        raise ValueError(f"unknown backend {name!r}; known backends: {known}")
    return name


def get_xp(name: str):
    """The array module of a backend: ``numpy`` or ``cupy``."""
    check_backend(name)
    if name in _REGISTERED:
        return _REGISTERED[name].xp
    return numpy if name == "numpy" else _cupy()


def backend_of(array) -> str:
    """The name of the backend an array lives on."""
    # Called several times per step: the common types are recognised first and cheaply (on a GPU
    # the host time of a step is most of its time).
    kind = type(array)
    if kind is numpy.ndarray:
        return "numpy"
    if kind.__module__.startswith("cupy"):
        return "cupy"
    if isinstance(array, numpy.ndarray) or numpy.isscalar(array):
        return "numpy"
    for name, registered in _REGISTERED.items():
        if isinstance(array, registered.array_type):
            return name
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def namespace(array):
    """The array module (``xp``) that computes on ``array``."""
    name = backend_of(array)
    if name == "numpy":
        return numpy
    return _cupy() if name == "cupy" else get_xp(name)


def is_array(value) -> bool:
    """True for NumPy and CuPy arrays (not Python scalars)."""
    if isinstance(value, numpy.ndarray):
        return True
    if any(isinstance(value, registered.array_type) for registered in _REGISTERED.values()):
        return True
    return type(value).__module__.startswith("cupy") and hasattr(value, "shape")


def to_backend(array, name: str, dtype=None):
    """Move ``array`` (NumPy, CuPy, or anything ``numpy.asarray`` takes) to backend ``name``."""
    check_backend(name)
    if name == "numpy":
        host = to_numpy(array)
        return host if dtype is None else host.astype(dtype, copy=False)
    if name in _REGISTERED:
        return _REGISTERED[name].from_host(to_numpy(array), dtype)
    cupy = _cupy()
    return cupy.asarray(array, dtype=dtype)


def to_numpy(array):
    """Bring an array to host memory as a NumPy array (no copy when it already is one)."""
    if is_array(array) and backend_of(array) == "cupy":
        return array.get()
    for registered in _REGISTERED.values():
        if isinstance(array, registered.array_type):
            return registered.to_host(array)
    return numpy.asarray(array)


def empty_parameter(shape):
    """A float32 host array of zeros for a parameter that init or a checkpoint fills in.

    ``numpy.zeros`` takes fresh pages from the OS that cost no memory until written, so a model
    built only to receive checkpoint tensors never pays for these placeholders.
    """
    return numpy.zeros(shape, dtype=numpy.float32)


def finfo_min(dtype) -> float:
    """The most negative finite value of a float dtype: the reference's value for masked scores."""
    return float(numpy.finfo(numpy.dtype(dtype)).min)


# --------------------------------------------------------------------------------------------
# erf: the exact GELU is 0.5 * x * (1 + erf(x / sqrt(2))), and neither array module has erf.
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _scipy_erf():
    """``scipy.special.erf`` when SciPy is installed (one pass, correctly rounded), else None."""
    try:
        from scipy.special import erf  # noqa: PLC0415 - optional dependency
    except ImportError:
        return None
    return erf


def erf_rational(x):
    """erf from a Chebyshev-fitted exponential form, for any backend; max abs error 1.2e-7.

    erfc(z) ~= t * exp(-z^2 + P(t)) with t = 1 / (1 + z / 2) for z = |x| (Numerical Recipes,
    2nd ed., section 6.2); the fit has fractional error below 1.2e-7 on the whole line, so
    erf = 1 - erfc is within 1.2e-7 of the truth (tests/test_backend.py measures it against
    ``math.erf``). Computed in float64 and cast back, so the float32 result is the fit's own error.
    """
    xp = namespace(x)
    z = xp.abs(x.astype(xp.float64))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = 0.17087277
    for coefficient in (-0.82215223, 1.48851587, -1.13520398, 0.27886807,
                        -0.18628806, 0.09678418, 0.37409196, 1.00002368):
        poly = coefficient + t * poly
    erfc = t * xp.exp(-z * z - 1.26551223 + t * poly)
    result = xp.where(x >= 0, 1.0 - erfc, erfc - 1.0)
    return result.astype(x.dtype)


def erf(x, out=None):
    """The error function, elementwise, on the array's own backend (into ``out`` if given).

    NumPy: ``scipy.special.erf`` if SciPy is installed (accurate to a few ulp and one pass over
    memory), else ``erf_rational`` (max abs error 1.2e-7, several passes). CuPy:
    ``cupyx.scipy.special.erf`` (CUDA's erff). See docs/backends.md for the measurements.
    """
    name = backend_of(x)
    if name == "cupy":
        from cupyx.scipy.special import erf as library_erf  # noqa: PLC0415 - GPU only
    else:  # SciPy on NumPy when installed; registered backends use erf_rational
        library_erf = _scipy_erf() if name == "numpy" else None
    if library_erf is None:
        result = erf_rational(x)
    elif x.dtype == numpy.float16:  # no float16 loop in either library: compute in float32
        result = library_erf(x.astype(numpy.float32)).astype(numpy.float16)
    else:
        return library_erf(x, out=out) if out is not None else library_erf(x)
    if out is None:
        return result
    out[...] = result
    return out


# --------------------------------------------------------------------------------------------
# Randomness: initialisation and dropout draw from explicit, seeded generators.
# --------------------------------------------------------------------------------------------


def default_rng(seed):
    """A NumPy generator; random values are drawn on the host and moved to the backend."""
    return numpy.random.default_rng(seed)


def random_normal(rng, shape, std, dtype, backend):
    """normal(0, std) of ``shape`` on ``backend``, drawn from the host generator ``rng``."""
    values = rng.standard_normal(shape, dtype=numpy.float32) * numpy.float32(std)
    return to_backend(values, backend, dtype=dtype)


def random_keep_mask(rng, shape, keep_probability, backend):
    """Boolean mask with True where dropout keeps a value."""
    mask = rng.random(shape, dtype=numpy.float32) < keep_probability
    return to_backend(mask, backend)


SQRT_HALF = 1.0 / math.sqrt(2.0)
