"""The array backend: erf accuracy, moves between backends, and that model code never names NumPy."""

import ast
import math
import pathlib

import numpy as np
import pytest

from xlmr_np import backend

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "xlmr_np"
# Modules allowed to import numpy/cupy: the backend itself and host-side file I/O.
HOST_MODULES = {"backend.py", "checkpoint/safetensors_io.py", "checkpoint/loading.py", "checkpoint/torch_bin.py",
                "checkpoint/convert.py", "checkpoint/mapped_pages.py"}


def reference_erf(x):
    return np.array([math.erf(v) for v in x.astype(np.float64)])


def test_rational_erf_is_within_its_documented_error():
    x = np.concatenate([np.linspace(-6, 6, 200001), [0.0, -0.0, 1e-30, 30.0, -30.0]]).astype(np.float64)
    error = np.max(np.abs(backend.erf_rational(x) - reference_erf(x)))
    assert error < 1.2e-7, error


def test_default_erf_is_float32_exact_to_a_few_ulp():
    x = np.linspace(-8, 8, 100001).astype(np.float32)
    result = backend.erf(x)
    assert result.dtype == np.float32
    assert np.max(np.abs(result - reference_erf(x))) < 2.5e-7


def test_backend_names_and_moves():
    with pytest.raises(ValueError, match="known backends: numpy, cupy"):
        backend.get_xp("torch")
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert backend.to_backend(array, "numpy") is array
    assert backend.backend_of(array) == "numpy"
    assert backend.namespace(array) is np


@pytest.mark.skipif(not backend.cupy_available(), reason="no CuPy with a usable GPU on this machine")
def test_cupy_round_trip():
    array = np.arange(6, dtype=np.float32)
    moved = backend.to_backend(array, "cupy")
    assert backend.backend_of(moved) == "cupy"
    np.testing.assert_array_equal(backend.to_numpy(moved), array)


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_model_code_never_imports_numpy_or_cupy():
    """Only the backend and host-side I/O may import an array library; model code must take xp
    from the backend, so a stray ``np.`` in it is a NameError that every parity test would hit."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in HOST_MODULES or relative.startswith(("tokenization/", "cli", "pipelines/")):
            continue
        names = set(imported_modules(path)) & {"numpy", "cupy", "cupyx", "scipy", "torch"}
        if names:
            offenders.append(f"{relative}: {sorted(names)}")
    assert not offenders, offenders
