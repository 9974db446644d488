# %% [markdown]
# # 09 · Switching to the GPU
#
# Nothing in the model code says "NumPy". Every function asks which array library its input
# belongs to and computes with that one, so the same lines run on NumPy (CPU) and on CuPy
# (NVIDIA GPUs) — `model.to("cupy")` moves the weights and that is all. This tutorial shows the
# mechanism, then runs a model on the GPU **if there is one**: the GPU cells check
# `xlmr_np.backend.cupy_available()` and otherwise print that they were skipped and why.

# %%
import time

import numpy as np

from xlmr_np import XLMRobertaConfig, XLMRobertaModel, backend
from xlmr_np.modeling.attention import softmax
from tutorial_support import show_source

GPU = backend.cupy_available()
if GPU:
    print("CuPy sees a GPU: the GPU cells below will run.")
else:
    try:
        backend.get_xp("cupy")
    except RuntimeError as error:
        reason = str(error)
    print(f"No GPU backend here, the GPU cells below will be skipped: {reason}")

# %% [markdown]
# ## `xp`: the array namespace
#
# `backend.py` is the only module that knows NumPy from CuPy. `namespace(array)` returns the
# module that computes on `array`:

# %%
show_source(backend.namespace)
show_source(backend.backend_of)

# %% [markdown]
# Model code starts with `xp = namespace(...)` and writes `xp.exp`, `xp.matmul`, ... —
# here the softmax of tutorial 03. NumPy and CuPy share these names, so nothing else changes:

# %%
show_source(softmax)
scores = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
print(backend.namespace(scores).__name__, softmax(scores))
assert backend.namespace(scores) is np

# %% [markdown]
# `Module.to` moves every parameter with `backend.to_backend` (and can change the dtype on the
# way); inputs are moved to the model's backend when it is called.

# %%
show_source(backend.to_backend)

config = XLMRobertaConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                          intermediate_size=512, max_position_embeddings=130, type_vocab_size=1,
                          layer_norm_eps=1e-5)
model = XLMRobertaModel(config, seed=0)
rng = np.random.default_rng(0)
ids = rng.integers(3, 1000, size=(8, 128))
cpu_out = model(ids).last_hidden_state
print("on", model.backend, "->", type(cpu_out).__module__, cpu_out.shape)

# %% [markdown]
# ## On the GPU
#
# The same model, moved. Outputs are CuPy arrays on the device; `backend.to_numpy` brings them
# back. The GPU's kernels sum in a different order than the CPU's BLAS, so the two agree to
# float32 rounding, not bit for bit.

# %%
if GPU:
    model.to("cupy")
    gpu_out = model(ids).last_hidden_state                    # numpy ids are moved for us
    print("on", model.backend, "->", type(gpu_out).__module__, gpu_out.shape)
    difference = np.abs(backend.to_numpy(gpu_out) - cpu_out).max()
    print(f"GPU vs CPU, max |difference|: {difference:.1e}")
    assert difference < 1e-4
else:
    print("skipped (no GPU):", reason)

# %% [markdown]
# GPUs are fast only once there is enough work and the first call's set-up (CUDA context,
# kernel compilation) is paid; time a few calls after a warm-up, and synchronise the device
# before reading the clock, since GPU calls return before the work is done.

# %%
def best_time(run, repeat=3, sync=lambda: None):
    run()
    sync()                                                    # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


if GPU:
    import cupy

    gpu_seconds = best_time(lambda: model(ids), sync=cupy.cuda.Device().synchronize)
    model.to("numpy")
    cpu_seconds = best_time(lambda: model(ids))
    print(f"forward of 8 x 128 tokens: CPU {cpu_seconds * 1e3:.1f} ms, GPU {gpu_seconds * 1e3:.1f} ms")
else:
    print("skipped (no GPU):", reason)

# %% [markdown]
# ## float16 on the GPU
#
# Half precision halves memory and lets cuBLAS use the tensor cores. xlmr_np keeps LayerNorm statistics
# and the softmax in float32 (docs/backends.md), so the error against float32 stays around
# float16's resolution (~1e-3 relative), not worse.

# %%
if GPU:
    model.to("cupy", dtype="float16")
    half = backend.to_numpy(model(ids).last_hidden_state).astype(np.float32)
    difference = np.abs(half - cpu_out).max()
    print(f"float16 vs float32, max |difference|: {difference:.1e}")
    assert difference < 5e-2
    model.to("numpy", dtype="float32")
else:
    print("skipped (no GPU):", reason)

# %% [markdown]
# To get CuPy: `pip install "xlmr-np[gpu]"` (a CuPy build for CUDA 12) on a machine with an
# NVIDIA GPU and driver. The parity tests run on both backends where a GPU is present
# (`tests/test_backends.py`).
