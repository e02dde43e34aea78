"""The whole report at scale: time and peak memory of each phase, CSV and Parquet books.

Run from the repository root::

    python benchmarks/bench_report.py                                  # 1M, CSV and Parquet
    python benchmarks/bench_report.py 1000000 5000000 --formats parquet

Books are generated once (deterministic seed) into ``benchmarks/.books/`` (git-ignored).
For each book, one fresh process runs the phases one after the other, as the report's
kernel does: ``read`` (read and validate the book), ``analysis`` (every figure the report
shows: tables, battle plan, reminders), ``outputs`` (``write_outputs``: the CSVs,
``battle-plan.xlsx`` and the reminders, rendered again as the report's notebook renders
them, once, there); its resident memory is sampled every 20 ms and
each phase's peak printed, with its CPU time (all threads: steadier than the wall time
when other processes share the cores) and the part of it spent in the kernel ("sys": file
creation and fresh memory, which swing most on a shared machine). Then ``cashplan
report`` itself runs as a child process (what a user waits for: job, kernel start,
notebook, HTML export), with the peak memory of its largest process and the CPU time of
the processes it waited for, and ``html`` times the HTML export of the notebook it wrote.

The compiled loops are warmed first (a run on a small book), so the figures are those of a
warm machine; the first report after an install adds their compilation (see the README).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

AS_OF = "2026-10-31"
HERE = Path(__file__).resolve().parent
BOOKS = HERE / ".books"
_PAGE = os.sysconf("SC_PAGE_SIZE")


def book_folder(n: int, fmt: str) -> Path:
    """The ``n``-invoice book in ``fmt``, written once (the seed of bench_foundation.py)."""
    folder = BOOKS / f"{n}-{fmt}"
    if not (folder / f"invoices.{fmt}").exists():
        from cashplan import make_book
        from cashplan.io.export import write_book

        tables = make_book(n_invoices=n, n_customers=max(250, n // 150), seed=11)
        write_book(tables, folder, fmt=fmt)  # type: ignore[arg-type]
    return folder


class Peak:
    """The largest resident set size of this process while a phase runs (sampled)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> Peak:
        self.peak = _rss()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * _PAGE


def phases(book: str, out: str) -> dict[str, tuple[float, float, float, int]]:
    """Read, analysis and outputs in this process: seconds, CPU and kernel CPU seconds and
    peak bytes of each."""
    from cashplan.app.analysis import Analysis, Settings
    from cashplan.app.outputs import report_tables, write_outputs
    from cashplan.io.book import read_book

    result: dict[str, tuple[float, float, float, int]] = {}
    start, cpu = time.perf_counter(), os.times()
    with Peak() as peak:
        data = read_book(book)
    result["read"] = (*_since(start, cpu), peak.peak)
    start, cpu = time.perf_counter(), os.times()
    with Peak() as peak:
        a = Analysis(data, Settings(as_of=AS_OF))
        report_tables(a)
        _ = a.plan, a.position, a.runway, a.kpis
        a.reminders()
    result["analysis"] = (*_since(start, cpu), peak.peak)
    start, cpu = time.perf_counter(), os.times()
    with Peak() as peak:
        write_outputs(a, out)
    result["outputs"] = (*_since(start, cpu), peak.peak)
    return result


def _since(start: float, cpu: os.times_result) -> tuple[float, float, float]:
    """Seconds, CPU seconds (user + sys) and sys seconds since ``start`` and ``cpu``."""
    now = os.times()
    system = now.system - cpu.system
    return time.perf_counter() - start, now.user - cpu.user + system, system


def cli(book: Path, out: Path) -> tuple[float, float, float, int]:
    """``cashplan report`` as a user runs it: seconds, CPU seconds of the processes it waited
    for (its kernel too), and the peak of its largest process."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(u.ru_utime + u.ru_stime, u.ru_stime, u.ru_maxrss)\n"
    )
    command = [sys.executable, "-m", "cashplan", "report", str(book), "--as-of", AS_OF]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *command, "--out", str(out), "--force"],
        check=True,
        capture_output=True,
        text=True,
    )
    cpu, system, peak = done.stdout.split()[-3:]
    return time.perf_counter() - start, float(cpu), float(system), int(peak) * 1024  # KiB


def html(notebook: Path) -> tuple[float, float, float]:
    from cashplan.app.report import to_html

    start, cpu = time.perf_counter(), os.times()
    to_html(notebook)
    return _since(start, cpu)


def run(n: int, fmt: str) -> list[tuple[str, float, float, float, int]]:
    book = book_folder(n, fmt)
    with tempfile.TemporaryDirectory() as tmp:
        inner = subprocess.run(
            [sys.executable, __file__, "--phases", str(book), str(Path(tmp) / "outputs")],
            check=True,
            capture_output=True,
            text=True,
        )
        found = json.loads(inner.stdout.splitlines()[-1])
        rows = [(name, t, c, k, m) for name, (t, c, k, m) in found.items()]
        rows.append(("cashplan report", *cli(book, Path(tmp) / "report")))
        rows.append(("  of which html", *html(Path(tmp) / "report" / "report.ipynb"), 0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"])
    parser.add_argument("--phases", nargs=2, metavar=("BOOK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases:  # the child process of run()
        print(json.dumps(phases(*args.phases)))
        return
    phases(str(book_folder(20_000, "parquet")), tempfile.mkdtemp())  # compile the loops
    head = f"{'invoices':>10} {'format':>8} {'phase':<18} {'seconds':>8} {'CPU s':>8}"
    print(f"{head} {'of it sys':>9} {'peak GB':>8}")
    for n in args.sizes:
        for fmt in args.formats:
            for name, seconds, cpu, system, peak in run(n, fmt):
                gb = f"{peak / 1e9:8.2f}" if peak else f"{'':8}"
                line = f"{n:>10,} {fmt:>8} {name:<18} {seconds:8.2f} {cpu:8.2f} {system:9.2f}"
                print(f"{line} {gb}", flush=True)
    print(f"(this process: peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB)")


if __name__ == "__main__":
    main()
