"""The few building blocks every component is made of: Module, Linear, LayerNorm, Embedding, Dropout.

A ``Module`` holds its parameters as plain array attributes (``self.weight``) and its children as
attributes or lists, so the dotted path to a parameter (``encoder.layer.0.attention.self.query.weight``)
is the attribute path to it, and equals the checkpoint key. That is all the machinery there is.
"""

from __future__ import annotations

import math

from . import backend
from .backend import namespace


class Module:
    """Base of every component: parameter discovery by attribute, backend moves, train/eval."""

    training = False

    def named_modules(self, prefix=""):
        """Yield ``(path, module)`` for this module and every module below it."""
        yield prefix, self
        for name, value in vars(self).items():
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(value, Module):
                yield from value.named_modules(path)
            elif isinstance(value, list) and value and isinstance(value[0], Module):
                for index, child in enumerate(value):
                    yield from child.named_modules(f"{path}.{index}")

    def named_parameters(self):
        """Yield ``(checkpoint key, array)`` for every parameter, children included."""
        for path, module in self.named_modules():
            for name, value in vars(module).items():
                if backend.is_array(value):
                    yield (f"{path}.{name}" if path else name), value

    def parameters(self):
        return [value for _, value in self.named_parameters()]

    def state_dict(self) -> dict:
        return dict(self.named_parameters())

    def set_parameter(self, key: str, value):
        """Replace the parameter at a dotted checkpoint key."""
        *path, name = key.split(".")
        module = self
        for part in path:
            module = module[int(part)] if isinstance(module, list) else getattr(module, part)
        setattr(module, name, value)

    def to(self, backend_name: str, dtype=None) -> Module:
        """Move every parameter to ``"numpy"`` or ``"cupy"`` (and optionally cast it); returns self."""
        backend.check_backend(backend_name)
        for key, value in list(self.named_parameters()):
            if value.dtype.kind == "f" or dtype is None:
                self.set_parameter(key, backend.to_backend(value, backend_name, dtype=dtype))
        return self

    def train(self, mode: bool = True, seed: int | None = 0) -> Module:
        """Switch dropout on (``mode=True``) with a generator seeded by ``seed``, or off."""
        rng = backend.default_rng(seed)
        for _, module in self.named_modules():
            module.training = mode
            if isinstance(module, Dropout):
                module.rng = rng
        return self

    def eval(self) -> Module:
        """Switch dropout off (the default)."""
        return self.train(False)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features) as in checkpoints.

    On the CPU the models keep W in Fortran order (``matmul_layout``): same shape and values, but
    W^T is then an ordinary row-major (in, out) matrix.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        self.weight = backend.empty_parameter((out_features, in_features))
        self.bias = backend.empty_parameter((out_features,)) if bias else None

    def forward(self, x):  # (..., in_features) -> (..., out_features)
        xp = namespace(x)
        flat = xp.reshape(x, (math.prod(x.shape[:-1]), x.shape[-1]))  # (tokens, in); in may be 0 (all heads pruned)
        y = xp.matmul(flat, self.weight.T)  # (tokens, out)
        if self.bias is not None:
            y = y + self.bias
        return xp.reshape(y, x.shape[:-1] + (y.shape[-1],))


def matmul_layout(weight):  # (out, in) -> (out, in), same values
    """A copy of a Linear weight stored column by column (Fortran order), so that ``x @ W.T``
    hands the BLAS a row-major (in, out) matrix to read row by row, with no transpose.

    OpenBLAS copies ("packs") the weight into its own blocks on every matmul, and packs this
    layout faster: measured on 2 cores, ``x @ W.T`` of the base model's weights runs 13-60% faster
    with 16 rows of x and 3-7% with 512 (benchmarks/layout.py). ``to("numpy")`` applies it.
    """
    return namespace(weight).asfortranarray(weight)


class LayerNorm(Module):
    """Normalise the last axis to zero mean and unit variance, then scale and shift."""

    def __init__(self, size: int, eps: float):
        self.weight = backend.empty_parameter((size,))
        self.bias = backend.empty_parameter((size,))
        self.eps = eps

    def forward(self, x):  # (..., size) -> (..., size)
        xp = namespace(x)
        values = x.astype(xp.float32) if x.dtype == xp.float16 else x  # float16: statistics in float32
        mean = xp.mean(values, axis=-1, keepdims=True)
        centered = values - mean
        variance = xp.mean(centered * centered, axis=-1, keepdims=True)  # biased, as torch
        normalized = centered / xp.sqrt(variance + self.eps) * self.weight + self.bias
        return normalized.astype(x.dtype, copy=False)


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` is the vector of id ``i``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None):
        self.weight = backend.empty_parameter((num_embeddings, embedding_dim))
        self.padding_idx = padding_idx

    def forward(self, ids):  # (...) int -> (..., embedding_dim)
        xp = namespace(self.weight)
        rows = xp.take(self.weight, xp.reshape(ids, (-1,)), axis=0)  # (n, dim)
        return xp.reshape(rows, tuple(ids.shape) + (self.weight.shape[1],))


class Dropout(Module):
    """Zero each value with probability p and scale the rest by 1/(1-p), in training mode only."""

    def __init__(self, p: float):
        self.p = p
        self.rng = None

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = backend.random_keep_mask(self.rng, x.shape, 1.0 - self.p, backend.backend_of(x))
        return x * keep * (1.0 / (1.0 - self.p))
