#!/usr/bin/env bash
# The GPU checks in one go, for a machine with an NVIDIA GPU and CuPy (the device machine's image
# has CuPy, torch, transformers, pytest and hypothesis, not necessarily this project's pins).
#
#     bash scripts/gpu_check.sh            # from the repository root; logs go to $OUT (or /tmp)
#
# 0. if .whl/ holds wheels (transformers==4.39.3 and the tokenizers / huggingface_hub it needs),
#    they are installed to /tmp/site and the tests import them first: the tests' reference is
#    then the pinned transformers, as in CI; the benchmark uses the machine's own transformers
#    (whose XLM-R has the sdpa attention that 4.39.3 lacks);
# 1. the backend tests (tests/test_backends.py, tests/test_backend.py) and the reference-parity
#    tests on CuPy (tests/test_backend_parity.py): CuPy against NumPy, and CuPy against the
#    PyTorch reference on the CPU, float32 and float16, plain and packed, every head, generation;
#    the fused CuPy kernels against float64, the packed path on CuPy against the plain path
#    (tests/test_packed.py), the CLI on --backend cupy; then tutorial 09's GPU cells;
# 2. benchmarks/gpu.py: xlmr_np on CuPy against transformers eager/sdpa on CUDA (tokens/s, peak
#    GPU memory, parity probe), its table last;
# 3. benchmarks/gpu_ops.py: device time of each step of one float16 encoder layer, plain and fused;
# 4. benchmarks/gpu_device_time.py: the fast path's layers replayed from a CUDA graph (device time
#    without launch overhead) against eager, one length and sorted lengths.
set -u
export PYTHONUNBUFFERED=1
logs="${OUT:-/tmp/xlmr_np_gpu_check}"
mkdir -p "$logs"
test_path="$PWD"
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && test_path="/tmp/site:$PWD"
fi
PYTHONPATH="$PWD" python3 - <<'PY' || exit 1
from xlmr_np import backend
if not backend.cupy_available():
    raise SystemExit("gpu_check: CuPy with a usable NVIDIA GPU is not available here")
import cupy, numpy, torch, transformers
print("cupy", cupy.__version__, "| numpy", numpy.__version__, "| torch", torch.__version__,
      "| transformers", transformers.__version__, "|", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
PY
PYTHONPATH="$test_path" python3 -c "import transformers; print('tests use transformers', transformers.__version__)"
parallel=$(python3 -c "import xdist" 2>/dev/null && echo "-n 8")  # pytest-xdist, where installed
PYTHONPATH="$test_path" timeout "${GPU_CHECK_TEST_TIMEOUT:-240}" python3 -m pytest -q -p no:cacheprovider -rs $parallel \
    tests/test_backends.py tests/test_backend.py tests/test_backend_parity.py tests/test_fast_kernels.py \
    tests/test_packed.py tests/test_cli.py::test_fill_mask_on_cupy_matches_numpy > "$logs/pytest_backends.txt" 2>&1
echo "pytest exit $? (log: $logs/pytest_backends.txt)"; grep -E "passed|failed|Error|error" "$logs/pytest_backends.txt" | tail -n 30
PYTHONPATH="$PWD" timeout 120 python3 tutorials/09_gpu.py > "$logs/tutorial_09.txt" 2>&1
echo "tutorial 09 exit $? (log: $logs/tutorial_09.txt)"; grep -E "^(on |GPU|forward|float16|skipped)" "$logs/tutorial_09.txt"
PYTHONPATH="$PWD" timeout "${GPU_CHECK_BENCH_TIMEOUT:-330}" python3 benchmarks/gpu.py --workdir /tmp/xlmr_np_bench_gpu \
    --timeout 120 --min-seconds 1 > "$logs/gpu_bench.txt" 2>&1
echo "benchmark exit $? (log: $logs/gpu_bench.txt)"; tail -n 30 "$logs/gpu_bench.txt"
PYTHONPATH="$PWD" timeout "${GPU_CHECK_OPS_TIMEOUT:-120}" python3 benchmarks/gpu_ops.py float16 > "$logs/gpu_ops.txt" 2>&1
echo "per-step times exit $? (log: $logs/gpu_ops.txt)"; grep -v '^\[\[' "$logs/gpu_ops.txt"
for form in "" "--varied"; do
    PYTHONPATH="$PWD" timeout "${GPU_CHECK_DEVICE_TIME_TIMEOUT:-90}" python3 benchmarks/gpu_device_time.py $form >> "$logs/gpu_device_time.txt" 2>&1
    echo "device time ${form:-one length} exit $? (log: $logs/gpu_device_time.txt)"
done
grep -v "^ " "$logs/gpu_device_time.txt" | tail -n 8
