"""benchmarks/gpu.py end to end, as its CPU dry run (``--device cpu --tiny``), through a subprocess.

The GPU benchmark is run by hand on a machine with a GPU; this checks, without one, that its whole
flow works: the checkpoint build, one child process per runner, the table, and the parity probe
(xlmr_np on NumPy against transformers eager, both float32, on a tiny random model).
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PARITY = re.compile(r"^probe max \|(.+) - transformers-eager float32\| = (\S+)$", re.MULTILINE)


def test_gpu_benchmark_dry_run(tmp_path):
    pytest.importorskip("torch", reason="the benchmark's peers need the bench extra")
    pytest.importorskip("transformers", reason="the benchmark's peers need the bench extra")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--device", "cpu", "--tiny",
         "--min-seconds", "0.05", "--workdir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"

    assert "| runner | precision | workload | tokens/s | peak MiB |" in done.stdout
    for runner in ("xlmr_np", "xlmr_np-packed", "transformers-eager"):
        for workload in ("4x32", "sorted-96"):
            assert re.search(rf"^\| {runner} \| float32 \| {workload} \| [\d,]+ \| n/a \|$", done.stdout,
                             re.MULTILINE), done.stdout
    assert re.search(r"^\| transformers-sdpa \| float32 \| ", done.stdout, re.MULTILINE), done.stdout

    differences = dict(PARITY.findall(done.stdout))
    assert "xlmr_np float32" in differences, done.stdout
    for name, difference in differences.items():
        assert float(difference) < 1e-4, f"{name}: {difference}"
    assert "xlmr_np / transformers-" in done.stdout
    assert re.search(r"^xlmr_np-packed / transformers-eager at float32 on sorted-96: [\d.]+$", done.stdout, re.MULTILINE)
