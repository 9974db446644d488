"""How many array operations one call makes: a stand-in, measurable without a GPU, for the
kernel launches that bound the GPU time (each costs 10-30 us of host time on CuPy).

    python benchmarks/array_ops.py

Runs small models on the guarded NumPy backend of tests/guarded_numpy.py, whose every array
result passes through one function, and counts those results (new arrays and views) for one call
of ``forward`` and of ``encode_batch`` in its three input forms. "per layer" is the difference
between a two-layer and a one-layer model; "outside the layers" is the rest (input checks,
packing, embeddings, outputs, pooler), for 32 and for 8 sequences of 16 tokens. The guarded
backend runs the generic kernels (GELU through ``erf_rational``), so per-layer counts are higher
than on CuPy, where the fast path's fused kernels replace those steps; the work outside the
layers is the same code on every backend.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import guarded_numpy  # noqa: E402 - tests/guarded_numpy.py

import xlmr_np  # noqa: E402
from xlmr_np import backend  # noqa: E402

NAME = guarded_numpy.install()
COUNT = [0]
_wrap = guarded_numpy.wrap


def counting_wrap(value):
    if isinstance(value, (np.ndarray, np.generic)):
        COUNT[0] += 1
    return _wrap(value)


def operations(layers: int, batch: int, form: str) -> int:
    config = xlmr_np.XLMRobertaConfig(vocab_size=100, hidden_size=16, num_hidden_layers=layers,
                                      num_attention_heads=2, intermediate_size=20, max_position_embeddings=40)
    model = xlmr_np.XLMRobertaModel(config, seed=0).to(NAME)
    host = np.random.default_rng(0).integers(3, 100, size=(batch, 16))
    ids, mask = backend.to_backend(host, NAME), backend.to_backend(np.ones_like(host), NAME)
    call = {"forward(ids, attention_mask)": lambda: model(ids, attention_mask=mask),
            "encode_batch(ids, attention_mask)": lambda: model.encode_batch(ids, attention_mask=mask),
            "encode_batch(list of device rows)": lambda: model.encode_batch([ids[i] for i in range(batch)]),
            "encode_batch(list of host lists)": lambda: model.encode_batch([list(row) for row in host])}[form]
    call()  # once untimed, so lazily built caches (fused QKV weights) are not counted
    COUNT[0] = 0
    call()
    return COUNT[0]


def main():
    guarded_numpy.wrap = counting_wrap
    print("| call | per layer | outside the layers, 32 sequences | 8 sequences |")
    print("|---|---|---|---|")
    for form in ("forward(ids, attention_mask)", "encode_batch(ids, attention_mask)",
                 "encode_batch(list of device rows)", "encode_batch(list of host lists)"):
        per_layer = operations(2, 32, form) - operations(1, 32, form)
        print(f"| {form} | {per_layer} | {operations(1, 32, form) - per_layer} | "
              f"{operations(1, 8, form) - per_layer} |")


if __name__ == "__main__":
    main()
