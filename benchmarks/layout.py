"""Linear weights in Fortran order (``nn.matmul_layout``) against row-major ones, on the CPU.

    pip install -e ".[bench]" && python benchmarks/cpu.py     # builds <workdir>/base
    python benchmarks/layout.py [--workdir ~/.cache/xlmr_np_bench] [--sentences 300]

Prints, in one process:

1. float32 ``x @ W.T`` throughput (GFLOP/s) for the base model's four weight shapes at 16, 128,
   512 and 2,048 rows of x, with W row-major (as a checkpoint stores it) and in Fortran order,
   OpenBLAS on one thread (as the fast path runs it). Eight different weights per shape, so
   they come from memory as a model's do. The two layouts take turns; best of four turns each.
2. Whole models: the base checkpoint as ``from_pretrained`` lays it out, and a copy of it with
   every Linear weight made row-major again, taking turns on 1x16, 8x128 and the sorted
   variable-length workload of cpu.py. Medians of the turns, tokens per second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpu  # noqa: E402  (the workloads and checkpoint of the main benchmark)
from blas_share import SHAPES  # noqa: E402

ROWS = (16, 128, 512, 2048)


def gemm_rates(turns: int = 4) -> None:
    from xlmr_np.fast.blas import single_threaded_blas

    rng = np.random.default_rng(0)
    print("x @ W.T, GFLOP/s, OpenBLAS on one thread (row-major W | Fortran-order W | ratio)")
    with single_threaded_blas():
        for name, _, inputs, outputs in SHAPES:
            row_major = [rng.standard_normal((outputs, inputs), dtype=np.float32) for _ in range(8)]
            fortran = [np.asfortranarray(weight) for weight in row_major]
            cells = []
            for rows in ROWS:
                x = rng.standard_normal((rows, inputs), dtype=np.float32)
                out = np.empty((rows, outputs), dtype=np.float32)
                best = {"C": float("inf"), "F": float("inf")}
                for _ in range(turns):
                    for layout, weights in (("C", row_major), ("F", fortran)):
                        start = time.perf_counter()
                        for weight in weights:
                            np.matmul(x, weight.T, out=out)
                        best[layout] = min(best[layout], time.perf_counter() - start)
                flops = 2 * rows * inputs * outputs * len(row_major)
                cells.append(f"{rows:>4} rows {flops / best['C'] / 1e9:5.1f} | {flops / best['F'] / 1e9:5.1f}"
                             f" | {best['C'] / best['F']:.2f}")
            print(f"  {name:<14}" + "   ".join(cells))


def row_major_copy(checkpoint: str):
    """The checkpoint loaded, then every Linear weight copied back to row-major (C) order."""
    import xlmr_np
    from xlmr_np.nn import Linear

    model = xlmr_np.XLMRobertaModel.from_pretrained(checkpoint)
    for _, module in model.named_modules():
        if isinstance(module, Linear):
            module.weight = np.ascontiguousarray(module.weight)
    return model


def whole_models(checkpoint: str, sentences: int, turns: int) -> None:
    import xlmr_np
    from xlmr_np.fast.packed import fused_layer_weights

    fortran = xlmr_np.XLMRobertaModel.from_pretrained(checkpoint)
    row_major = row_major_copy(checkpoint)
    # The fused QKV weight follows the Linear weights' order (fast/packed.py): check both did.
    assert fused_layer_weights(fortran)[0][0].flags.f_contiguous
    assert fused_layer_weights(row_major)[0][0].flags.c_contiguous
    rng = np.random.default_rng(0)
    workloads = {
        "1x16": [[rng.integers(5, 1000, 16)]],
        "8x128": [[rng.integers(5, 1000, 128) for _ in range(8)]],
        f"sorted {sentences}": cpu.batches(cpu.make_sentences(sentences), sort=True),
    }
    probe = workloads["8x128"][0]
    difference = max(float(np.abs(a - b).max()) for a, b in zip(fortran.encode_batch(probe).last_hidden_state,
                                                                 row_major.encode_batch(probe).last_hidden_state))
    print(f"encode_batch, tokens/s (row-major | Fortran order | ratio); max abs difference {difference:.2e}")
    for name, batches in workloads.items():
        tokens = sum(len(sequence) for batch in batches for sequence in batch)
        rates = {"C": [], "F": []}
        repeats = turns * 4 if name == "1x16" else turns
        for turn in range(repeats):
            order = (("C", row_major), ("F", fortran)) if turn % 2 == 0 else (("F", fortran), ("C", row_major))
            for layout, model in order:
                model.encode_batch(batches[0])
                start = time.perf_counter()
                for batch in batches:
                    model.encode_batch(batch)
                rates[layout].append(tokens / (time.perf_counter() - start))
        c, f = statistics.median(rates["C"]), statistics.median(rates["F"])
        print(f"  {name:<12} {c:7.0f} | {f:7.0f} | {f / c:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=os.path.expanduser("~/.cache/xlmr_np_bench"))
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--turns", type=int, default=8)
    args = parser.parse_args()
    checkpoint = os.path.join(args.workdir, "base")
    if not os.path.isdir(checkpoint):
        raise SystemExit(f"no checkpoint at {checkpoint}: run benchmarks/cpu.py --workdir {args.workdir} first")
    gemm_rates()
    whole_models(checkpoint, args.sentences, args.turns)


if __name__ == "__main__":
    main()
