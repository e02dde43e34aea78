"""The whole cash-in: backtest scores on held-out books, and the time new sales add.

Run from the repository root::

    python benchmarks/bench_cash_in.py               # seeds 11, 23, 42 (30,000 invoices), timings
    python benchmarks/bench_cash_in.py 11 23         # chosen seeds, timings
    python benchmarks/bench_cash_in.py --no-1m       # leave out the 1M-invoice timing

Goals of the issue: the total 13-week weekly WAPE at most 0.8x the best baseline (ideally
<= 0.10), p10-p90 coverage 70-90 %; new sales under 1 s on the sample-size book and under
2 s on 1M invoices. The books are held out: the sample is seed 7, nothing was tuned on these.
The pinball loss scores the band as a distribution; a point baseline's is half its WAPE.
Timings are the best of 5 runs after a first one (which imports statsforecast and compiles
its kernels: printed apart).
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from cashplan import Book
from cashplan.forecasting.backtest_cash_in import backtest_cash_in
from cashplan.forecasting.cash_in import new_sales
from cashplan.sample import SAMPLE_AS_OF, make_book

SEEDS = (11, 23, 42)


def scores(seed: int) -> None:
    book = Book.from_tables(make_book(seed=seed))
    start = time.perf_counter()
    result = backtest_cash_in(book.invoices, book.fx, book.promises)
    took = time.perf_counter() - start
    s = result.summary.set_index("method")
    best = min(s.loc[m, "wape"] for m in ("run_rate", "last_year", "ets"))
    dates = result.weekly["as_of"].nunique()
    print(
        f"seed {seed}: {dates} month-ends, new sales {s['new_share'].iloc[0]:.0%} of the cash; "
        f"WAPE total {s.loc['total', 'wape']:.3f} (median per date "
        f"{s.loc['total', 'median_wape_per_date']:.3f}), open book only "
        f"{s.loc['open_book', 'wape']:.3f}, new sales part {s.loc['new_sales', 'wape']:.3f}; "
        f"baselines run rate {s.loc['run_rate', 'wape']:.3f}, last year "
        f"{s.loc['last_year', 'wape']:.3f}, AutoETS {s.loc['ets', 'wape']:.3f}; "
        f"total / best baseline {s.loc['total', 'wape'] / best:.2f}; coverage "
        f"{s.loc['total', 'p10_p90_coverage']:.0%} calibrated, "
        f"{s.loc['total', 'raw_coverage']:.0%} raw; pinball (p10/p90 mean, over collections) "
        f"total {s.loc['total', 'pinball']:.3f}, AutoETS {s.loc['ets', 'pinball']:.3f} "
        f"(coverage {s.loc['ets', 'p10_p90_coverage']:.0%}), best point baseline "
        f"{best / 2:.3f} ({took:.0f} s)"
    )


def timing(label: str, book: Book, repeat: int = 5) -> None:
    start = time.perf_counter()
    new_sales(book.invoices, SAMPLE_AS_OF, book.fx)
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        new_sales(book.invoices, SAMPLE_AS_OF, book.fx)
        runs.append(time.perf_counter() - start)
    print(
        f"new sales, {label} ({len(book.invoices):,} invoices): best {min(runs):.3f} s, "
        f"median {sorted(runs)[repeat // 2]:.3f} s (first call {first:.2f} s)"
    )


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for seed in [int(a) for a in args] or SEEDS:
        scores(seed)
    timing("sample size, seed 7", Book.from_tables(make_book()))
    if "--no-1m" not in sys.argv:
        n = 1_000_000
        timing("1M", Book.from_tables(make_book(n_invoices=n, n_customers=max(250, n // 150))))
