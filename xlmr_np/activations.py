"""Activation functions, by the names a config's ``hidden_act`` can take (the reference's ACT2FN).

Each takes an array and returns an array of the same shape and dtype. XLM-R checkpoints use
``"gelu"``: the exact erf form, 0.5 * x * (1 + erf(x / sqrt(2))). The tanh forms
(``gelu_new``, ``gelu_pytorch_tanh``, ``gelu_fast``) differ from it by up to ~1e-3 and are only
right for configs that name them.
"""

import math

from . import backend
from .backend import namespace

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x):
    """Exact GELU: x * Phi(x), with Phi the standard normal CDF."""
    return x * (0.5 * (1.0 + backend.erf(x * backend.SQRT_HALF)))


def gelu_new(x):
    """GELU with the tanh approximation (GPT-2's "new" GELU); also ``gelu_pytorch_tanh``."""
    xp = namespace(x)
    return 0.5 * x * (1.0 + xp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))


def gelu_fast(x):
    """The tanh approximation written as in the reference's FastGELUActivation."""
    xp = namespace(x)
    return 0.5 * x * (1.0 + xp.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


def gelu_10(x):
    """Exact GELU clipped to [-10, 10] (ClippedGELUActivation)."""
    xp = namespace(x)
    return xp.clip(gelu(x), -10.0, 10.0)


def quick_gelu(x):
    """x * sigmoid(1.702 x)."""
    return x * sigmoid(1.702 * x)


def laplace(x, mu=0.707107, sigma=0.282095):
    """The reference's LaplaceActivation: 0.5 * (1 + erf((x - mu) / (sigma * sqrt 2)))."""
    return 0.5 * (1.0 + backend.erf((x - mu) * (1.0 / (sigma * math.sqrt(2.0)))))


def relu(x):
    xp = namespace(x)
    return xp.maximum(x, 0)


def relu2(x):
    """Squared ReLU."""
    r = relu(x)
    return r * r


def relu6(x):
    xp = namespace(x)
    return xp.clip(x, 0.0, 6.0)


def leaky_relu(x, slope=0.01):
    xp = namespace(x)
    return xp.where(x >= 0, x, slope * x)


def sigmoid(x):
    """1 / (1 + exp(-x)), written so that neither branch overflows."""
    xp = namespace(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def silu(x):
    """x * sigmoid(x), also called swish."""
    return x * sigmoid(x)


def softplus(x):
    """log(1 + exp(x)), linear above 20 as torch's softplus (its default threshold)."""
    xp = namespace(x)
    return xp.where(x > 20.0, x, xp.log1p(xp.exp(xp.minimum(x, 20.0))))


def mish(x):
    """x * tanh(softplus(x))."""
    xp = namespace(x)
    return x * xp.tanh(softplus(x))


def tanh(x):
    xp = namespace(x)
    return xp.tanh(x)


def linear(x):
    return x


ACT2FN = {
    "gelu": gelu,
    "gelu_python": gelu,
    "gelu_accurate": gelu_new,
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": gelu_new,
    "gelu_fast": gelu_fast,
    "gelu_10": gelu_10,
    "quick_gelu": quick_gelu,
    "laplace": laplace,
    "leaky_relu": leaky_relu,
    "linear": linear,
    "mish": mish,
    "relu": relu,
    "relu2": relu2,
    "relu6": relu6,
    "sigmoid": sigmoid,
    "silu": silu,
    "swish": silu,
    "tanh": tanh,
}
