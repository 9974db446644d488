"""The in-place kernels of the fast path against exact float64 arithmetic."""

import math

import numpy as np
import pytest
import scipy.special

from xlmr_np import backend
from xlmr_np.fast import kernels


def exact_gelu(x):
    x = x.astype(np.float64)
    return x * 0.5 * (1.0 + scipy.special.erf(x / math.sqrt(2.0)))


def test_float32_gelu_error_bound():
    """Abramowitz & Stegun 7.1.26 in float32: error below 3e-7 * max(1, |x|) on a dense grid
    from -20 to 20 (where GELU has saturated) and on normal draws."""
    grid = np.linspace(-20, 20, 2_000_001, dtype=np.float64)
    draws = np.random.default_rng(0).standard_normal(1_000_000) * 3
    x = np.concatenate([grid, draws, [0.0, -0.0, 1e-30, -1e-30, 1e-8]]).astype(np.float32)
    x = np.concatenate([x, np.zeros(-len(x) % 1000, np.float32)]).reshape(-1, 1000)
    bias = np.random.default_rng(1).standard_normal(1000).astype(np.float32) * 0.1
    actual = x.copy()
    kernels.bias_gelu_(actual, bias)
    shifted = x + bias  # the same float32 sum the kernel forms
    scale = np.maximum(1.0, np.abs(shifted))
    assert float((np.abs(actual - exact_gelu(shifted)) / scale).max()) < 3e-7
    # For comparison, float32 rounding alone: the exact kernel (SciPy's erf) stays below 1.5e-7.
    exact = x + bias
    kernels.gelu_exact_(exact)
    assert float((np.abs(exact - exact_gelu(shifted)) / scale).max()) < 1.5e-7


def test_float32_gelu_blocks_cover_every_row(monkeypatch):
    """Blocks that do not divide the rows: every row is transformed once."""
    monkeypatch.setattr(kernels, "GELU_BLOCK_ELEMENTS", 7 * 5)  # 7 rows of 5 per block
    x = np.random.default_rng(2).standard_normal((23, 5)).astype(np.float32)
    bias = np.arange(5, dtype=np.float32) / 10
    actual = x.copy()
    kernels.bias_gelu_(actual, bias)
    np.testing.assert_allclose(actual, exact_gelu(x + bias), atol=3e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_other_dtypes_use_the_exact_gelu(dtype):
    x = np.linspace(-6, 6, 301).astype(dtype).reshape(7, 43)
    actual = x.copy()
    kernels.bias_gelu_(actual, np.zeros(43, dtype))
    assert actual.dtype == dtype
    tolerance = 1e-15 if dtype == np.float64 else 4e-3
    np.testing.assert_allclose(actual.astype(np.float64), exact_gelu(x), atol=tolerance, rtol=tolerance)


def test_float32_gelu_of_non_finite_values_matches_the_exact_form():
    x = np.array([[np.inf, -np.inf, np.nan, 3.0]], dtype=np.float32)
    fast, exact = x.copy(), x.copy()
    with np.errstate(invalid="ignore"):  # -inf * 0, in both forms
        kernels.bias_gelu_(fast, np.zeros(4, np.float32))
        kernels.gelu_exact_(exact)
    np.testing.assert_array_equal(fast, exact)  # inf, nan (as -inf * 0), nan, gelu(3)


# -- the fused CuPy kernels (xlmr_np/fast/cuda_kernels.py), where a GPU is present ----------------

needs_cupy = [pytest.mark.gpu, pytest.mark.skipif(not backend.cupy_available(),
                                                   reason="CuPy with a usable NVIDIA GPU is not available here")]
# float16 results are rounded once from float32: half an ulp of values up to ~8 is 2e-3.
# float32: a few ulp through mean, variance and normalize.
CUDA_TOLERANCE = {np.float16: 4e-3, np.float32: 3e-6, np.float64: 1e-12}


def exact_layer_norm(x, weight, bias, eps):
    x = x.astype(np.float64)
    centered = x - x.mean(axis=-1, keepdims=True)
    return centered / np.sqrt((centered**2).mean(axis=-1, keepdims=True) + eps) * weight + bias


def exact_softmax(x):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("step", ["bias_gelu", "layer_norm", "bias_residual_layer_norm", "softmax"])
@pytest.mark.parametrize("backend_name", [pytest.param("cupy", marks=needs_cupy)])
def test_fused_cuda_kernels_against_float64(backend_name, step, dtype):
    """Each fused kernel, through the fast path's in-place entry points, against float64 arithmetic
    on the same (dtype-rounded) inputs, with rows of awkward lengths and large and masked values."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((37, 131)) * 3 + 1).astype(dtype)
    x[3, :5] = np.finfo(dtype).min if step == "softmax" else x[3, :5]  # masked scores
    vector = lambda: rng.standard_normal(131).astype(dtype)  # noqa: E731
    bias, residual = vector(), (rng.standard_normal((37, 131))).astype(dtype)
    weight, norm_bias = vector(), vector()
    device = backend.to_backend(x, backend_name)
    on = lambda array: backend.to_backend(array, backend_name)  # noqa: E731
    if step == "bias_gelu":
        kernels.bias_gelu_(device, on(bias))
        expected = exact_gelu(x.astype(np.float64) + bias)
    elif step == "layer_norm":
        kernels.layer_norm_(device, on(weight), on(norm_bias), 1e-5)
        expected = exact_layer_norm(x, weight, norm_bias, 1e-5)
    elif step == "bias_residual_layer_norm":
        kernels.bias_residual_layer_norm_(device, on(bias), on(residual), on(weight), on(norm_bias), 1e-5)
        summed = (x.astype(np.float64) + bias + residual).astype(dtype)  # the kernel rounds the sum once
        expected = exact_layer_norm(summed, weight, norm_bias, 1e-5)
    else:
        kernels.softmax_(device)
        expected = exact_softmax(x)
    actual = backend.to_numpy(device)
    assert actual.dtype == dtype
    scale = np.maximum(1.0, np.abs(expected))
    assert float((np.abs(actual.astype(np.float64) - expected) / scale).max()) < CUDA_TOLERANCE[dtype]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "b transposed", "strided views"])
@pytest.mark.parametrize("backend_name", [pytest.param("cupy", marks=needs_cupy)])
def test_cublas_batched_matmul_against_float64(backend_name, layout, dtype):
    """cuda_kernels.matmul (one cuBLAS strided-batched call) for every operand layout the fast path
    hands it: contiguous, a transposed view (keys), and strided views of a packed QKV block."""
    from xlmr_np.fast import cuda_kernels

    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 5, 7)).astype(dtype)
    b = rng.standard_normal((2, 3, 7, 4)).astype(dtype)
    device_a, device_b = backend.to_backend(a, backend_name), backend.to_backend(b, backend_name)
    xp = backend.get_xp(backend_name)
    if layout == "b transposed":  # b given as swapaxes of a contiguous (..., n, k) array
        device_b = xp.swapaxes(xp.ascontiguousarray(xp.swapaxes(device_b, -1, -2)), -1, -2)
    elif layout == "strided views":  # both as views into a wider interleaved array, like q/k/v in qkv
        wide_a = xp.zeros((2, 5, 2, 3, 7), dtype=dtype)
        wide_a[:, :, 1] = xp.transpose(device_a, (0, 2, 1, 3))
        device_a = xp.transpose(wide_a[:, :, 1], (0, 2, 1, 3))
        wide_b = xp.zeros((2, 7, 3, 3, 4), dtype=dtype)
        wide_b[:, :, 2] = xp.transpose(device_b, (0, 2, 1, 3))
        device_b = xp.transpose(wide_b[:, :, 2], (0, 2, 1, 3))
    actual = backend.to_numpy(cuda_kernels.matmul(device_a, device_b))
    expected = a.astype(np.float64) @ b.astype(np.float64)
    assert actual.dtype == dtype and actual.shape == (2, 3, 5, 4)
    tolerance = {np.float16: 4e-3, np.float32: 2e-6, np.float64: 1e-12}[dtype]
    assert float((np.abs(actual - expected) / np.maximum(1.0, np.abs(expected))).max()) < tolerance


@pytest.mark.parametrize("weight_order", ["C", "F"])
@pytest.mark.parametrize("backend_name, dtype", [  # float16 runs on CuPy only in the fast path
    ("numpy", np.float32), pytest.param("cupy", np.float32, marks=needs_cupy),
    pytest.param("cupy", np.float16, marks=needs_cupy)])
def test_linear_matmul_against_float64(backend_name, weight_order, dtype):
    """kernels.linear_matmul, a dense layer's x W^T (one cuBLAS call on CuPy), into a new array and
    into ``out``, for weights in either memory order (Fortran order is the CPU's BLAS layout and
    survives ``.to("cupy")``)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 6)).astype(dtype)
    weight = np.asarray(rng.standard_normal((5, 6)).astype(dtype), order=weight_order)
    on = lambda array: backend.to_backend(array, backend_name)  # noqa: E731
    device_x, device_weight = on(x), on(weight)
    assert device_weight.flags.f_contiguous == (weight_order == "F")
    expected = x.astype(np.float64) @ weight.astype(np.float64).T
    tolerance = {np.float16: 4e-3, np.float32: 2e-6}[dtype]
    out = backend.get_xp(backend_name).empty((9, 5), dtype=dtype)
    returned = kernels.linear_matmul(device_x, device_weight, out)
    assert returned is out
    for actual in (backend.to_numpy(kernels.linear_matmul(device_x, device_weight)), backend.to_numpy(out)):
        assert actual.dtype == dtype and actual.shape == (9, 5)
        assert float((np.abs(actual - expected) / np.maximum(1.0, np.abs(expected))).max()) < tolerance


@pytest.mark.parametrize("backend_name", [pytest.param("cupy", marks=needs_cupy)])
def test_cublas_matmul_refuses_a_wrong_out_or_mixed_dtypes(backend_name):
    """cuBLAS would read or write past the arrays it is handed: shapes and dtypes are checked first."""
    from xlmr_np.fast import cuda_kernels

    xp = backend.get_xp(backend_name)
    a, b = xp.ones((4, 3), dtype=xp.float32), xp.ones((3, 2), dtype=xp.float32)
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        cuda_kernels.matmul(a, b, xp.empty((4, 3), dtype=xp.float32))
    with pytest.raises(ValueError, match="float32 array"):
        cuda_kernels.matmul(a, b, xp.empty((4, 2), dtype=xp.float16))
    with pytest.raises(ValueError, match="C-contiguous"):
        cuda_kernels.matmul(a, b, xp.empty((2, 4), dtype=xp.float32).T)
    with pytest.raises(ValueError, match="one dtype"):
        cuda_kernels.matmul(a, b.astype(xp.float16))


@pytest.mark.parametrize("backend_name", ["numpy", pytest.param("cupy", marks=needs_cupy)])
@pytest.mark.parametrize("rows, features_in, features_out", [(5, 4, 0), (5, 0, 3), (0, 4, 3)])
def test_linear_matmul_with_a_zero_dimension(backend_name, rows, features_in, features_out):
    """A fully pruned layer has query/key/value weights of no rows and an attention output of no
    columns: the products are empty, or zeros (cuBLAS itself refuses zero dimensions)."""
    on = lambda array: backend.to_backend(array, backend_name)  # noqa: E731
    x = np.ones((rows, features_in), dtype=np.float32)
    weight = np.ones((features_out, features_in), dtype=np.float32)
    out = backend.get_xp(backend_name).full((rows, features_out), 7.0, dtype=np.float32)
    kernels.linear_matmul(on(x), on(weight), out)
    for actual in (backend.to_numpy(out), backend.to_numpy(kernels.linear_matmul(on(x), on(weight)))):
        np.testing.assert_array_equal(actual, np.zeros((rows, features_out), dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("backend_name", [pytest.param("cupy", marks=needs_cupy)])
def test_cuda_head_kernels_equal_the_numpy_steps(backend_name, dtype):
    """split_heads and merge_heads on CuPy (one kernel each) give exactly what their NumPy forms
    (gather and transposing copy) give, for head sizes below, at and above a warp and slots that
    repeat rows (padding) and skip slots."""
    rng = np.random.default_rng(4)
    for heads, head_dim in [(3, 5), (2, 32), (4, 40)]:
        width = heads * head_dim
        qkv = rng.standard_normal((11, 3 * width)).astype(dtype)
        rows = np.array([[0, 1, 2, 2], [3, 4, 5, 6], [7, 8, 9, 10]], dtype=np.int64)  # (n, L): row 2 repeated
        expected = kernels.split_heads(qkv, rows, heads, head_dim)
        actual = kernels.split_heads(backend.to_backend(qkv, backend_name), backend.to_backend(rows, backend_name),
                                     heads, head_dim)
        assert actual.shape == (3, 3, heads, 4, head_dim)
        np.testing.assert_array_equal(backend.to_numpy(actual), expected)
        attended = rng.standard_normal((3, heads, 4, head_dim)).astype(dtype)
        slots = np.array([0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11], dtype=np.int64)  # slot 3 is padding
        expected = kernels.merge_heads(attended, slots)
        actual = kernels.merge_heads(backend.to_backend(attended, backend_name), backend.to_backend(slots, backend_name))
        np.testing.assert_array_equal(backend.to_numpy(actual), expected)
