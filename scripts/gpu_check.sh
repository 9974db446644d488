#!/usr/bin/env bash
# The GPU checks in one go, for a machine with an NVIDIA GPU and CuPy (the device machine's image
# has CuPy, torch, transformers, pytest and hypothesis, not necessarily this project's pins).
#
#     bash scripts/gpu_check.sh            # from the repository root; logs go to $OUT (or /tmp)
#
# 1. the backend tests (tests/test_backends.py, tests/test_backend.py): every CuPy test compares
#    the CuPy run with the NumPy run of the same weights, float32 and float16, plain and packed;
# 2. benchmarks/gpu.py: xlmr_np on CuPy against transformers eager/sdpa on CUDA (tokens/s, peak
#    GPU memory, parity probe), its table last.
set -u
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
logs="${OUT:-/tmp/xlmr_np_gpu_check}"
mkdir -p "$logs"
python3 - <<'PY' || exit 1
from xlmr_np import backend
if not backend.cupy_available():
    raise SystemExit("gpu_check: CuPy with a usable NVIDIA GPU is not available here")
import cupy, numpy, torch, transformers
print("cupy", cupy.__version__, "| numpy", numpy.__version__, "| torch", torch.__version__,
      "| transformers", transformers.__version__, "|", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
PY
python3 -m pytest -q -p no:cacheprovider -rs tests/test_backends.py tests/test_backend.py \
    > "$logs/pytest_backends.txt" 2>&1
echo "pytest exit $? (log: $logs/pytest_backends.txt)"; tail -n 25 "$logs/pytest_backends.txt"
python3 benchmarks/gpu.py --workdir /tmp/xlmr_np_bench_gpu --timeout 150 > "$logs/gpu_bench.txt" 2>&1
echo "benchmark exit $? (log: $logs/gpu_bench.txt)"; tail -n 40 "$logs/gpu_bench.txt"
