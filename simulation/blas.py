"""Long dot products as OpenBLAS computes them on two threads, on the calling thread, whatever
the number of threads OpenBLAS has here.

OpenBLAS splits a dot product of more than 10,000 elements among its threads (kernel/x86_64/ddot.c:
the vector cut into as many near-equal parts as it has threads, the first parts the longer, each
part's product by the one-thread kernel, the parts' results added in order to 0.0). Two things
follow for ``np.dot``:

- its last bits depend on the thread count: a Ningbo-sized replication (growth's trend) gave other
  numbers in 16 of 308 indicators with ``OPENBLAS_NUM_THREADS=1``, which is what Dask's workers
  set, than with the two threads of the 2-core machine that recorded the regression fixtures;
- waking the threads costs little on an idle machine but milliseconds on a busy one (a median of
  ~10 ms, up to ~35 ms, on 2 cores at a load of 3-4) for a product that takes ~60 µs on one thread.

So :func:`dot` does the two-thread split itself, on the calling thread, OpenBLAS held to one thread
meanwhile: the fixtures' numbers, in serial, process and Dask runs and on machines with other core
counts alike. Used where numpy's BLAS is OpenBLAS and a check once per process gives OpenBLAS's own
two-thread bits; elsewhere :func:`dot` is ``np.dot``.
"""

from __future__ import annotations

import os
import threading

import numpy as np

SPLIT_ABOVE = 10_000  # OpenBLAS's ddot runs on one thread up to this many elements
PARTS = 2  # the split of the runs the regression fixtures record (OpenBLAS on two threads)

_checked: list = []  # [threadpoolctl's controller of numpy's OpenBLAS, or None where dot is np.dot]
_one_at_a_time = threading.Lock()  # the thread limit is process-wide: threads take turns with it


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``np.dot(a, b)`` of two float64 vectors as OpenBLAS gives it on two threads."""
    blas = _openblas() if len(a) > SPLIT_ABOVE else None
    if blas is None:
        return np.dot(a, b)  # up to the threshold OpenBLAS uses one thread, whatever its count
    with _one_at_a_time, blas.limit(limits=1):
        return _split(a, b, PARTS)


def _split(a: np.ndarray, b: np.ndarray, parts: int) -> float:
    """OpenBLAS's threaded ddot (driver/others/blas_l1_thread.c's split), each part on this thread
    (OpenBLAS held to one thread by the caller)."""
    total, start, left, rest = 0.0, 0, parts, len(a)
    while rest > 0:
        width = (rest + left - 1) // left
        rest -= width
        total = total + np.dot(a[start:start + width], b[start:start + width])
        start, left = start + width, left - 1
    return total


def _openblas():
    """numpy's OpenBLAS, if the split here gives its two-thread bits; else None. Checked once."""
    if not _checked:
        from threadpoolctl import ThreadpoolController

        controller = ThreadpoolController()
        numpys = [lib.filepath for lib in controller.select(internal_api="openblas").lib_controllers
                  if lib.filepath.startswith(os.path.dirname(np.__file__))]  # scipy has an OpenBLAS of its own
        blas = controller.select(filepath=numpys[0]) if len(numpys) == 1 else None
        _checked.append(blas if blas is not None and _agrees(blas) else None)
    return _checked[0]


def _agrees(blas) -> bool:
    """The split equals OpenBLAS's own product on two threads, on lengths around its threshold and
    above (a BLAS version or kernel that splits otherwise, or an OpenBLAS that cannot run two
    threads, is caught here, and then np.dot is used)."""
    rng = np.random.default_rng(20_240_601)
    for n in (SPLIT_ABOVE + 1, 20_011, 65_537, 300_007):
        a, b = rng.lognormal(0, 3, n), rng.normal(0, 1, n)
        with blas.limit(limits=PARTS):
            if blas.lib_controllers[0].num_threads != PARTS:
                return False
            threaded = np.dot(a, b)
        with blas.limit(limits=1):
            if _split(a, b, PARTS) != threaded:
                return False
    return True
