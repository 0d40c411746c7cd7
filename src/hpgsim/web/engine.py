"""Calls into the numerical engine from the web server's threads.

The compiled kernels run in parallel over men with numba.  Numba's OpenMP and TBB threading layers
accept parallel launches from several threads at once; its fallback "workqueue" layer does not
(it aborts the process), so where that is the layer in use (or none is known yet) calls are
serialised with one lock.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

__all__ = ["engine_slot"]

_LOCK = threading.Lock()
_SAFE_LAYERS = ("omp", "tbb")


def _threadsafe() -> bool:
    try:
        import numba

        return numba.threading_layer() in _SAFE_LAYERS
    except Exception:  # noqa: BLE001 - no parallel function has run yet, or numba is missing
        return False


@contextlib.contextmanager
def engine_slot() -> Iterator[None]:
    """Hold while calling the engine: a no-op under a thread-safe layer, one call at a time otherwise."""
    if _threadsafe():
        yield
        return
    with _LOCK:
        yield
