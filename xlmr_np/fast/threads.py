"""Running elementwise work on all cores.

BLAS already spreads a matmul over the cores, but NumPy's elementwise functions (exp, erf, the
arithmetic of LayerNorm and GELU) run on one. They release the GIL, so splitting the rows of an
array into one slice per core and handing the slices to threads uses the other cores too.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

_POOL = None


def num_threads() -> int:
    """Threads for elementwise work: ``XLMR_NP_NUM_THREADS``, else the cores this process may use."""
    configured = os.environ.get("XLMR_NP_NUM_THREADS")
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _pool():
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=num_threads(), thread_name_prefix="xlmr_np")
    return _POOL


def for_row_slices(function, rows: int, parallel: bool = True, min_rows: int = 64):
    """Call ``function(start, stop)`` on slices covering ``range(rows)``, one per thread.

    Small inputs (fewer than ``min_rows`` rows per thread) and ``parallel=False`` (e.g. on a GPU,
    where one kernel already uses the whole device) run in the calling thread.
    """
    threads = num_threads() if parallel else 1
    threads = max(1, min(threads, rows // min_rows))
    if threads == 1:
        function(0, rows)
        return
    bounds = [rows * i // threads for i in range(threads + 1)]
    futures = [_pool().submit(function, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    function(bounds[0], bounds[1])
    for future in futures:
        future.result()
