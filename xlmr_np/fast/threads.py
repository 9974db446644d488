"""Running the fast path's work on all cores.

NumPy's elementwise functions run on one core, and with the BLAS limited to one thread
(``fast/blas.py``) so do matmuls. All of them release the GIL, so work split into independent
pieces - groups of whole sequences run through every layer, or, within one layer, shares of its
heads and feed-forward columns, or slices of rows of a (tokens, features) matrix - runs in
parallel on a small thread pool (``XLMR_NP_NUM_THREADS``, default: the cores this process
may use). Pieces are handed out as threads finish, so uneven pieces still balance.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor

_POOL, _POOL_PID = None, None


def num_threads() -> int:
    """Threads for the fast path: ``XLMR_NP_NUM_THREADS``, else the cores this process may use."""
    configured = os.environ.get("XLMR_NP_NUM_THREADS")
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"XLMR_NP_NUM_THREADS must be a whole number of threads, got {configured!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _pool():
    """The thread pool, made on first use, and again in a child process forked after that: a
    fork copies the pool but not its threads, and work handed to it would wait forever."""
    global _POOL, _POOL_PID
    if _POOL is None or _POOL_PID != os.getpid():
        _POOL, _POOL_PID = ThreadPoolExecutor(max_workers=num_threads(), thread_name_prefix="xlmr_np"), os.getpid()
    return _POOL


def for_each(function, items, parallel: bool = True):
    """Call ``function(item)`` for every item, on up to ``num_threads()`` threads at once.

    Each thread takes the next item when it finishes one; put the biggest items first. With
    ``parallel=False`` (a GPU, where one kernel already fills the device) or a single item, the
    calling thread does all of them in order.
    """
    items = list(items)
    threads = min(num_threads() if parallel else 1, len(items))
    if threads <= 1:
        for item in items:
            function(item)
        return
    taken = itertools.count()  # next() on a count is atomic under the GIL

    def work():
        for index in iter(lambda: next(taken), None):
            if index >= len(items):
                return
            function(items[index])

    futures = [_pool().submit(work) for _ in range(threads - 1)]
    work()
    for future in futures:
        future.result()


def for_row_slices(function, rows: int, parallel: bool = True):
    """Call ``function(start, stop)`` on one slice of ``range(rows)`` per thread, of equal size;
    with ``parallel=False`` once, on all rows."""
    step = max(1, -(-rows // (num_threads() if parallel else 1)))  # ceil
    for_each(lambda start: function(start, min(start + step, rows)), range(0, rows, step), parallel)
