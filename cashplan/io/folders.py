"""Output folders written whole: what ``--force`` may replace, and how a folder is swapped in.

A report or a book is built in a temporary folder beside its target and renamed
into place only when everything succeeded, so a reader never sees half of one.
``--force`` replaces an existing folder only when it is of the same kind and
was written by cashplan (a report: its ``manifest.json``; a book: nothing but
book tables), and never the book being read, a folder holding it, the working
directory or a folder holding that. Anything else is refused with the reason.

A run that is killed leaves its temporary folder behind; it is held by a lock
(:mod:`filelock`, released by the operating system when its process dies), so
the next run into the same folder removes the temporary folders whose lock is
free, and only those.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> root = pathlib.Path(tmp.name)
>>> def build(tmp):
...     (tmp / "manifest.json").write_text('{"cashplan": "0", "outputs": []}')
>>> _ = write_whole(root / "r", build, kind="report")
>>> is_report(root / "r"), sorted(p.name for p in root.iterdir())
(True, ['r'])
>>> check_target(root, kind="report", force=True, protected=[root / "book"])
Traceback (most recent call last):
...
cashplan.core.errors.CashplanError: ...holds the input...
>>> tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from filelock import FileLock, Timeout

from cashplan.core.errors import CashplanError
from cashplan.io.signals import held

__all__ = [
    "BOOK_TABLES",
    "check_target",
    "clean_stale",
    "is_book",
    "is_report",
    "remove_unfinished",
    "signals_deferred",
    "write_whole",
]

Kind = Literal["report", "book"]
_TOKEN = re.compile(r"[0-9a-f]{8}")
_UNFINISHED: set[Path] = set()  # the temporary folders this process is building now
T = TypeVar("T")

# the names a book folder's files may have (data-format.md, 0.2), plus what import-fec adds
BOOK_TABLES = frozenset(
    {
        "invoices",
        "customers",
        "promises",
        "spending",
        "fx_rates",
        "adjustments",
        "sales_plan",
        "bank",
        "scenarios",
        "activity",
        "unallocated_payments",
        "book",
    }
)
_BOOK_SUFFIXES = {".csv", ".parquet", ".xlsx"}


def is_report(folder: Path) -> bool:
    """Whether ``folder`` is a report cashplan wrote and holds nothing else: its
    ``manifest.json`` lists every file in it (a user's note or a ``.git`` makes it not one)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        listed = {str(o["file"]) for o in manifest["outputs"]} | {"manifest.json"}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not (isinstance(manifest, dict) and "cashplan" in manifest):
        return False
    found = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
    return found <= listed


def is_book(folder: Path) -> bool:
    """Whether ``folder`` holds a book and nothing else: table files, and the lock files the
    edits leave (``.promises.csv.lock``); any other hidden file or folder (``.git``) makes
    it not one."""
    names = list(folder.iterdir())
    tables = [p for p in names if not _edit_lock(p.name)]
    has_invoices = any(p.stem in ("invoices", "book") for p in tables)
    return has_invoices and all(
        p.is_file() and p.stem in BOOK_TABLES and p.suffix in _BOOK_SUFFIXES for p in tables
    )


def _edit_lock(name: str) -> bool:
    """``.<table>.<csv|parquet>.lock``: the lock file of :mod:`cashplan.io.edits`."""
    parts = name.split(".")
    return (
        len(parts) == 4
        and parts[0] == ""
        and parts[1] in BOOK_TABLES
        and parts[2] in ("csv", "parquet")
        and parts[3] == "lock"
    )


def _holds(outer: Path, inner: Path) -> bool:
    return outer == inner or outer in inner.parents


def check_target(out: Path, *, kind: Kind, force: bool, protected: Sequence[Path] = ()) -> None:
    """Refuse an output folder that must not be written or replaced (see the module doc).

    ``protected`` are the inputs (the books read): ``out`` may be neither one of
    them nor a folder holding one.
    """
    if Path(out).is_symlink():
        raise CashplanError(
            f"--out {out} is a link: cashplan writes a folder of its own, never through a link. "
            "Fix: give the folder itself, or another --out folder."
        )
    target = Path(out).resolve()
    cwd = Path.cwd().resolve()
    for path in protected:
        source = Path(path).resolve()
        if _holds(target, source) or _holds(source, target):
            what = (
                "is the input"
                if target == source
                else "holds the input"
                if _holds(target, source)
                else "is inside the input"
            )
            raise CashplanError(
                f"--out {out} {what} {path}: a {kind} is never written over or into its input. "
                "Fix: choose another --out folder."
            )
    if _holds(target, cwd) or target == Path.home().resolve():
        raise CashplanError(
            f"--out {out} is the working directory, your home or a folder holding them: "
            f"cashplan never replaces it. Fix: give a folder of its own, e.g. {out}/{kind}."
        )
    if not target.exists():
        return
    if not target.is_dir():
        raise CashplanError(f"--out {out} is a file. Fix: give a folder.")
    if not any(target.iterdir()):
        return
    ours = is_report(target) if kind == "report" else is_book(target)
    if not ours:
        what = (
            "a cashplan report (it has no manifest.json written by cashplan)"
            if kind == "report"
            else "a book (it holds files other than book tables)"
        )
        raise CashplanError(
            f"--out {out} already holds files and is not {what}: --force replaces only "
            f"a {kind} cashplan wrote. Fix: choose another --out folder, or empty it yourself."
        )
    if not force:
        raise CashplanError(f"{out} already holds a {kind}; pass --force to replace it")


def _lock_of(tmp: Path) -> FileLock:
    return FileLock(tmp.with_name(tmp.name + ".lock"), timeout=0)


def clean_stale(out: Path) -> list[Path]:
    """Remove the temporary folders of runs into ``out`` that died (their lock is free).

    Only folders named as cashplan names them (``.<out>.<8 hex>.tmp``) and carrying
    cashplan's lock file are touched; a run still going holds its lock and is left alone.
    Returns the folders removed.
    """
    out = Path(out).absolute()
    removed: list[Path] = []
    if not out.parent.is_dir():
        return removed
    for tmp in sorted(out.parent.glob(f".{glob.escape(out.name)}.*.tmp")):
        token = tmp.name[len(out.name) + 2 : -len(".tmp")]
        lock = _lock_of(tmp)
        if not _TOKEN.fullmatch(token) or not Path(lock.lock_file).exists():
            continue  # not one of ours: never touched
        try:
            with lock:
                shutil.rmtree(tmp, ignore_errors=True)
                removed.append(tmp)
        except Timeout:
            continue
        with contextlib.suppress(OSError):
            Path(lock.lock_file).unlink()
    removed += _orphan_locks(out)
    old = out.with_name(f".{out.name}.old")
    if old.is_dir() and not old.is_symlink() and (is_report(old) or is_book(old)):
        with FileLock(_swap_lock(out)):  # a swap killed half-way: finish or undo it
            if out.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.rename(out)
            removed.append(old)
    return removed


def _orphan_locks(out: Path) -> list[Path]:
    """Remove the free lock files of temporary folders that are gone (a run interrupted
    twice, between removing its folder and its lock); return them."""
    removed = []
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*.tmp.lock")):
        tmp = path.with_name(path.name[: -len(".lock")])
        token = tmp.name[len(out.name) + 2 : -len(".tmp")]
        if not _TOKEN.fullmatch(token) or tmp.exists() or not path.is_file():
            continue
        try:
            with _lock_of(tmp):
                path.unlink()
        except (Timeout, OSError):
            continue  # held: a run starting right now
        removed.append(path)
    return removed


def _swap_lock(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


def write_whole(
    out: Path,
    build: Callable[[Path], T],
    *,
    kind: Kind,
    force: bool = False,
    protected: Sequence[Path] = (),
) -> T:
    """Build ``out`` whole: ``build(tmp)`` fills a locked temporary folder, then it is swapped in.

    The target is checked first (:func:`check_target`) and again under the swap
    lock, stale temporary folders of earlier runs are removed, and on any error
    (or a signal turned into an exception) the temporary folder is removed and
    ``out`` is untouched.
    """
    out = Path(out).absolute()
    check_target(out, kind=kind, force=force, protected=protected)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    lock = _lock_of(tmp)
    lock.acquire()
    try:
        tmp.mkdir()
        _UNFINISHED.add(tmp)
        result = build(tmp)
        os.chmod(tmp, 0o755)
        _swap_checked(tmp, out, kind=kind, force=force, protected=protected)
    finally:
        with signals_deferred():  # a second Ctrl-C must not cut the cleanup short
            shutil.rmtree(tmp, ignore_errors=True)  # left only by a failure: a swap moved it
            _UNFINISHED.discard(tmp)
            lock.release()
            with contextlib.suppress(OSError):
                Path(lock.lock_file).unlink()
    return result


def _swap_checked(
    tmp: Path, out: Path, *, kind: Kind, force: bool, protected: Sequence[Path]
) -> None:
    """Swap ``tmp`` in as ``out`` under the swap lock, checking the target again there."""
    swap = FileLock(_swap_lock(out))
    try:
        with swap:
            check_target(out, kind=kind, force=force, protected=protected)
            _swap(tmp, out)
    finally:
        with contextlib.suppress(OSError):  # no litter beside the folder, refused or not
            Path(swap.lock_file).unlink()


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM while a cleanup runs (main thread only; elsewhere a
    no-op): a second signal is noted and dropped, as the process is ending already."""
    with held(again=False):
        yield


def remove_unfinished() -> list[Path]:
    """Remove the temporary folders this process is still building; return them.

    The last resort of a process that must end now (a signal whose normal cleanup did
    not finish in time): what :func:`write_whole` would have removed on its way out.
    """
    removed = sorted(_UNFINISHED)
    for tmp in removed:
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(OSError):  # its lock: the process ends right after
            Path(_lock_of(tmp).lock_file).unlink()
        _UNFINISHED.discard(tmp)
    return removed


def _swap(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is removed only once ``tmp`` is in place."""
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
