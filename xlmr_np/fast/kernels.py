"""In-place versions of the elementwise steps, for row slices of a (tokens, features) matrix.

Each does what its plain counterpart in ``modeling/`` does, but writes into its input instead of
allocating a new array per step: fewer passes over memory and no allocator traffic.
"""

from .. import backend
from ..backend import namespace


def layer_norm_(x, weight, bias, eps):  # (rows, hidden), in place
    """LayerNorm over the last axis, overwriting ``x``."""
    xp = namespace(x)
    x -= xp.mean(x, axis=-1, keepdims=True)
    scale = xp.mean(x * x, axis=-1, keepdims=True)  # (rows, 1): the variance
    scale += eps
    xp.sqrt(scale, out=scale)
    x /= scale
    x *= weight
    x += bias


def gelu_(x):  # (rows, features), in place
    """Exact GELU, x * (0.5 + 0.5 * erf(x / sqrt 2)), overwriting ``x`` (one temporary)."""
    t = x * backend.SQRT_HALF
    backend.erf(t, out=t)
    t *= 0.5
    t += 0.5
    x *= t


def softmax_(scores):  # (..., keys), in place
    """Softmax over the last axis, overwriting ``scores``."""
    xp = namespace(scores)
    scores -= xp.max(scores, axis=-1, keepdims=True)
    xp.exp(scores, out=scores)
    scores /= xp.sum(scores, axis=-1, keepdims=True)
