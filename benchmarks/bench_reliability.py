"""Payer scoring time at the forecast issue's size (3M settled invoices in the history).

Run from the repository root::

    python benchmarks/bench_reliability.py                # 1M and 3.2M invoices
    python benchmarks/bench_reliability.py 100000         # chosen sizes

Books come from the deterministic generator, cached as Parquet in ``benchmarks/.books/``.
"""

from __future__ import annotations

import sys
import time

from cashplan import PayerScorer, read_book
from cashplan.export import write_book
from cashplan.sample import make_book

try:
    from bench_foundation import HERE
except ImportError:  # run as a module
    from benchmarks.bench_foundation import HERE

AS_OF = "2026-10-31"


def main(sizes: list[int]) -> None:
    print(f"PayerScorer.fit as of {AS_OF}, best of 3, s")
    for n in sizes:
        folder = HERE / f"{n}-parquet"
        if not (folder / "invoices.parquet").exists():
            write_book(make_book(n_invoices=n, n_customers=max(250, n // 150), seed=11), folder,
                       fmt="parquet")  # fmt: skip
        book = read_book(folder)
        settled = int(book.invoices["paid_date"].notna().sum())
        best = min(
            _timed(lambda b=book: PayerScorer().fit(b.invoices, AS_OF, b.promises))
            for _ in range(3)
        )
        print(f"{n:>10,} invoices ({settled:,} settled, {len(book.promises):,} promises): "
              f"{best:.3f}")  # fmt: skip


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 3_200_000])
