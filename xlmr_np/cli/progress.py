"""Progress bars on standard error: tqdm when installed, otherwise none."""

from __future__ import annotations

import sys


def progress(iterable, total=None, description="", enabled=True):
    """Wrap ``iterable`` in a progress bar on stderr when it is a terminal and tqdm is available."""
    if not enabled or not sys.stderr.isatty():
        return iterable
    try:
        from tqdm import tqdm  # noqa: PLC0415 - optional dependency
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=description, file=sys.stderr, leave=False)
