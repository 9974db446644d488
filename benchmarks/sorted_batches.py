"""Where the sorted-order workload is won and lost: xlmr_np against ONNX Runtime batch by batch.

    pip install -e ".[bench]" && python benchmarks/cpu.py     # builds <workdir>/base, base.onnx
    python benchmarks/sorted_batches.py [--workdir ~/.cache/xlmr_np_bench] [--repeats 3]

``cpu.py`` times the 1,000-sentence workload sorted by length (batches of 32) as one number per
runner, each in its own process. Here both runners are loaded in one process and take turns on
every batch (best of ``--repeats``, a pause before each call so that the other library's worker
threads have gone idle), so each batch gets its own ratio, measured under the same conditions.

Per batch it prints the real tokens, the padded width ONNX Runtime computes, both times, and the
ratio (ONNX Runtime's time / xlmr_np's: above 1 xlmr_np is faster). The summary groups batches
by width and gives each runner's rate of dense-layer arithmetic: the FLOPs of the QKV,
attention-output and feed-forward matmuls over the tokens it computes (real ones for xlmr_np,
padded ones for ONNX Runtime) per second. Where ONNX Runtime's rate is the higher one, its
matmuls are simply faster than NumPy's on those shapes: padding it does not skip is small there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HIDDEN, INTERMEDIATE, LAYERS = 768, 3072, 12
DENSE_FLOPS_PER_TOKEN = LAYERS * 2 * (HIDDEN * 3 * HIDDEN + HIDDEN * HIDDEN + 2 * HIDDEN * INTERMEDIATE)
BANDS = [(1, 16), (17, 32), (33, 64), (65, 128), (129, 256)]


def best_seconds(encode, batch, repeats: int, pause: float = 0.1) -> float:
    best = float("inf")
    for _ in range(repeats):
        time.sleep(pause)
        start = time.perf_counter()
        encode(batch)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=os.path.join(os.path.expanduser("~"), ".cache", "xlmr_np_bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ["XLMR_NP_NUM_THREADS"] = str(args.threads)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cpu import batches, load_runner, make_sentences  # benchmarks/cpu.py

    runners = {name: load_runner(name, args.workdir, args.threads)[0] for name in ("xlmr_np", "onnxruntime")}
    groups = batches(make_sentences(1000), sort=True)
    for encode in runners.values():
        encode(groups[len(groups) // 2])  # warm-up

    print("| batch | real tokens | width | ONNX Runtime's padding | xlmr_np ms | ONNX Runtime ms | ratio |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for index, group in enumerate(groups):
        seconds = {name: best_seconds(encode, group, args.repeats) for name, encode in runners.items()}
        real, width = sum(len(s) for s in group), max(len(s) for s in group)
        padded = width * len(group)
        rows.append((width, real, padded, seconds["xlmr_np"], seconds["onnxruntime"]))
        print(f"| {index} | {real} | {width} | {1 - real / padded:.0%} | {seconds['xlmr_np'] * 1e3:.0f} "
              f"| {seconds['onnxruntime'] * 1e3:.0f} | {seconds['onnxruntime'] / seconds['xlmr_np']:.2f} |")

    print("\n| width | batches | real tokens | ratio | xlmr_np dense GFLOP/s | ONNX Runtime dense GFLOP/s |")
    print("|---|---|---|---|---|---|")
    for low, high in BANDS + [(1, 10**9)]:
        band = [row for row in rows if low <= row[0] <= high]
        if not band:
            continue
        real, padded = sum(row[1] for row in band), sum(row[2] for row in band)
        ours, theirs = sum(row[3] for row in band), sum(row[4] for row in band)
        label = "all" if high == 10**9 else f"{low}–{high}"
        print(f"| {label} | {len(band)} | {real} | {theirs / ours:.2f} | {real * DENSE_FLOPS_PER_TOKEN / ours / 1e9:.0f} "
              f"| {padded * DENSE_FLOPS_PER_TOKEN / theirs / 1e9:.0f} |")


if __name__ == "__main__":
    main()
