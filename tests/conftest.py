"""Shared pytest setup: hypothesis profiles and the largest-error report.

Every comparison against the PyTorch reference goes through ``reference.assert_close``, which
records the largest absolute error per comparison kind; the summary at the end of the run
prints them, so a drift that is still inside tolerance is visible before it becomes a failure.
"""

import os

# The tests run small models: one BLAS/OpenMP thread each avoids thread start-up and, on a
# shared machine, oversubscription (a 256x64 matmul was measured 200x slower with two busy
# OpenBLAS threads). Set before numpy or torch is imported; an explicit setting wins.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter):
    from reference import LARGEST_ERRORS

    if LARGEST_ERRORS:
        terminalreporter.section("largest absolute error against the reference, per comparison")
        for name, (error, tolerance) in sorted(LARGEST_ERRORS.items()):
            terminalreporter.write_line(f"{name:50s} {error:.3e}  (tolerance {tolerance:.1e})")
