"""A report process ends cleanly on a signal: its kernel killed, its temporary folder gone,
even when the cleanup itself hangs (the watchdog of :mod:`cashplan.app._job`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from cashplan.app._job import children, end_children
from tests.conftest import ROOT


def test_end_children_kills_what_started_meanwhile_and_keeps_the_rest() -> None:
    sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
    old = subprocess.Popen(sleep)
    try:
        running = children()
        new = subprocess.Popen(sleep)
        assert {old.pid, new.pid} <= children()
        end_children(keep=running)
        assert not psutil.pid_exists(new.pid)  # killed (and reaped)
        assert old.poll() is None  # running before: left alone
    finally:
        old.kill()
        old.wait()


_HANGING = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    from pathlib import Path
    from cashplan.app import _job
    from cashplan.io.folders import write_whole

    _job.GRACE = 1.0
    signal.signal(signal.SIGTERM, _job.terminate)
    _job.watch_termination()

    def build(tmp):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # a kernel
        (tmp / "started").write_text("")
        try:
            time.sleep(600)
        finally:  # a cleanup that never ends
            while True:
                time.sleep(0.1)

    write_whole(Path(sys.argv[1]), build, kind="report")
    """
)


def test_a_cleanup_that_hangs_after_sigterm_still_ends_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    script = tmp_path / "hang.py"
    script.write_text(_HANGING)
    out = tmp_path / "out" / "r"
    proc = subprocess.Popen([sys.executable, str(script), str(out)])
    deadline = time.monotonic() + 120
    while not list(out.parent.glob(".r.*.tmp/started")) and time.monotonic() < deadline:
        assert proc.poll() is None
        time.sleep(0.05)
    grandchildren = psutil.Process(proc.pid).children()
    assert len(grandchildren) == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(out.parent.iterdir()) == []  # the temporary folder and its lock removed
    _, alive = psutil.wait_procs(grandchildren, timeout=10)
    assert alive == []


def test_the_watchdog_imports_nothing_while_the_report_imports() -> None:
    # it starts as the command starts, while the main thread imports pandas, jupyter_client
    # and the rest: a second thread importing pandas then broke or hung those imports (a
    # Ctrl-C in the first second: a segfault, or a command that never ended)
    code = """
import sys, threading, time
imports = []
sys.addaudithook(
    lambda event, args: event == "import" and imports.append(threading.current_thread().name)
)
from cashplan.app._job import watch_termination
watch_termination()
time.sleep(1.0)
print(sorted(set(imports) - {"MainThread"}), "pandas" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == "[] False"
