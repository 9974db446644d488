"""What bounds a 16-token batch (the 1x16 latency target) on the CPU.

    pip install -e ".[bench]" && python benchmarks/cpu.py     # builds <workdir>/base, base.onnx
    python benchmarks/small_batch.py [--workdir ~/.cache/xlmr_np_bench]

A batch of 16 tokens multiplies each of the encoder's 48 weight matrices (340 MB in all) by 16
rows, so a call reads every weight once and does little arithmetic on it. Prints, in one process:

1. The 48 products ``x @ W.T`` of a base-size encoder, weights laid out as a loaded model has
   them (``nn.matmul_layout``), one set per layer (so they come from memory, as a model's do),
   run in the model's order on OpenBLAS's own threads (as the fast path runs batches under 256
   tokens; one per core unless ``OPENBLAS_NUM_THREADS`` says otherwise), milliseconds per pass,
   best of 7:
   - x one token, a vector: OpenBLAS's GEMV reads each weight once and packs nothing, the time
     to stream the weights from memory;
   - x 16 tokens: GEMM, which copies ("packs") each weight into its blocks on every call;
   - x 16 tokens on one weight per shape, repeated 12 times (the weights in cache): the
     arithmetic and packing without the reading.
2. Whole 1x16 calls, taking turns with a pause between turns: ONNX Runtime (``base.onnx``, as
   benchmarks/cpu.py runs it) and xlmr_np's ``encode_batch`` (medians), and the target: 1.2x
   ONNX Runtime's time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blas_share import LAYERS, SHAPES, best_seconds, parse_arguments

TOKENS = 16


def best_ms(function, repeats: int = 7) -> float:
    return best_seconds(function, repeats) * 1e3


def matmul_passes() -> float:
    """Prints table 1; returns the milliseconds of the 16-token pass over the 48 weights."""
    from xlmr_np.nn import matmul_layout

    rng = np.random.default_rng(0)
    layers = [[matmul_layout(rng.random((outputs, inputs), dtype=np.float32)) for _, _, inputs, outputs in SHAPES]
              for _ in range(LAYERS)]  # (out, in) each, as a checkpoint's Linear weights
    rows = {inputs: rng.random((TOKENS, inputs), dtype=np.float32) for _, _, inputs, _ in SHAPES}

    def model_order(tokens):
        def run():
            for weights in layers:
                for weight in weights:
                    x = rows[weight.shape[1]]
                    _ = (x[0] if tokens == 1 else x) @ weight.T
        return run

    def one_weight_per_shape():
        for weight in layers[0]:
            for _ in range(LAYERS):
                _ = rows[weight.shape[1]] @ weight.T

    megabytes = sum(weight.nbytes for weights in layers for weight in weights) / 1e6
    vector, batch, hot = best_ms(model_order(1)), best_ms(model_order(TOKENS)), best_ms(one_weight_per_shape)
    print(f"1. the encoder's {LAYERS * len(SHAPES)} products x @ W.T ({megabytes:.0f} MB of weights), "
          "OpenBLAS's threads, ms per pass (best of 7):\n")
    print("| x | ms | what it measures |\n|---|---|---|")
    print(f"| 1 token (GEMV) | {vector:.1f} | reading the weights once: {megabytes / vector:.1f} GB/s |")
    print(f"| {TOKENS} tokens (GEMM) | {batch:.1f} | as a 1×{TOKENS} encode runs them |")
    print(f"| {TOKENS} tokens, weights in cache | {hot:.1f} | packing and arithmetic without the reading |")
    print(f"\n   GEMM from memory − GEMV = {batch - vector:.1f} ms; reading + cached GEMM = {vector + hot:.1f} ms.")
    return batch


def whole_calls(workdir: str, threads: int, turns: int = 8, calls: int = 8) -> tuple[float, float]:
    """Median milliseconds of one 1x16 call of ONNX Runtime and of xlmr_np, the two taking turns.

    A pause before each turn lets the other library's worker threads stop spinning."""
    import cpu  # benchmarks/cpu.py: the runners as the main benchmark loads them

    runners = {name: cpu.load_runner(name, workdir, threads)[0] for name in ("onnxruntime", "xlmr_np")}
    batch = [np.random.default_rng(1).integers(5, 250000, size=TOKENS)]
    times = {name: [] for name in runners}
    for _ in range(turns):
        for name, encode in runners.items():
            time.sleep(0.3)
            encode(batch)
            for _ in range(calls):
                start = time.perf_counter()
                encode(batch)
                times[name].append(time.perf_counter() - start)
    return tuple(statistics.median(times[name]) * 1e3 for name in ("onnxruntime", "xlmr_np"))


def main():
    args = parse_arguments(__doc__)
    matmuls = matmul_passes()
    onnx_ms, ours_ms = whole_calls(args.workdir, args.threads)
    print(f"\n2. one 1×{TOKENS} call, median ms (taking turns): ONNX Runtime {onnx_ms:.1f}, xlmr_np {ours_ms:.1f} "
          f"({ours_ms / onnx_ms:.2f}x ONNX Runtime's time).")
    print(f"   Target ≤ 1.2x ONNX Runtime = {1.2 * onnx_ms:.1f} ms; the {TOKENS}-token matmuls alone take "
          f"{matmuls:.1f} ms ({matmuls / onnx_ms:.2f}x), before any other step.")


if __name__ == "__main__":
    main()
