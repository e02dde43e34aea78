"""SIGINT and SIGTERM held back while a block runs: a cleanup, or an import a signal would
crash. Imports nothing of cashplan's (nor pandas): the report uses it in its first second.

Examples
--------
>>> import signal
>>> with held(again=False):
...     signal.raise_signal(signal.SIGINT)  # noted, then dropped
>>> "still here"
'still here'
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["held"]

_ENDING = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def held(*, again: bool) -> Iterator[None]:
    """Hold back SIGINT and SIGTERM while the block runs (main thread only; elsewhere
    nothing changes), then put their handlers back.

    ``again``: the first signal held is raised on the way out, meeting the handler it would
    have met (an import a signal would have crashed); else it is dropped (a cleanup run
    while the process is ending already).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    before = {sig: signal.signal(sig, lambda num, _frame: noted.append(num)) for sig in _ENDING}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        if again and noted:
            signal.raise_signal(noted[0])
