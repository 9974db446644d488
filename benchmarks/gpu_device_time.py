"""Device time of the fast path's encoder layers on CuPy, without the host's launch overhead.

    python benchmarks/gpu_device_time.py [--dtypes float16,float32] [--batch 32] [--length 128]
                                         [--layers 12] [--varied]

On a GPU the fast path is bound either by the host (Python and CuPy spending 5-30 us per kernel
launch) or by the device (the kernels themselves). Wall time shows only the larger of the two.
This script separates them: it captures the encoder layers (``packed.encoder_layer``, base-size
widths, random weights) into a CUDA graph and replays it, which runs the same kernels with no
host work between them. Printed per dtype, for one layer and for all ``--layers``:

  device   graph replay, timed with CUDA events (median of 5 replays of 10 captured calls)
  eager    the same calls run normally, wall time to a device synchronisation (median of 20)

and the whole ``encode_batch`` call from ids and a mask. ``--varied`` draws ``--batch`` sorted
lengths from 6 to ``--length`` (the padded attention with its mask) instead of one length.

CuPy's cuBLAS bindings refuse to run during a stream capture, so while this script captures, the
fast path's products (``backend.cublas_batched_matmul``) make the same cuBLAS calls through
``ctypes`` from the libcublas CuPy loaded (its ``library`` argument), with a workspace set on the
handle first (cuBLAS must not allocate during a capture). The replayed
graph's output is compared with the eager output (printed max difference; both 0.0 on an H100).
docs/benchmarks.md (run 7) quotes results. Needs CuPy and an NVIDIA GPU (Linux).
"""
import argparse
import ctypes
import functools
import time
import types

import cupy
import numpy as np

import xlmr_np
from xlmr_np import backend
from xlmr_np.fast import packed

BASE = dict(hidden_size=768, num_attention_heads=12, intermediate_size=3072, max_position_embeddings=514,
            type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, vocab_size=1000)


def ctypes_cublas():
    """The two cuBLAS functions ``backend.cublas_batched_matmul`` calls, through ctypes from the
    libcublas CuPy loaded (usable during a stream capture), with a workspace set on CuPy's handle."""
    with open("/proc/self/maps") as maps:
        path = next(line.split()[-1] for line in maps if "/libcublas.so" in line)
    library = ctypes.CDLL(path)
    pointer, integer, long_long = ctypes.c_void_p, ctypes.c_int, ctypes.c_longlong
    gemm = library.cublasGemmStridedBatchedEx
    gemm.restype = integer
    gemm.argtypes = [pointer, integer, integer, integer, integer, integer, pointer,
                     pointer, integer, integer, long_long, pointer, integer, integer, long_long,
                     pointer, pointer, integer, integer, long_long, integer, integer, integer]
    set_stream = library.cublasSetStream_v2
    set_stream.restype, set_stream.argtypes = integer, [pointer, pointer]
    set_workspace = library.cublasSetWorkspace_v2
    set_workspace.restype, set_workspace.argtypes = integer, [pointer, pointer, ctypes.c_size_t]

    def checked(function):
        def call(*arguments):
            status = function(*arguments)
            if status != 0:
                raise RuntimeError(f"{function.__name__} returned cuBLAS status {status}")
        return call

    workspace = cupy.empty(32 << 20, dtype=cupy.uint8)
    checked(set_workspace)(cupy.cuda.device.get_cublas_handle(), workspace.data.ptr, workspace.nbytes)
    return types.SimpleNamespace(setStream=checked(set_stream), gemmStridedBatchedEx=checked(gemm),
                                 workspace=workspace)  # the workspace kept alive with the functions


def device_ms(fn, reference, calls=10, replays=5):
    """(device time of one ``fn()`` in ms, max difference of its output to ``reference``): ``calls``
    of them captured in a CUDA graph, replayed. The graph's buffers come from a pool of its own,
    compared before the pool goes."""
    pool, stream = cupy.cuda.MemoryPool(), cupy.cuda.Stream(non_blocking=True)
    with cupy.cuda.using_allocator(pool.malloc), stream:
        fn()
        stream.synchronize()
        stream.begin_capture()
        for _ in range(calls):
            result = fn()
        graph = stream.end_capture()
        times = []
        for _ in range(replays):
            start, end = cupy.cuda.Event(), cupy.cuda.Event()
            start.record(stream)
            graph.launch(stream)
            end.record(stream)
            end.synchronize()
            times.append(cupy.cuda.get_elapsed_time(start, end) / calls)
        difference = float(cupy.abs(result.astype(cupy.float32) - reference).max())
        stream.synchronize()
    return float(np.median(times)), difference


def wall_ms(fn, repeats=20):
    for _ in range(3):
        fn()
    cupy.cuda.Device().synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        cupy.cuda.Device().synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="float16,float32")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--varied", action="store_true", help="sorted lengths from 6 to --length")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    lengths = (sorted(int(n) for n in rng.integers(6, args.length + 1, size=args.batch)) if args.varied
               else [args.length] * args.batch)
    ids = np.ones((args.batch, max(lengths)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(3, BASE["vocab_size"], size=length)
        mask[row, :length] = 1
    print(f"{cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}; {args.batch} sequences, "
          f"{sum(lengths)} tokens, {len(set(lengths))} length(s); {args.layers} layers of base widths", flush=True)
    eager_matmul = backend.cublas_batched_matmul
    graph_matmul = functools.partial(eager_matmul, library=ctypes_cublas())
    for dtype in args.dtypes.split(","):
        config = xlmr_np.XLMRobertaConfig(num_hidden_layers=args.layers, **BASE)
        model = xlmr_np.XLMRobertaModel(config, seed=0).to("cupy", dtype=dtype)
        device_ids, device_mask = cupy.asarray(ids), cupy.asarray(mask)
        batch = packed.pack_rows(device_ids[device_mask != 0], lengths)
        fused = packed.fused_layer_weights(model)
        hidden = packed.embed(model, batch, False).astype(model.dtype, copy=False)

        def one_layer():
            return packed.encoder_layer(model.encoder.layer[0], fused[0], hidden, batch, config.is_decoder)

        def all_layers():
            state = hidden
            for layer, fused_qkv in zip(model.encoder.layer, fused):
                state = packed.encoder_layer(layer, fused_qkv, state, batch, config.is_decoder)
            return state

        eager_one, eager_all = one_layer().astype(cupy.float32), all_layers().astype(cupy.float32)
        backend.cublas_batched_matmul = graph_matmul
        try:
            one_device, one_difference = device_ms(one_layer, eager_one)
            all_device, all_difference = device_ms(all_layers, eager_all, calls=2)
        finally:
            backend.cublas_batched_matmul = eager_matmul
        difference = max(one_difference, all_difference)
        print(f"{dtype}: one layer device {one_device:.3f} ms, eager {wall_ms(one_layer):.3f} ms | "
              f"{args.layers} layers device {all_device:.3f} ms, eager {wall_ms(all_layers):.3f} ms | "
              f"encode_batch {wall_ms(lambda: model.encode_batch(device_ids, attention_mask=device_mask)):.3f} ms | "
              f"graph vs eager max difference {difference:.1e}", flush=True)


if __name__ == "__main__":
    main()
