"""Fused kernels for the packed fast path on CuPy: LayerNorm, GELU + bias, softmax, batched matmul.

On a GPU every array operation is one kernel launch, and CuPy spends 10-30 microseconds of host
time on each. For one encoder layer of a 32x128 batch that is more than the work itself: measured
on an H200, the plain path's LayerNorm (about ten operations, float32 statistics for float16
arrays) took 0.34 ms of a 1.63 ms float16 layer, and GELU (six operations, erf in float32)
0.47 ms. Here each of these steps is one kernel, written with CuPy's ``ElementwiseKernel``: the
formulas of the plain path (``nn.LayerNorm``, ``activations.gelu``,
``modeling.attention.softmax``), computed in float32 for float16 and float32 arrays (float64 for
float64) and written back in place.

Row-wise steps (LayerNorm, softmax) use one warp (32 threads) per row: thread ``i`` of the
elementwise loop works on row ``i // 32``, lanes stride through the row, and warp shuffles
(``__shfl_xor_sync``) add up or take the maximum of the lanes' partial results. This relies on
CuPy's elementwise loop handing consecutive indices to consecutive threads of a block, whose size
is a multiple of 32; the launch size is a multiple of 32, so every warp is full.

The matrix products go to cuBLAS directly (``backend.cublas_batched_matmul``): CuPy's ``matmul``
spends over 0.1 ms of host time on each batched product. The dense layers' 2-D products go the
same way, written into the output array they are given (measured on an H100, no faster than
CuPy's ``matmul`` there: about 20 microseconds of host time each either way).

CuPy comes from ``backend.get_xp("cupy")``; nothing here runs without a GPU. tests/test_packed.py
compares the fast path using these kernels with the plain ``forward`` on CuPy.
"""

from __future__ import annotations

import functools
import math

from .. import backend

COMPUTE_TYPES = {"float16": ("float32", "float"), "float32": ("float32", "float"),
                 "float64": ("float64", "double")}
"""dtype of the array -> (CuPy name, CUDA C name) of the type the kernels compute in."""


ROW_KERNEL_PROLOGUE = """
const int lane = i & 31;              // this thread's lane in the row's warp
const ptrdiff_t base = (i >> 5) * n;  // first element of row i // 32
"""


def warp_sum(variable: str) -> str:
    return f"for (int o = 16; o > 0; o >>= 1) {variable} += __shfl_xor_sync(0xffffffffu, {variable}, o);"


@functools.lru_cache(maxsize=None)
def kernels(dtype):
    """The kernels for arrays of one dtype; compiled by CuPy on first use and cached on disk.
    Keyed by the dtype itself: reading ``dtype.name`` costs microseconds of host time per call."""
    cp = backend.get_xp("cupy")
    name, c = COMPUTE_TYPES[cp.dtype(dtype).name]
    f = "f" if c == "float" else ""  # expf / erff / sqrtf / fmaxf for float, exp / erf / ... for double
    lowest = "-3.402823466e+38f" if c == "float" else "-1.7976931348623157e+308"
    return {
        # GELU(x + b) = v * (0.5 + 0.5 * erf(v / sqrt 2)), v = x + b: one element per thread. (A
        # warp per row, as below, took 1.4x as long inside a layer: each lane's loop waits on
        # memory at every step, where one element per thread keeps many loads in flight.)
        "bias_gelu": cp.ElementwiseKernel(
            "T b", "T x",
            f"{c} v = ({c})x + ({c})b; x = (T)(v * (({c})0.5 + ({c})0.5 * erf{f}(v * ({c})0.70710678118654752440)));",
            f"xlmr_np_bias_gelu_{c}"),
        # one warp per row of x (rows, n): optionally x += b + r first (rounded to T once), then
        # (x - mean) / sqrt(variance + eps) * w + nb, with the biased variance of the reference
        "layer_norm": cp.ElementwiseKernel(
            f"raw T b, raw T r, raw T w, raw T nb, int32 n, int32 add, {name} eps", "raw T x",
            ROW_KERNEL_PROLOGUE + f"""
            {c} total = 0;
            for (int j = lane; j < n; j += 32) {{
                {c} v = ({c})x[base + j];
                if (add) {{ v = ({c})(T)(v + ({c})b[j] + ({c})r[base + j]); x[base + j] = (T)v; }}
                total += v;
            }}
            {warp_sum("total")}
            const {c} mean = total / ({c})n;
            {c} squares = 0;
            for (int j = lane; j < n; j += 32) {{ {c} d = ({c})x[base + j] - mean; squares += d * d; }}
            {warp_sum("squares")}
            const {c} deviation = sqrt{f}(squares / ({c})n + eps);
            for (int j = lane; j < n; j += 32)
                x[base + j] = (T)((({c})x[base + j] - mean) / deviation * ({c})w[j] + ({c})nb[j]);
            """, f"xlmr_np_layer_norm_{c}"),
        # one warp per row of x (rows, n): exp(x - max) / sum(exp(x - max))
        "softmax": cp.ElementwiseKernel(
            "int32 n", "raw T x",
            ROW_KERNEL_PROLOGUE + f"""
            {c} top = {lowest};
            for (int j = lane; j < n; j += 32) top = fmax{f}(top, ({c})x[base + j]);
            for (int o = 16; o > 0; o >>= 1) top = fmax{f}(top, __shfl_xor_sync(0xffffffffu, top, o));
            {c} total = 0;
            for (int j = lane; j < n; j += 32) total += exp{f}(({c})x[base + j] - top);
            {warp_sum("total")}
            for (int j = lane; j < n; j += 32) x[base + j] = (T)(exp{f}(({c})x[base + j] - top) / total);
            """, f"xlmr_np_softmax_{c}"),
        # one warp per slot (sequence c, position l) of a padded batch: the row ``rows[slot]`` of
        # qkv (tokens, 3 * heads * d) into the tiles (3, count, heads, length, d)
        "split_heads": cp.ElementwiseKernel(
            "raw T qkv, raw int64 rows, int32 count, int32 length, int32 heads, int32 d", "raw T tiles",
            """
            const int lane = i & 31;
            const ptrdiff_t slot = i >> 5, c = slot / length, l = slot - c * length;
            const ptrdiff_t width = (ptrdiff_t)heads * d, source = rows[slot] * 3 * width;
            for (int part = 0; part < 3; ++part)
                for (int h = 0; h < heads; ++h) {
                    const ptrdiff_t from = source + part * width + (ptrdiff_t)h * d;
                    const ptrdiff_t to = (((part * count + c) * heads + h) * length + l) * d;
                    for (int e = lane; e < d; e += 32) tiles[to + e] = qkv[from + e];
                }
            """, "xlmr_np_split_heads"),
        # one warp per token row of context (tokens, heads * d): its heads from the slot
        # ``slots[row]`` of attended (count, heads, length, d)
        "merge_heads": cp.ElementwiseKernel(
            "raw T attended, raw int64 slots, int32 length, int32 heads, int32 d", "raw T context",
            """
            const int lane = i & 31;
            const ptrdiff_t row = i >> 5, slot = slots[row], c = slot / length, l = slot - c * length;
            const ptrdiff_t width = (ptrdiff_t)heads * d;
            for (int h = 0; h < heads; ++h) {
                const ptrdiff_t from = ((c * heads + h) * length + l) * d;
                for (int e = lane; e < d; e += 32) context[row * width + (ptrdiff_t)h * d + e] = attended[from + e];
            }
            """, "xlmr_np_merge_heads"),
    }


def rows_of(x):
    """(x as a flat view, number of rows of its last axis). The kernels index flat arrays: CuPy
    turns a flat index into an n-dimensional array into its n indices, a division per axis."""
    if not x.flags.c_contiguous:
        raise ValueError("the fused CuPy row kernels work in place on C-contiguous arrays")
    return x.reshape(-1), math.prod(x.shape[:-1])


def bias_gelu_(x, bias):  # (rows, features) and (features,), in place
    """GELU(x + bias), overwriting ``x``: one kernel."""
    kernels(x.dtype)["bias_gelu"](bias, x)


def split_heads(qkv, rows, heads: int, head_dim: int):  # (tokens, 3 * heads * d), (n, L) -> (3, n, heads, L, d)
    """Each slot's row of ``qkv`` (``rows``: int64, C-contiguous) cut into query, key and value
    heads, as contiguous (L, d) tiles for cuBLAS: one kernel."""
    cp = backend.get_xp("cupy")
    count, length = rows.shape
    tiles = cp.empty((3, count, heads, length, head_dim), dtype=qkv.dtype)
    kernels(qkv.dtype)["split_heads"](rows_of(qkv)[0], rows_of(rows)[0], count, length, heads, head_dim,
                                      tiles.reshape(-1), size=count * length * 32)
    return tiles


def merge_heads(attended, slots):  # (n, heads, L, d), (tokens,) -> (tokens, heads * d)
    """Each token's heads, read from its slot (``slots``: int64) of ``attended``, side by side: one kernel."""
    cp = backend.get_xp("cupy")
    count, heads, length, head_dim = attended.shape
    context = cp.empty((slots.shape[0], heads * head_dim), dtype=attended.dtype)
    kernels(attended.dtype)["merge_heads"](rows_of(attended)[0], rows_of(slots)[0], length, heads, head_dim,
                                           context.reshape(-1), size=slots.shape[0] * 32)
    return context


def layer_norm_(x, weight, bias, eps):  # (rows, hidden), in place
    """LayerNorm over the last axis, overwriting ``x``: one kernel."""
    flat, rows = rows_of(x)
    kernels(x.dtype)["layer_norm"](flat, flat, weight, bias, x.shape[-1], 0, eps, flat, size=rows * 32)


def bias_residual_layer_norm_(x, bias, residual, weight, norm_bias, eps):  # (rows, hidden), in place
    """LayerNorm(x + bias + residual), overwriting ``x``: one kernel."""
    flat, rows = rows_of(x)
    residual_flat, _ = rows_of(residual)
    kernels(x.dtype)["layer_norm"](bias, residual_flat, weight, norm_bias, x.shape[-1], 1, eps, flat,
                                   size=rows * 32)


def softmax_(scores):  # (..., keys), in place
    """Softmax over the last axis, overwriting ``scores``: one kernel."""
    flat, rows = rows_of(scores)
    kernels(scores.dtype)["softmax"](scores.shape[-1], flat, size=rows * 32)


def operand(x):
    """(C-contiguous array, transposed?) holding ``x`` for cuBLAS; copies only if neither layout fits."""
    cp = backend.get_xp("cupy")
    if x.flags.c_contiguous:
        return x, False
    swapped = cp.swapaxes(x, -1, -2)
    if swapped.flags.c_contiguous:
        return swapped, True
    return cp.ascontiguousarray(x), False


def matmul(a, b, out=None):  # (..., m, k) @ (..., k, n) -> (..., m, n), same leading axes
    """Batched ``a @ b`` through one cuBLAS call, into a new array or ``out`` (C-contiguous);
    operands may be transposed or strided views."""
    (a, a_transposed), (b, b_transposed) = operand(a), operand(b)
    return backend.cublas_batched_matmul(a, b, a_transposed, b_transposed, out)
