"""One report job in a process of its own (run by :func:`cashplan.app.report.run_reports`).

It reads its job as JSON on stdin, writes the report and prints one JSON line:
``{"out": folder}`` or ``{"error": message}``. SIGTERM (sent by the command on
Ctrl-C) and the death of the command (Linux: ``PR_SET_PDEATHSIG``) end it like an
error, so its temporary folder is removed and no half-written report remains.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
from typing import Any, NoReturn

_PR_SET_PDEATHSIG = 1


def terminate(signum: int, _frame: Any) -> NoReturn:
    """End the process like an error (``SystemExit``), so cleanups run: the signal handler."""
    raise SystemExit(128 + signum)


def _die_with(parent: int) -> None:
    """SIGTERM this process when the command that started it dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the call above
        raise SystemExit(143)


def main() -> int:
    """Run the job read from stdin; see the module doc."""
    signal.signal(signal.SIGTERM, terminate)
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
    sys.exit(main())
