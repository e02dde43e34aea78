"""How the compiled loops are compiled and share the cores, decided here and nowhere else.

Every loop of :mod:`cashplan.fast` is compiled by ``jit`` with the same flags:

- ``CACHE``: compiled once and kept on disk (in ``__pycache__``); editing a module
  recompiles its loops, and only them;
- ``NOGIL``: the loops release the GIL, so threads of the caller (a workbook, a
  notebook) run them side by side.

numba keys that cache on the module's file alone: a loop that calls one of another
module (``history.settled_weight``, ``calendar.civil``) keeps its compiled code when only
that other module changes. After editing ``history.py`` or ``calendar.py``, delete the
cache (``find cashplan/fast -name '*.nb[ic]' -delete``).

A loop that runs on several cores (``jit(parallel=True)``) splits its work either in
``threads()`` parts (one per core numba uses: the passes over the ledger, where each
part scans every row for its own customers) or in ``PARTS`` runs (the passes over the
open invoices and over the bucket sums, cheap enough per run that a few more runs than
cores even out their lengths). Both are passed to the loops as arguments, not read as
globals: numba freezes a global at compile time and would not see it change here.

Kernels fill arrays that numpy allocated (``zeros`` or ``np.empty``) rather than
allocating large ones themselves.

Examples
--------
A loop of the package is written ``@jit(parallel=True)`` above ``def _loop(..., parts, out)``,
and called with ``threads()`` or ``PARTS`` and an array from ``zeros``:

>>> CACHE, NOGIL, PARTS, threads() >= 1
(True, True, 8, True)
>>> zeros((2, 3)).sum(), zeros(2, dtype=np.int64).dtype
(np.float64(0.0), dtype('int64'))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numba
import numpy as np
from numba import njit

__all__ = ["CACHE", "NOGIL", "PARTS", "jit", "threads", "zeros"]

CACHE = True
NOGIL = True
PARTS = 8  # the runs of open invoices (or of their customers) the cores share


def jit(
    *, parallel: bool = False, inline: Literal["never", "always"] = "never"
) -> Callable[[Callable[..., Any]], Any]:
    """The decorator that compiles a loop of the package (the flags of the module doc).

    ``parallel``: its ``prange`` loops run on the cores; ``inline``: ``"always"`` for a
    small helper copied into its callers.
    """
    return njit(cache=CACHE, nogil=NOGIL, parallel=parallel, inline=inline)


def threads() -> int:
    """How many parts the passes over the ledger are cut into: the threads numba uses."""
    return int(numba.get_num_threads())


def zeros(shape: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A zeroed array for a kernel to fill, allocated by numpy.

    Large arrays allocated by numpy are backed by huge pages where the system allows
    it; allocated inside a compiled loop (``np.zeros``), they fault in page by page,
    which on a virtual machine costs more than the loop itself.
    """
    out: np.ndarray = np.empty(shape, dtype=dtype)
    out.fill(0)
    return out
