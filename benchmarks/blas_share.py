"""Where the time of an 8x128 base-size encode goes, and how fast each library's GEMM is here.

    python benchmarks/blas_share.py --checkpoint ~/.cache/xlmr_np_bench/base

Prints (1) float32 GEMM throughput of NumPy's BLAS and of torch for the base model's four
matmul shapes at 1,024 tokens, in one process at the same thread count, and (2) the time of
``encode_batch`` on 8x128 against the time its 48 dense matmuls take alone at the measured
throughput. Together they bound what xlmr_np can reach against a peer.
"""

import argparse
import time

import numpy as np

SHAPES = [("qkv", 1024, 768, 2304), ("attention out", 1024, 768, 768), ("ffn in", 1024, 768, 3072),
          ("ffn out", 1024, 3072, 768)]


def gflops(function, m, k, n, repeats=10):
    function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return 2 * m * k * n * repeats / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"float32 GEMM, {args.threads} threads, GFLOP/s")
    print("| shape (m x k @ k x n) | numpy | torch | torch / numpy |\n|---|---|---|---|")
    gemm_seconds = 0.0
    for name, m, k, n in SHAPES:
        a, w = np.random.rand(m, k).astype(np.float32), np.random.rand(n, k).astype(np.float32)
        ta, tw = torch.from_numpy(a), torch.from_numpy(w)
        ours = gflops(lambda: a @ w.T, m, k, n)
        theirs = gflops(lambda: torch.nn.functional.linear(ta, tw), m, k, n)
        gemm_seconds += 12 * 2 * m * k * n / (ours * 1e9)
        print(f"| {name} {m}x{k} @ {k}x{n} | {ours:.0f} | {theirs:.0f} | {theirs / ours:.2f} |")

    import xlmr_np

    model = xlmr_np.XLMRobertaModel.from_pretrained(args.checkpoint)
    ids = np.random.default_rng(0).integers(5, 250000, size=(8, 128))
    model.encode_batch(ids)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        model.encode_batch(ids)
        times.append(time.perf_counter() - start)
    total = min(times)
    print(f"\nencode_batch 8x128: {total:.3f} s; its 48 dense matmuls alone: {gemm_seconds:.3f} s "
          f"({gemm_seconds / total:.0%}); everything else (attention, GELU, LayerNorm, adds): "
          f"{total - gemm_seconds:.3f} s")


if __name__ == "__main__":
    main()
