"""Where the time of an 8x128 base-size encode goes, and what bounds xlmr_np against its peers.

    pip install -e ".[bench]" && python benchmarks/cpu.py     # builds <workdir>/base, base.onnx
    python benchmarks/blas_share.py [--workdir ~/.cache/xlmr_np_bench]

Prints, in one process at the same thread count:

1. float32 GEMM throughput for the base model's four matmul shapes at 1,024 tokens: NumPy's BLAS
   as the fast path calls it (row slices on xlmr_np's threads, the BLAS on one thread each),
   NumPy's BLAS on its own threads, torch, and ONNX Runtime (a one-node MatMul graph, its
   threads not spinning between runs). The libraries take turns in blocks, so a slow spell of
   this shared machine hits all of them; each block's median is reported (median of blocks).
2. ``encode_batch`` on 8x128: wall time, and the CPU time of every thread split into dense
   matmuls, attention matmuls, GELU, softmax, LayerNorm and the rest.
3. The floor of each non-GEMM step: alone on one thread, its best time over many repeats.
4. ONNX Runtime on the whole 8x128 batch (``base.onnx``), and the bound that follows: xlmr_np's
   dense matmuls as timed in (2) plus every other step at its floor from (3), shared evenly over
   the threads, against 0.9x ONNX Runtime. The machine's speed drifts between the sections, so
   read the ratios of one section together, and the bound as an estimate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections import defaultdict

import numpy as np

SHAPES = [("QKV", 1024, 768, 2304), ("attention out", 1024, 768, 768), ("FFN in", 1024, 768, 3072),
          ("FFN out", 1024, 3072, 768)]
LAYERS, BATCH, SEQ, HEADS, HEAD_DIM, INTERMEDIATE, HIDDEN = 12, 8, 128, 12, 64, 3072, 768


def block_medians(functions: dict, blocks: int = 4, calls: int = 6) -> dict:
    """Median seconds per call of each function, the functions taking turns in blocks of calls.

    A pause before each block lets the previous library's worker threads go idle."""
    times = defaultdict(list)
    for _ in range(blocks):
        for name, function in functions.items():
            time.sleep(0.3)
            function()
            for _ in range(calls):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def best_seconds(function, repeats: int = 30) -> float:
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def onnx_matmul_session(weight_t: np.ndarray, threads: int):
    """An ONNX Runtime session computing x @ weight_t, its intra-op threads not spinning."""
    import onnx.helper as helper
    import onnxruntime
    from onnx import TensorProto, numpy_helper

    k, n = weight_t.shape
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n])],
                              [numpy_helper.from_array(weight_t, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def gemm_table(threads: int) -> dict:
    """GFLOP/s per shape and library; returns NumPy's rate as the fast path calls it, per shape."""
    import torch

    from xlmr_np.fast.blas import single_threaded_blas
    from xlmr_np.fast.threads import for_row_slices
    from xlmr_np.nn import matmul_layout

    torch.set_num_threads(threads)
    print(f"1. float32 GEMM, {threads} threads, GFLOP/s (median of blocks)\n")
    print("| shape (m×k @ k×n) | NumPy, xlmr_np's row slices | NumPy, OpenBLAS threads | torch | ONNX Runtime "
          "| ONNX Runtime / NumPy (row slices) |\n|---|---|---|---|---|---|")
    rates = {}
    for name, m, k, n in SHAPES:
        rng = np.random.default_rng(0)
        x = rng.random((m, k), dtype=np.float32)
        weight = matmul_layout(rng.random((n, k), dtype=np.float32))  # laid out as a loaded model's
        out = np.empty((m, n), dtype=np.float32)
        session = onnx_matmul_session(np.ascontiguousarray(weight.T), threads)
        tx, tw = torch.from_numpy(x), torch.from_numpy(weight)

        def row_slices():
            with single_threaded_blas():
                for_row_slices(lambda a, b: np.matmul(x[a:b], weight.T, out=out[a:b]), m)

        seconds = block_medians({"rows": row_slices, "blas": lambda: np.matmul(x, weight.T, out=out),
                                 "torch": lambda: torch.nn.functional.linear(tx, tw),
                                 "ort": lambda: session.run(None, {"x": x})})
        gflops = {key: 2 * m * k * n / value / 1e9 for key, value in seconds.items()}
        rates[name] = gflops["rows"]
        print(f"| {name} {m}×{k} @ {k}×{n} | {gflops['rows']:.0f} | {gflops['blas']:.0f} | {gflops['torch']:.0f} "
              f"| {gflops['ort']:.0f} | {gflops['ort'] / gflops['rows']:.2f} |")
    return rates


def dense_gemm_seconds(rates: dict, tokens: int) -> float:
    """Wall seconds of the 48 dense matmuls of ``tokens`` tokens at the given GFLOP/s per shape."""
    return sum(LAYERS * 2 * tokens * k * n / (rates[name] * 1e9) for name, _, k, n in SHAPES)


class ThreadTimes:
    """Adds each thread's CPU time spent inside wrapped functions, per label."""

    def __init__(self):
        self.seconds, self._lock = defaultdict(float), threading.Lock()

    def wrap(self, label, function):
        def timed(*args, **kwargs):
            start = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[label] += time.thread_time() - start
        return timed


def breakdown(model, ids, runs: int = 5):
    """Wall time of encode_batch on ``ids`` and where its CPU time goes; returns the median run's
    wall seconds and CPU seconds per step."""
    from xlmr_np.fast import packed, packed_attention, tensor_parallel

    labels = {"bias_activation_": "GELU", "softmax_": "softmax", "bias_residual_layer_norm_": "LayerNorm (+ bias, residual)",
              "batched_matmul": "attention matmuls"}
    # each step wrapped where the fast path's modules call it
    originals = {(module, name): getattr(module, name) for module in (packed, packed_attention, tensor_parallel)
                 for name in labels if hasattr(module, name)}
    original_matmul = np.matmul
    model.encode_batch(ids)
    walls, cpus, splits = [], [], []
    try:
        for _ in range(runs):
            timer = ThreadTimes()
            for (module, name), function in originals.items():
                setattr(module, name, timer.wrap(labels[name], function))
            np.matmul = timer.wrap("all matmuls", original_matmul)  # packed.py calls xp.matmul
            cpu, wall = time.process_time(), time.perf_counter()
            model.encode_batch(ids)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            splits.append(dict(timer.seconds))
    finally:
        np.matmul = original_matmul
        for (module, name), function in originals.items():
            setattr(module, name, function)
    middle = sorted(range(runs), key=lambda i: walls[i])[runs // 2]
    split, cpu = splits[middle], cpus[middle]
    split["dense matmuls"] = split.pop("all matmuls") - split["attention matmuls"]
    split["the rest (bias of QKV, copies, Python, threads)"] = cpu - sum(split.values())
    print(f"\n2. encode_batch {BATCH}×{SEQ}: median wall {walls[middle]:.3f} s; that run's CPU time "
          f"{cpu:.3f} s over all threads:\n")
    print("| step | CPU s | share |\n|---|---|---|")
    for label, seconds in sorted(split.items(), key=lambda item: -item[1]):
        print(f"| {label} | {seconds:.3f} | {seconds / cpu:.0%} |")
    return walls[middle], split


def step_floors(model) -> dict:
    """Best single-thread seconds of each non-GEMM step, scaled to one 8x128 batch."""
    from xlmr_np.fast import kernels
    from xlmr_np.fast.blas import single_threaded_blas

    rng = np.random.default_rng(0)
    rows = 512  # one thread's slice of the 1,024 tokens
    inner, inner_start = np.empty((rows, INTERMEDIATE), np.float32), rng.standard_normal((rows, INTERMEDIATE), np.float32)
    hidden, hidden_start = np.empty((rows, HIDDEN), np.float32), rng.standard_normal((rows, HIDDEN), np.float32)
    ones, zeros = np.ones(HIDDEN, np.float32), np.zeros(HIDDEN, np.float32)
    sequences = 4  # one thread's block of attention work
    scores, scores_start = (np.empty((sequences, HEADS, SEQ, SEQ), np.float32),
                            rng.standard_normal((sequences, HEADS, SEQ, SEQ), np.float32))
    qkv = rng.standard_normal((sequences, SEQ, 3, HEADS, HEAD_DIM), np.float32)
    query, key, value = (np.transpose(qkv[:, :, i], (0, 2, 1, 3)) for i in range(3))
    bias = np.zeros(INTERMEDIATE, np.float32)

    def copy_then(step, target, start):
        copy = best_seconds(lambda: np.copyto(target, start))
        return best_seconds(lambda: (np.copyto(target, start), step())) - copy

    with single_threaded_blas():
        per_call = {
            "GELU": copy_then(lambda: kernels.bias_gelu_(inner, bias), inner, inner_start),
            "softmax": copy_then(lambda: kernels.softmax_(scores), scores, scores_start),
            "LayerNorm (+ bias, residual)": copy_then(
                lambda: kernels.bias_residual_layer_norm_(hidden, zeros, hidden_start, ones, zeros, 1e-5),
                hidden, hidden_start),
            "attention matmuls": best_seconds(lambda: np.matmul(np.matmul(query, np.swapaxes(key, -1, -2)), value)),
            "QKV bias": best_seconds(lambda: np.add(hidden, zeros, out=hidden)) * 3,
        }
    calls = {"GELU": 2, "softmax": 2, "LayerNorm (+ bias, residual)": 4, "attention matmuls": 2, "QKV bias": 2}
    floors = {label: per_call[label] * calls[label] * LAYERS for label in per_call}  # one thread, one batch
    print(f"\n3. floors: each step alone on one thread, best of 30, for one {BATCH}×{SEQ} batch (CPU s):\n")
    print("| step | CPU s | per element |\n|---|---|---|")
    elements = {"GELU": rows * INTERMEDIATE, "softmax": scores.size, "LayerNorm (+ bias, residual)": hidden.size,
                "QKV bias": 3 * hidden.size}
    for label, seconds in floors.items():
        per = f"{per_call[label] / elements[label] * 1e9:.2f} ns" if label in elements else ""
        print(f"| {label} | {seconds:.3f} | {per} |")
    return floors


def onnx_runtime_batch(workdir: str, threads: int, ids: np.ndarray) -> float:
    """Median wall seconds of ONNX Runtime on the whole batch, run as benchmarks/cpu.py runs it."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cpu import load_runner  # benchmarks/cpu.py

    encode, _ = load_runner("onnxruntime", workdir, threads)
    sequences = list(ids)
    encode(sequences)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        encode(sequences)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def parse_arguments(description: str) -> argparse.Namespace:
    """--workdir (benchmarks/cpu.py's, holding base/ and base.onnx) and --threads, which xlmr_np's
    fast path is then told to use; OpenBLAS keeps its own count (one per core by default)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=os.path.join(os.path.expanduser("~"), ".cache", "xlmr_np_bench"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ["XLMR_NP_NUM_THREADS"] = str(args.threads)
    return args


def main():
    args = parse_arguments(__doc__)
    import xlmr_np

    rates = gemm_table(args.threads)
    model = xlmr_np.XLMRobertaModel.from_pretrained(os.path.join(args.workdir, "base"))
    ids = np.random.default_rng(0).integers(5, 250000, size=(BATCH, SEQ))
    wall, split = breakdown(model, ids)
    floors = step_floors(model)
    onnx_seconds = onnx_runtime_batch(args.workdir, args.threads, ids)

    tokens = BATCH * SEQ
    gemm = split["dense matmuls"] / args.threads
    best = (split["dense matmuls"] + sum(floors.values())) / args.threads
    print(f"\n4. {BATCH}×{SEQ}, tokens/s: xlmr_np {tokens / wall:.0f}; ONNX Runtime {tokens / onnx_seconds:.0f} "
          f"(xlmr_np / ONNX Runtime {onnx_seconds / wall:.2f}).")
    print(f"   xlmr_np's dense matmuls (table 2's CPU time over {args.threads} threads): {gemm:.3f} s = "
          f"{tokens / gemm:.0f} tokens/s; at the GEMM rates of table 1: {dense_gemm_seconds(rates, tokens):.3f} s.")
    print(f"   + every other step at its floor (table 3), no thread ever idle: {best:.3f} s = {tokens / best:.0f} "
          f"tokens/s = {onnx_seconds / best:.2f}x ONNX Runtime (0.9x needs {onnx_seconds / 0.9:.3f} s).")

if __name__ == "__main__":
    main()
