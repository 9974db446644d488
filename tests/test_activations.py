"""Every activation against transformers' ACT2FN on the same inputs."""

import numpy as np
import pytest
import torch
from transformers.activations import ACT2FN as REFERENCE

from reference import assert_close
from xlmr_np.activations import ACT2FN


@pytest.mark.parametrize("name", sorted(ACT2FN))
def test_activation_matches_reference(name):
    x = np.concatenate([np.linspace(-30, 30, 2001), np.linspace(-3, 3, 2001)]).astype(np.float32)
    with torch.no_grad():
        expected = REFERENCE[name](torch.tensor(x)).numpy()
    actual = ACT2FN[name](x)
    assert actual.dtype == np.float32
    # float32 transcendental functions in two libraries: a few ulp of values up to 30.
    assert_close(actual, expected, f"activation {name}", atol=2e-6, rtol=1e-5)


def test_every_reference_activation_exists():
    assert set(REFERENCE) <= set(ACT2FN), set(REFERENCE) - set(ACT2FN)
