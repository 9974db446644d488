"""GPU inference benchmark: xlmr_np on CuPy against transformers (eager, sdpa) on CUDA.

    pip install -e ".[bench,gpu]" && python benchmarks/gpu.py

The GPU sibling of benchmarks/cpu.py. Builds the same base-size checkpoint once (transformers,
random init with seed 0, safetensors) in --workdir, then runs every runner at every precision in
its own process, one after another, and prints one table.

  runners     xlmr_np (CuPy backend, the plain path: ``model(ids, attention_mask=mask)``),
              xlmr_np-packed (the fast path: ``model.encode_batch(ids, attention_mask=mask)``, fused
              kernels of xlmr_np/fast/cuda_kernels.py), transformers-eager, transformers-sdpa
              (refused by transformers 4.39.3 for XLM-R: reported "unsupported")
  precisions  float32  float32 matmuls without TF32 (torch: allow_tf32 False; CuPy: CUPY_TF32 unset)
              tf32     float32 weights and activations, matmuls on TF32 tensor cores
                       (torch: torch.backends.cuda.matmul.allow_tf32 = True; CuPy: CUPY_TF32=1)
              float16  torch: model.half(); xlmr_np: model.to("cupy", dtype="float16")
  workloads   32x128 and 8x512 (batch x sequence; every token attended), and sorted-1000:
              benchmarks/cpu.py's 1,000 sentences of 6-256 tokens sorted by length, in batches of
              32 padded to their longest (every runner gets the same padded batches and the
              packed runner cuts them to their real tokens); tokens/s counts real tokens

Timing: inputs are put on the device first and outputs stay there; after warm-up, forward passes
are repeated for at least --min-seconds, each between two device synchronisations, and
tokens/s = batch * sequence / median seconds per pass.

Peak memory: the most bytes allocated on the GPU at any moment of one extra forward pass of the
workload, weights and inputs included. torch: torch.cuda.max_memory_allocated after
reset_peak_memory_stats. CuPy: the default memory pool's used_bytes(), read after every
allocation through a counting allocator installed for that one pass, so buffers freed inside the
forward count. Neither includes the CUDA context, cuBLAS workspaces or memory cached but unused.

Parity: every runner encodes a fixed probe batch (4 padded sequences of 7 to 64 tokens) and
saves the real tokens' last_hidden_state (float32, host) to the workdir; the parent prints each
one's max abs difference to transformers-eager float32.

``--device cpu --tiny`` is a dry run of the whole flow without a GPU: xlmr_np on NumPy, torch on
the CPU, float32 only, a tiny model and small workloads (tests/test_gpu_benchmark.py runs it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu import BASE, BATCH, PROBE_LENGTHS, pad, save_random_checkpoint, sentence_lengths  # benchmarks/cpu.py
from cpu import probe_batch as probe_sequences

TINY = dict(BASE, vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=37, max_position_embeddings=600)
WORKLOADS = [(32, 128), (8, 512)]  # (batch, sequence)
TINY_WORKLOADS = [(4, 32), (2, 128)]
SENTENCES, TINY_SENTENCES = 1000, 96  # the sorted workload: sentences of real-text lengths
RUNNERS = ["xlmr_np", "xlmr_np-packed", "transformers-eager", "transformers-sdpa"]
PRECISIONS = ["float32", "tf32", "float16"]
REFERENCE = ("transformers-eager", "float32")
WARMUP = 3  # untimed passes per workload (CuPy compiles its kernels on the first)
MIN_REPEATS = 3
MIB = 2 ** 20
RESULT = "RESULT "  # starts the child's JSON lines, apart from anything a library prints


# -------------------------------------------------------------------------- the inputs


def fixed_batch(batch: int, seq: int, vocab_size: int):
    """(ids, mask), both (batch, seq) int64: random ids between <s> and </s>, all attended."""
    rng = np.random.default_rng(seq)
    ids = rng.integers(5, vocab_size, size=(batch, seq))
    ids[:, 0], ids[:, -1] = 0, 2
    return ids, np.ones_like(ids)


def sorted_batches(count: int, vocab_size: int):
    """[(ids, mask), ...]: ``count`` sentences of benchmarks/cpu.py's lengths (6-256 tokens),
    sorted by length and cut into batches of 32, each padded to its longest with id 1."""
    rng = np.random.default_rng(1)
    sentences = []
    for length in sorted(sentence_lengths(count)):
        ids = rng.integers(5, vocab_size, size=length)
        ids[0], ids[-1] = 0, 2
        sentences.append(ids)
    return [pad(sentences[i:i + BATCH]) for i in range(0, len(sentences), BATCH)]


def probe_batch(vocab_size: int):
    """(ids, mask), both (4, 64) int64: benchmarks/cpu.py's probe sequences padded with id 1."""
    return pad(probe_sequences(vocab_size))


# -------------------------------------------------------------------------- the runners


class Unsupported(Exception):
    """The library refuses this runner (transformers 4.39.3 has no sdpa for XLM-R)."""


@dataclasses.dataclass
class Runner:
    forward: Callable  # (ids, mask) on the device -> last_hidden_state on the device
    to_device: Callable  # int64 host array -> device array
    to_host: Callable  # device hidden state -> float32 NumPy array: (batch, seq, hidden), or
    # (real tokens, hidden) for the packed runner, whose output holds real tokens only
    sync: Callable  # waits for the device to finish
    peak_bytes: Callable  # (a call) -> most bytes allocated during it, or None off the GPU
    load_s: float


def load_xlmr_np(checkpoint: str, device: str, precision: str, packed: bool = False) -> Runner:
    start = time.perf_counter()
    import xlmr_np
    from xlmr_np import backend

    model = xlmr_np.XLMRobertaModel.from_pretrained(checkpoint)
    sync, peak_bytes = (lambda: None), (lambda call: None)
    if device == "cuda":
        import cupy

        model.to("cupy", dtype="float16" if precision == "float16" else "float32")
        sync, peak_bytes = cupy.cuda.Device().synchronize, cupy_peak_bytes
    load_s = time.perf_counter() - start
    to_device = lambda array: backend.to_backend(array, model.backend)  # noqa: E731
    if packed:  # a list of (real length, hidden) arrays, in input order
        return Runner(forward=lambda ids, mask: model.encode_batch(ids, attention_mask=mask).last_hidden_state,
                      to_device=to_device,
                      to_host=lambda rows: np.concatenate([backend.to_numpy(row) for row in rows]).astype(np.float32),
                      sync=sync, peak_bytes=peak_bytes, load_s=load_s)
    return Runner(forward=lambda ids, mask: model(ids, attention_mask=mask).last_hidden_state,
                  to_device=to_device,
                  to_host=lambda hidden: backend.to_numpy(hidden).astype(np.float32),
                  sync=sync, peak_bytes=peak_bytes, load_s=load_s)


def cupy_peak_bytes(call) -> int:
    """Most bytes in use in CuPy's default memory pool during ``call()``, read after each allocation."""
    import cupy

    pool = cupy.get_default_memory_pool()
    peak = pool.used_bytes()

    def counting_malloc(size):
        nonlocal peak
        memory = pool.malloc(size)
        peak = max(peak, pool.used_bytes())
        return memory

    with cupy.cuda.using_allocator(counting_malloc):
        call()
        cupy.cuda.Device().synchronize()
    return peak


def load_transformers(checkpoint: str, device: str, precision: str, implementation: str) -> Runner:
    start = time.perf_counter()
    import torch
    from transformers import XLMRobertaModel

    try:
        model = XLMRobertaModel.from_pretrained(checkpoint, attn_implementation=implementation)
    except ValueError as error:  # e.g. "XLMRobertaModel does not support ... scaled_dot_product_attention"
        raise Unsupported(f"{type(error).__name__}: {error}") from None
    sync, peak_bytes = (lambda: None), (lambda call: None)
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        model = model.to("cuda")
        sync, peak_bytes = torch.cuda.synchronize, torch_peak_bytes
    if precision == "float16":
        model = model.half()
    model.eval()
    load_s = time.perf_counter() - start

    def forward(ids, mask):
        with torch.inference_mode():
            return model(ids, attention_mask=mask).last_hidden_state

    return Runner(forward=forward,
                  to_device=lambda array: torch.from_numpy(array).to(device),
                  to_host=lambda hidden: hidden.float().cpu().numpy(),
                  sync=sync, peak_bytes=peak_bytes, load_s=load_s)


def torch_peak_bytes(call) -> int:
    import torch

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    call()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()


def load_runner(name: str, checkpoint: str, device: str, precision: str) -> Runner:
    if name in ("xlmr_np", "xlmr_np-packed"):
        return load_xlmr_np(checkpoint, device, precision, packed=name == "xlmr_np-packed")
    if name.startswith("transformers-"):
        return load_transformers(checkpoint, device, precision, name.split("-", 1)[1])
    raise SystemExit(f"unknown runner {name}")


# -------------------------------------------------------------------------- one child process


def time_workload(runner: Runner, ids, mask, min_seconds: float) -> float:
    """Median seconds of one forward pass on device inputs, after WARMUP passes."""
    for _ in range(WARMUP):
        runner.forward(ids, mask)
    runner.sync()
    times, started = [], time.perf_counter()
    while len(times) < MIN_REPEATS or time.perf_counter() - started < min_seconds:
        start = time.perf_counter()
        runner.forward(ids, mask)
        runner.sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_batches(runner: Runner, batches, min_seconds: float) -> float:
    """Median seconds of one pass over every (ids, mask) batch (device inputs), one
    synchronisation per pass, after a warm-up pass."""
    def one_pass():
        for ids, mask in batches:
            runner.forward(ids, mask)
        runner.sync()

    one_pass()
    times, started = [], time.perf_counter()
    while len(times) < MIN_REPEATS or time.perf_counter() - started < min_seconds:
        start = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def probe_path(workdir: str, name: str, precision: str) -> str:
    return os.path.join(workdir, f"probe-{name}-{precision}.npy")


def run_one(args):
    """Child process: one runner at one precision. Prints its result so far as one JSON line
    after every step, so a crash or a timeout still leaves what was measured."""
    result = {"runner": args.run, "precision": args.precision, "status": "ok", "workloads": {}}

    def emit():
        print(RESULT + json.dumps(result), flush=True)

    config = TINY if args.tiny else BASE
    try:
        runner = load_runner(args.run, checkpoint_dir(args), args.device, args.precision)
    except Unsupported as error:
        result.update(status="unsupported", error=str(error)[:400])
        return emit()
    except Exception:  # noqa: BLE001 - any failure becomes this runner's row, the others still run
        result.update(status="error", error=traceback.format_exc()[-800:])
        return emit()
    result["load_s"] = runner.load_s
    emit()
    try:
        ids, mask = probe_batch(config["vocab_size"])
        hidden = runner.to_host(runner.forward(runner.to_device(ids), runner.to_device(mask)))
        real = hidden if hidden.ndim == 2 else hidden[mask.astype(bool)]  # (real tokens, hidden)
        np.save(probe_path(args.workdir, args.run, args.precision), real)
        emit()
        for batch, seq in TINY_WORKLOADS if args.tiny else WORKLOADS:
            host_ids, host_mask = fixed_batch(batch, seq, config["vocab_size"])
            ids, mask = runner.to_device(host_ids), runner.to_device(host_mask)
            seconds = time_workload(runner, ids, mask, args.min_seconds)
            peak = runner.peak_bytes(lambda ids=ids, mask=mask: runner.forward(ids, mask))
            result["workloads"][f"{batch}x{seq}"] = {
                "tokens_per_s": batch * seq / seconds, "peak_mib": None if peak is None else peak / MIB}
            emit()
        count = TINY_SENTENCES if args.tiny else SENTENCES
        host_batches = sorted_batches(count, config["vocab_size"])
        batches = [(runner.to_device(ids), runner.to_device(mask)) for ids, mask in host_batches]
        seconds = time_batches(runner, batches, args.min_seconds)
        peak = runner.peak_bytes(lambda: [runner.forward(ids, mask) for ids, mask in batches])
        real_tokens = sum(int(mask.sum()) for _, mask in host_batches)
        result["workloads"][f"sorted-{count}"] = {
            "tokens_per_s": real_tokens / seconds, "peak_mib": None if peak is None else peak / MIB}
        emit()
    except Exception:  # noqa: BLE001 - keep what was measured, report the rest as an error
        result.update(status="error", error=traceback.format_exc()[-800:])
        emit()


# -------------------------------------------------------------------------- the driver


def checkpoint_dir(args) -> str:
    return os.path.join(args.workdir, "tiny" if args.tiny else "base")


def build_checkpoint(args):
    """The checkpoint of benchmarks/cpu.py (transformers, seed 0, safetensors), built once."""
    save_random_checkpoint(checkpoint_dir(args), TINY if args.tiny else BASE)


def check_environment(device: str) -> str:
    """One line naming the device and library versions; exits with one line if the GPU is unusable."""
    try:
        import xlmr_np
        from xlmr_np import backend
    except ImportError as error:
        raise SystemExit(f"cannot import xlmr_np ({error}): pip install -e . from the repository root")
    try:
        import torch
        import transformers
    except ImportError as error:
        raise SystemExit(f"the peers are missing ({error}): pip install -e \".[bench]\"")
    versions = (f"xlmr_np {xlmr_np.__version__}, torch {torch.__version__}, "
                f"transformers {transformers.__version__}")
    if device == "cpu":
        return f"device: CPU (dry run); {versions}"
    try:
        cupy = backend.get_xp("cupy")
    except RuntimeError as error:
        raise SystemExit(str(error))
    if not torch.cuda.is_available():
        raise SystemExit(f"torch {torch.__version__} sees no CUDA GPU (a CPU-only build?)")
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    name = name.decode() if isinstance(name, bytes) else name
    return (f"device: {name}; cupy {cupy.__version__}, CUDA runtime "
            f"{cupy.cuda.runtime.runtimeGetVersion()}; {versions} (CUDA {torch.version.cuda})")


def run_child(args, runner: str, precision: str) -> dict:
    """Run one runner at one precision in a fresh process; its last JSON line, or an error."""
    path = probe_path(args.workdir, runner, precision)
    if os.path.exists(path):
        os.remove(path)  # a stale probe from an earlier run must not stand in for this one
    environment = dict(os.environ)
    environment.pop("CUPY_TF32", None)
    if precision == "tf32":
        environment["CUPY_TF32"] = "1"  # read by CuPy on its first float32 matmul
    command = [sys.executable, os.path.abspath(__file__), "--run", runner, "--precision", precision,
               "--device", args.device, "--workdir", args.workdir, "--min-seconds", str(args.min_seconds)]
    if args.tiny:
        command.append("--tiny")
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True,
                              timeout=args.timeout, check=False)
        stdout, failure = done.stdout, f"exit code {done.returncode}: {done.stderr[-600:]}"
    except subprocess.TimeoutExpired as expired:
        stdout, failure = expired.stdout or "", f"timed out after {args.timeout} s"
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
    lines = [line[len(RESULT):] for line in stdout.splitlines() if line.startswith(RESULT)]
    result = json.loads(lines[-1]) if lines else {"runner": runner, "precision": precision, "workloads": {}}
    if not lines or (result.get("status") == "ok" and done_early(args, result)):
        result.update(status="error", error=failure)
    return result


def done_early(args, result) -> bool:
    """True if the child stopped before timing every workload (crash or timeout)."""
    return len(result["workloads"]) < len(TINY_WORKLOADS if args.tiny else WORKLOADS) + 1  # + sorted


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=os.path.join(os.path.expanduser("~"), ".cache", "xlmr_np_bench_gpu"))
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--tiny", action="store_true", help="hidden 32, 2 layers, vocab 100; small workloads")
    parser.add_argument("--min-seconds", type=float, default=2.0, help="timed seconds per workload, at least")
    parser.add_argument("--runners", default=",".join(RUNNERS))
    parser.add_argument("--precisions", help=f"default: {','.join(PRECISIONS)} on cuda, float32 on cpu")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed to each child process")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--precision", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        return run_one(args)
    precisions = (args.precisions or (",".join(PRECISIONS) if args.device == "cuda" else "float32")).split(",")
    if unknown := set(precisions) - set(PRECISIONS):
        parser.error(f"unknown precisions {sorted(unknown)}; known: {', '.join(PRECISIONS)}")
    if args.device == "cpu" and precisions != ["float32"]:
        parser.error("--device cpu runs float32 only")

    header = check_environment(args.device)
    os.makedirs(args.workdir, exist_ok=True)
    build_checkpoint(args)
    results = []
    for runner in args.runners.split(","):
        for precision in precisions:
            refused = next((r for r in results if r["runner"] == runner and r["status"] == "unsupported"), None)
            result = dict(refused, precision=precision) if refused else run_child(args, runner, precision)
            print(f"# {runner} {precision}: {json.dumps(result)}", flush=True)
            results.append(result)
    report(args, header, precisions, results)


# -------------------------------------------------------------------------- the report


def report(args, header: str, precisions, results):
    config = TINY if args.tiny else BASE
    print(f"\n{header}")
    print(f"model: hidden {config['hidden_size']}, {config['num_hidden_layers']} layers, "
          f"{config['num_attention_heads']} heads, vocab {config['vocab_size']}, random weights; "
          f"median of passes over >= {args.min_seconds} s per workload")
    print("float32: no TF32; tf32: float32 with TF32 matmuls (torch allow_tf32, CUPY_TF32=1); "
          "peak MiB: most bytes allocated during one pass (torch max_memory_allocated, "
          "CuPy pool used_bytes)\n")
    print("| runner | precision | workload | tokens/s | peak MiB |")
    print("|---|---|---|---|---|")
    for result in results:
        for workload, numbers in result["workloads"].items():
            peak = "n/a" if numbers["peak_mib"] is None else f"{numbers['peak_mib']:,.0f}"
            print(f"| {result['runner']} | {result['precision']} | {workload} | "
                  f"{numbers['tokens_per_s']:,.0f} | {peak} |")
        if result["status"] != "ok":
            print(f"| {result['runner']} | {result['precision']} | - | {result['status']} | - |")
    for result in results:
        if result["status"] != "ok":
            print(f"\n{result['runner']} {result['precision']}: {result['status']} ({result['error']})")
    print()
    print_parity(args, results)
    print_ratio(args, precisions, results)


def print_parity(args, results):
    reference = probe_path(args.workdir, *REFERENCE)
    if not os.path.exists(reference):
        print(f"probe: no {' '.join(REFERENCE)} result to compare with")
        return
    expected = np.load(reference)  # (real tokens, hidden)
    print(f"probe: {expected.shape[0]} real tokens in {len(PROBE_LENGTHS)} padded sequences")
    for result in results:
        path = probe_path(args.workdir, result["runner"], result["precision"])
        if (result["runner"], result["precision"]) != REFERENCE and os.path.exists(path):
            difference = float(np.max(np.abs(np.load(path) - expected)))
            name = f"{result['runner']} {result['precision']}"
            print(f"probe max |{name} - {' '.join(REFERENCE)}| = {difference:.2e}")


def print_ratio(args, precisions, results):
    """xlmr_np / transformers (sdpa, else eager) on the first fixed workload and on the sorted
    one, at float16 (float32 on cpu)."""
    precision = "float16" if "float16" in precisions else precisions[0]
    batch, seq = (TINY_WORKLOADS if args.tiny else WORKLOADS)[0]

    def speed(runner, workload):
        found = [r["workloads"].get(workload) for r in results
                 if r["runner"] == runner and r["precision"] == precision]
        return found[0]["tokens_per_s"] if found and found[0] else None

    print()
    for workload, target in ((f"{batch}x{seq}", " (the issue's target, at float16 on 32x128 on a GPU: >= 0.8)"),
                             (f"sorted-{TINY_SENTENCES if args.tiny else SENTENCES}", "")):
        peer = "transformers-sdpa" if speed("transformers-sdpa", workload) else "transformers-eager"
        for ours in ("xlmr_np", "xlmr_np-packed"):
            if speed(ours, workload) and speed(peer, workload):
                print(f"{ours} / {peer} at {precision} on {workload}: "
                      f"{speed(ours, workload) / speed(peer, workload):.2f}{target}")
            else:
                print(f"{ours} / {peer} at {precision} on {workload}: not available (a runner did not finish)")


if __name__ == "__main__":
    main()
