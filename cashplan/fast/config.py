"""How the compiled loops are compiled and share the cores, decided here and nowhere else.

Every loop of :mod:`cashplan.fast` is compiled by ``jit`` with the same flags:

- ``CACHE``: compiled once and kept on disk, in the user's cache folder
  (:func:`cache_dir`: ``~/.cache/cashplan/numba`` on Linux, or ``$NUMBA_CACHE_DIR``
  when set), never inside the installed package: numba's default ``__pycache__``
  beside the modules outlived ``pip uninstall`` and turned ``site-packages/cashplan``
  into a namespace package that shadowed a later install. Editing a module
  recompiles its loops, and only them (the cache is keyed on each module's sha256);
- ``NOGIL``: the loops release the GIL, so threads of the caller (a workbook, a
  notebook) run them side by side.

A wheel built by the project's backend (``_build/backend.py``) ships the loops
compiled for the types a report passes (:mod:`cashplan.fast.warm`), in the folder
``_compiled`` beside this module: the first use of the loops copies it into the user's
cache (:func:`unpack`), so that the first report after ``pip install`` loads the loops
rather than compiling them. numba still checks each entry (module sha256, numba and
Python versions, CPU) and compiles what does not fit.

numba keys that cache on the module's file alone: a loop that calls one of another
module (``history.settled_weight``, ``calendar.civil``) keeps its compiled code when only
that other module changes. After editing ``history.py`` or ``calendar.py``, delete the
cache (the folder :func:`cache_dir`).

A loop that runs on several cores (``jit(parallel=True)``) splits its work either in
``threads()`` parts (one per core numba uses: the passes over the ledger, where each
part scans every row for its own customers) or in ``PARTS`` runs (the passes over the
open invoices and over the bucket sums, cheap enough per run that a few more runs than
cores even out their lengths). Both are passed to the loops as arguments, not read as
globals: numba freezes a global at compile time and would not see it change here.

A parallel loop over little work (under ``SMALL`` elementary steps: the workbook's
re-forecast of a few customers, a sample book's open invoices) runs on the calling
thread alone (:func:`cores_for`): waking the other threads saves under a millisecond on an
idle machine, and costs 10 to 30 ms each time when other processes keep the cores busy
(the woken thread waits for its turn).

Kernels fill arrays that numpy allocated (``zeros`` or ``np.empty``) rather than
allocating large ones themselves.

Examples
--------
A loop of the package is written ``@jit(parallel=True)`` above ``def _loop(..., parts, out)``,
and called with ``threads()`` or ``PARTS`` and an array from ``zeros``:

>>> CACHE, NOGIL, PARTS, threads() >= 1
(True, True, 8, True)
>>> with cores_for(10):
...     threads()
1
>>> cache_dir().parts[-2:] == ("cashplan", "numba") or "NUMBA_CACHE_DIR" in os.environ
True
>>> zeros((2, 3)).sum(), zeros(2, dtype=np.int64).dtype
(np.float64(0.0), dtype('int64'))
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import numba
import numpy as np
from numba import njit
from numba.core import caching

__all__ = [
    "CACHE",
    "NOGIL",
    "PARTS",
    "SHIPPED",
    "SMALL",
    "cache_dir",
    "cores_for",
    "jit",
    "threads",
    "unpack",
    "zeros",
]

CACHE = True
NOGIL = True
PARTS = 8  # the runs of open invoices (or of their customers) the cores share
SHIPPED = Path(__file__).with_name("_compiled")  # the loops compiled when the wheel was built
SMALL = 2_000_000  # elementary steps (about 1 ms of compiled work) below which one core runs


def jit(
    *, parallel: bool = False, inline: Literal["never", "always"] = "never"
) -> Callable[[Callable[..., Any]], Any]:
    """The decorator that compiles a loop of the package (the flags of the module doc).

    ``parallel``: its ``prange`` loops run on the cores; ``inline``: ``"always"`` for a
    small helper copied into its callers.
    """
    compile_ = njit(cache=False, nogil=NOGIL, parallel=parallel, inline=inline)

    def decorate(func: Callable[..., Any]) -> Any:
        dispatcher: Any = compile_(func)
        if CACHE:  # numba's cache=True, with the folder chosen here (module doc)
            dispatcher._cache = _Cache(dispatcher.py_func)
        return dispatcher

    return decorate


@functools.cache
def cache_dir() -> Path:
    """Where the compiled loops are kept: ``$NUMBA_CACHE_DIR``, else the user's cache folder
    (``~/.cache/cashplan/numba`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%``
    on Windows), a folder per installed copy of the package inside it."""
    from numba.misc.appdirs import AppDirs

    given = os.environ.get("NUMBA_CACHE_DIR")
    return (
        Path(given)
        if given
        else Path(AppDirs("cashplan", appauthor=False).user_cache_dir) / "numba"
    )


# public names since numba 0.62, with a leading underscore before
_names = vars(caching)
_UserProvided: Any = _names.get("UserProvidedCacheLocator", _names.get("_UserProvidedCacheLocator"))
_Impl: Any = _names.get("CompileResultCacheImpl", _names.get("_CompileResultCacheImpl"))


class _Locator(_UserProvided):
    """numba's locator for ``NUMBA_CACHE_DIR``, pointed at :func:`cache_dir`."""

    def __init__(self, py_func: Any, py_file: str) -> None:
        super().__init__(py_func, py_file)
        self._cache_path = str(cache_dir() / self.get_suitable_cache_subpath(py_file))
        unpack(SHIPPED, Path(self._cache_path))

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        # numba's version answers only when NUMBA_CACHE_DIR is set; skip that check
        return super(_UserProvided, cls).from_function(py_func, py_file)


class _CacheImpl(_Impl):
    # numba's own places come after (the package folder only if the user's is not writable)
    _locator_classes: ClassVar[list[Any]] = [_Locator, *_Impl._locator_classes]


class _Cache(caching.FunctionCache):
    _impl_class = _CacheImpl


@functools.cache
def unpack(shipped: Path, cache: Path) -> bool:
    """Copy the compiled loops of ``shipped`` into ``cache``, unless already done; whether copied.

    Done once per build of the wheel (its ``built`` file names it), each file written
    whole (a temporary file renamed), so that two processes starting together copy
    the same bytes and a reader never sees half a file. A failure (no such folder, a
    read-only cache) leaves numba to compile as usual.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     shipped, cache = Path(tmp, "shipped"), Path(tmp, "cache")
    ...     shipped.mkdir()
    ...     _ = (shipped / "built").write_text("b1")
    ...     _ = (shipped / "m.f-3.py311.nbi").write_bytes(b"x")
    ...     unpack(shipped, cache), sorted(p.name for p in cache.iterdir())
    ...     unpack.cache_clear(); unpack(shipped, cache)  # the same build: not again
    (True, ['.built', 'm.f-3.py311.nbi'])
    False
    """
    try:
        built = (shipped / "built").read_text(encoding="utf-8")
        marker = cache / ".built"
        if marker.is_file() and marker.read_text(encoding="utf-8") == built:
            return False
        cache.mkdir(parents=True, exist_ok=True)
        for source in sorted(shipped.glob("*.nb[ic]")):
            _copy_whole(source, cache / source.name)
        _copy_whole(shipped / "built", marker)
        return True
    except OSError:
        return False


def _copy_whole(source: Path, target: Path) -> None:
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    os.close(handle)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def threads() -> int:
    """How many parts the passes over the ledger are cut into: the threads numba uses."""
    return int(numba.get_num_threads())


@contextlib.contextmanager
def cores_for(work: int) -> Iterator[None]:
    """Run the parallel loops called inside on this thread alone when ``work`` (their
    elementary steps, e.g. rows x columns) is under ``SMALL`` (module doc); else as usual.

    numba's thread count is per calling thread: other threads are not affected.
    """
    if work >= SMALL:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def zeros(shape: int | tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A zeroed array for a kernel to fill, allocated by numpy.

    Large arrays allocated by numpy are backed by huge pages where the system allows
    it; allocated inside a compiled loop (``np.zeros``), they fault in page by page,
    which on a virtual machine costs more than the loop itself.
    """
    out: np.ndarray = np.empty(shape, dtype=dtype)
    out.fill(0)
    return out
