"""Reading a large CSV book: time and peak memory of each phase of ``read_book``.

Run from the repository root::

    python benchmarks/bench_read.py                     # a 1M-invoice two-company CSV book
    python benchmarks/bench_read.py 100000              # another size
    python benchmarks/bench_read.py 1000000 --book DIR  # a book folder already written

The book is generated once (deterministic seed) into ``benchmarks/.books/`` (git-ignored)
unless ``--book`` names one. The phases are those of :func:`cashplan.read_book`:

- ``hash``: the sha256 of every file (the manifest's key);
- ``read``: the files into raw text tables (:func:`cashplan.io.book.read_raw_tables`);
- ``typed``: every cell parsed (:func:`cashplan.core.validate.validate_tables` without
  the rules);
- ``rules``: the text, row and cross-table rules;
- ``read_book``: the whole, as the report calls it (one more run).

Peak memory is the process's resident high-water mark during the phase (Linux: it is
reset before each phase through ``/proc/self/clear_refs``), in MB; ``cpu s`` is the
process's CPU time (all threads), steadier than the wall clock on a busy machine. Figures
are noisy on a shared machine: take the best of a few runs.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / ".books"


def _peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


@contextlib.contextmanager
def phase(name: str, rows: list[tuple[str, float, float, float]]) -> Iterator[None]:
    _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    yield
    rows.append((name, time.perf_counter() - start, time.process_time() - cpu, _peak_mb()))


def book_folder(n: int) -> Path:
    from cashplan import make_book
    from cashplan.io.export import write_book

    folder = HERE / f"{n}-csv"
    if not (folder / "invoices.csv").exists():
        tables = make_book(n_invoices=n, n_customers=max(250, n // 150), seed=11)
        write_book(tables, folder, fmt="csv")
    return folder


def run(folder: Path) -> list[tuple[str, float, float, float]]:
    from cashplan import read_book
    from cashplan.core import validate
    from cashplan.core.rules import ROW_RULES, cross_rules, text_rules
    from cashplan.io.book import locate_sources, read_raw_tables

    rows: list[tuple[str, float, float, float]] = []
    with phase("hash", rows):
        problems: list[dict[str, object]] = []
        located, _ = locate_sources(folder, problems)
    with phase("read", rows):
        raws = read_raw_tables(located, problems)
    assert not problems, problems
    typed: dict[str, Any] = {}
    cols: dict[str, Any] = {}
    with phase("typed", rows):
        for name, raw in raws.items():
            cols[name] = validate.Collector(raw)
            typed[name] = validate._typed(cols[name], "EUR")
    with phase("rules", rows):
        for name, frame in typed.items():
            text_rules(frame, cols[name])
            ROW_RULES[name](frame, cols[name])
        tables = {n: typed.get(n, validate.empty_table(n)) for n in validate.TABLES}
        cross_rules(tables, {n: validate.Collector(r) for n, r in raws.items()}, "EUR")
    del raws, typed, cols, tables
    timed: Callable[[], object] = lambda: read_book(folder)  # noqa: E731
    with phase("read_book", rows):
        timed()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invoices", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--book", type=Path, help="a CSV book folder already written")
    args = parser.parse_args()
    folder = args.book or book_folder(args.invoices)
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    print(f"read_book phases on {folder} ({size:,.0f} MB of files)")
    print(f"{'phase':<10} {'seconds':>8} {'cpu s':>8} {'peak MB':>8}")
    for name, seconds, cpu, peak in run(folder):
        print(f"{name:<10} {seconds:>8.2f} {cpu:>8.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
