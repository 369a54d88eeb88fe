"""``np.dot`` of two long vectors, as OpenBLAS computes it with its threads, on the calling thread.

OpenBLAS splits a dot product of more than 10,000 elements among its threads (kernel/x86_64/ddot.c:
the vector cut into as many near-equal parts as it has threads, the first parts the longer, each
part's product by the one-thread kernel, the parts' results added in order to 0.0). Waking those
threads costs little on an idle machine but milliseconds on a busy one (a median of ~10 ms, up to
~35 ms, measured on 2 cores at a load of 3-4) for a product that takes ~60 µs on one thread. So
:func:`dot` does the same split on the calling thread, OpenBLAS held to one thread while it runs:
the same additions in the same order, bit for bit (the split's result depends on the number of
threads, which is why it is kept rather than replaced by one product).

Used only where numpy's BLAS is OpenBLAS and a check on a few lengths gives ``np.dot``'s bits;
elsewhere :func:`dot` is ``np.dot``.
"""

from __future__ import annotations

import os

import numpy as np

SPLIT_ABOVE = 10_000  # OpenBLAS's ddot runs on one thread up to this many elements

_checked: tuple | None = None  # (threadpoolctl's controller of OpenBLAS, its thread count) once
# checked, or (None, 0) where dot is np.dot


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``np.dot(a, b)`` of two float64 vectors, bit for bit, without waking OpenBLAS's threads."""
    blas, threads = _openblas()
    if blas is None or len(a) <= SPLIT_ABOVE or blas.lib_controllers[0].num_threads != threads:
        return np.dot(a, b)  # the split is checked for the thread count it was checked with only
    with blas.limit(limits=1):
        return _split(a, b, threads)


def _split(a: np.ndarray, b: np.ndarray, threads: int) -> float:
    """OpenBLAS's threaded ddot (driver/others/blas_l1_thread.c's split), each part on this thread."""
    total, start, left, rest = 0.0, 0, threads, len(a)
    while rest > 0:
        width = (rest + left - 1) // left
        rest -= width
        total = total + np.dot(a[start:start + width], b[start:start + width])
        start, left = start + width, left - 1
    return total


def _openblas() -> tuple:
    """numpy's OpenBLAS and its thread count, if the split gives ``np.dot``'s bits here; else (None, 0)."""
    global _checked
    if _checked is None:
        _checked = (None, 0)
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        numpys = [lib.filepath for lib in controller.select(internal_api="openblas").lib_controllers
                  if lib.filepath.startswith(os.path.dirname(np.__file__))]  # scipy has an OpenBLAS of its own
        if len(numpys) == 1:
            blas = controller.select(filepath=numpys[0])
            threads = blas.lib_controllers[0].num_threads
            if threads > 1 and _agrees(blas, threads):
                _checked = (blas, threads)
    return _checked


def _agrees(blas, threads: int) -> bool:
    """The split equals ``np.dot`` on lengths around OpenBLAS's threshold and above (a BLAS version
    or kernel that splits otherwise is caught here, and then np.dot is used)."""
    rng = np.random.default_rng(20_240_601)
    for n in (SPLIT_ABOVE + 1, 20_011, 65_537, 300_007):
        a, b = rng.lognormal(0, 3, n), rng.normal(0, 1, n)
        with blas.limit(limits=1):
            split = _split(a, b, threads)
        if split != np.dot(a, b):
            return False
    return True
