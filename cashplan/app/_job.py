"""One report job in a process of its own (run by :func:`cashplan.app.report.run_reports`).

It reads its job as JSON on stdin, writes the report and prints one JSON line:
``{"out": folder}`` or ``{"error": message}``. SIGTERM (sent by the command on
Ctrl-C) and the death of the command (Linux: ``PR_SET_PDEATHSIG``) end it like an
error, so its temporary folder is removed and no half-written report remains; the
notebook's kernel is then killed (a signal can cut papermill short before it stops the
kernel, which would outlive the command and hold its output pipes open). Should that
cleanup hang, the process removes its temporary folder and ends anyway after
:data:`GRACE` seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Collection, Iterator
from typing import Any, NoReturn

__all__ = [
    "GRACE",
    "children",
    "end_children",
    "main",
    "sigterm_ends",
    "terminate",
    "watch_termination",
]

_PR_SET_PDEATHSIG = 1
GRACE = 20.0  # seconds a terminated process has to clean up (the command waits 60 s)


class _Terminated:
    """When a signal asked this process to end, and with which code (set by :func:`terminate`)."""

    code = 0
    at = 0.0
    watched = False


def terminate(signum: int, _frame: Any) -> NoReturn:
    """End the process like an error (``SystemExit``), so cleanups run: the signal handler.

    It only records the time for the watchdog of :func:`watch_termination` (a handler
    that took a lock could deadlock with the code it interrupted).
    """
    _Terminated.code, _Terminated.at = 128 + signum, time.monotonic()
    raise SystemExit(_Terminated.code)


@contextlib.contextmanager
def sigterm_ends(watch: bool = False) -> Iterator[None]:
    """SIGTERM ends what runs inside like an error (:func:`terminate`), so its cleanups run;
    with ``watch``, the watchdog of :func:`watch_termination` too. The handler before is put
    back after. Signal handlers belong to the main thread: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, terminate)
    if watch:
        watch_termination()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def watch_termination() -> None:
    """Start, once per process, the watchdog of :func:`terminate`: should the cleanup not
    end the process within :data:`GRACE` seconds of the signal, it kills the children,
    removes the unfinished temporary folders and ends the process with the signal's code."""
    if not _Terminated.watched:
        import psutil  # noqa: F401  # end_children's, imported here: the watchdog imports nothing

        _Terminated.watched = True
        threading.Thread(target=_watch, name="cashplan-grace", daemon=True).start()


def _watch() -> None:
    """The watchdog's thread. It imports nothing, ever: it starts while the report imports
    pandas and the rest (two threads importing those at once could break them, and a
    signal may leave an import of the main thread unfinished, its lock held, forever)."""
    while not _Terminated.code or time.monotonic() - _Terminated.at < GRACE:
        time.sleep(0.5)
    with contextlib.suppress(Exception):  # whatever fails here, the process ends below
        end_children()  # psutil: imported by watch_termination
    with contextlib.suppress(Exception):
        folders = sys.modules.get("cashplan.io.folders")  # absent: nothing was built yet
        if folders is not None:
            folders.remove_unfinished()
    os._exit(_Terminated.code)


def children() -> set[int]:
    """The process ids of every process this one started that still runs."""
    import psutil

    try:
        return {child.pid for child in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


def end_children(keep: Collection[int] = ()) -> None:
    """Kill every process this one started that still runs (the notebook's kernel), but
    those in ``keep`` (the ones running before the report started, from :func:`children`).

    Called when a report ends: papermill stops its kernel itself when it can, but a
    signal that interrupts it while the kernel starts leaves the kernel running,
    orphaned, holding the command's output pipes open.
    """
    import psutil

    left = []
    for pid in children() - set(keep):
        with contextlib.suppress(psutil.Error):
            child = psutil.Process(pid)
            child.kill()
            left.append(child)
    psutil.wait_procs(left, timeout=5)


def _die_with(parent: int) -> None:
    """SIGTERM this process when the command that started it dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the call above
        raise SystemExit(143)


def main() -> int:
    """Run the job read from stdin; see the module doc."""
    signal.signal(signal.SIGTERM, terminate)
    watch_termination()
    _die_with(int(sys.argv[1]))
    from cashplan.app.report import run_report
    from cashplan.core.errors import CashplanError

    spec = json.load(sys.stdin)
    try:
        out = run_report(
            spec["book"],
            spec["as_of"],
            spec["out"],
            spec["company"],
            spec["parameters"],
            spec["force"],
            spec.get("previous") or None,
        )
    except (CashplanError, OSError, ValueError) as err:
        print(json.dumps({"error": str(err)}))
        return 2
    print(json.dumps({"out": str(out)}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:  # the process ends: its exit need not walk every object (see cli.main)
        import gc

        gc.freeze()
