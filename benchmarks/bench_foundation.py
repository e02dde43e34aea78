"""Load, targets, aged balance and KPI times for books of 10k, 100k and 1M invoices.

Run from the repository root::

    python benchmarks/bench_foundation.py            # 10k, 100k, 1M
    python benchmarks/bench_foundation.py 10000      # chosen sizes

Books are generated once (deterministic seed) into ``benchmarks/.books/`` (git-ignored),
as CSV and Parquet. Each step is timed as the best of ``REPEAT`` runs; the goal of the
foundation issue is "aged balance + KPIs of a 1M-invoice book in under 1 s".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from cashplan import aged_balance, kpis, make_book, monthly_targets, open_items, read_book
from cashplan.io.export import write_book

AS_OF = "2026-10-31"
REPEAT = 3
HERE = Path(__file__).resolve().parent / ".books"


def best(fn: Callable[[], object], repeat: int = REPEAT) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def book_folder(n: int, fmt: str) -> Path:
    folder = HERE / f"{n}-{fmt}"
    if not (folder / f"invoices.{fmt}").exists():
        tables = make_book(n_invoices=n, n_customers=max(250, n // 150), seed=11)
        write_book(tables, folder, fmt=fmt)  # type: ignore[arg-type]
    return folder


def run(n: int) -> dict[str, float]:
    row: dict[str, float] = {}
    for fmt in ("parquet", "csv"):
        folder = book_folder(n, fmt)
        row[f"load {fmt}"], book = best(lambda f=folder: read_book(f), 1 if n >= 1_000_000 else 2)
    fx = book.fx  # type: ignore[attr-defined]
    inv = book.invoices  # type: ignore[attr-defined]
    row["targets"], _ = best(lambda: monthly_targets(inv, book.spending, fx, AS_OF))  # type: ignore[attr-defined]

    def age() -> object:
        items = open_items(inv, AS_OF, fx, customers=book.customers)  # type: ignore[attr-defined]
        return aged_balance(items)

    row["aged balance"], _ = best(age)
    row["kpis"], _ = best(lambda: kpis(inv, AS_OF, fx))

    def both() -> object:
        return age(), kpis(inv, AS_OF, fx)

    row["aged + kpis"], _ = best(both)
    return row


def main(sizes: list[int]) -> None:
    print(f"cashplan foundation benchmark, as of {AS_OF}; best of {REPEAT} (loads: of 1-2), s")
    rows = {n: run(n) for n in sizes}
    steps = list(next(iter(rows.values())))
    print(f"{'invoices':>10} " + " ".join(f"{s:>13}" for s in steps))
    for n, row in rows.items():
        print(f"{n:>10,} " + " ".join(f"{row[s]:>13.3f}" for s in steps))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
