"""Scoring + forecast times at the forecast issue's sizes, and the sample re-forecast.

Run from the repository root::

    python benchmarks/bench_forecast.py                # 1M and 3.2M invoices, and the sample
    python benchmarks/bench_forecast.py 100000         # chosen sizes

Goals of the issue: 1M open invoices with 3M settled in history scored and forecast in
under 2 s; a re-forecast after one promise changes in under 100 ms on the sample book.
The first run in a fresh install also compiles the numba kernels (cached on disk after);
the best of several runs leaves that out.
Books come from the deterministic generator, cached as Parquet in ``benchmarks/.books/``.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cashplan import Book, PayerScorer, read_book
from cashplan.core.fx import Fx
from cashplan.fast.arrays import ledger_arrays
from cashplan.forecasting.collection import CollectionForecaster, forecast
from cashplan.io.export import write_book
from cashplan.sample import make_book

AS_OF = "2026-10-31"
ROOT = Path(__file__).resolve().parent
BOOKS = ROOT / ".books"


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def generated(n: int) -> Book:
    folder = BOOKS / f"{n}-parquet"
    if not (folder / "invoices.parquet").exists():
        write_book(
            make_book(n_invoices=n, n_customers=max(250, n // 150), seed=11), folder, fmt="parquet"
        )
    return read_book(folder)


def score_and_forecast(
    label: str, inv: pd.DataFrame, fx: Fx, promises: pd.DataFrame, as_of: object, repeat: int = 5
) -> None:
    """Scoring + forecast as the product runs them: the ledger's arrays once, then both.

    Best of ``repeat`` runs of the whole sequence, and the best of each step.
    """
    settled = int(inv["paid_date"].notna().sum())
    steps: dict[str, list[float]] = {"arrays": [], "scoring": [], "forecast": [], "all": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        arrays = ledger_arrays(inv)
        t1 = time.perf_counter()
        PayerScorer.from_arrays(arrays).fit(inv, as_of, promises)  # type: ignore[arg-type]
        t2 = time.perf_counter()
        model = CollectionForecaster.from_arrays(arrays).fit(inv, as_of, fx)  # type: ignore[arg-type]
        model.predict(promises)
        t3 = time.perf_counter()
        for k, v in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            steps[k].append(v)
    each = ", ".join(f"{k} {min(v):.3f} s" for k, v in steps.items() if k != "all")
    together = sorted(steps["all"])
    print(
        f"{label} ({len(inv) - settled:,} open, {settled:,} settled): {each}; together "
        f"best {together[0]:.3f} s, median {together[repeat // 2]:.3f} s"
    )


def reopened(book: Book, n: int) -> pd.DataFrame:
    """The book's invoices with the newest ``n`` open again (a large open book, real history)."""
    inv = book.invoices.sort_values("issue_date", kind="stable").copy()
    newest = inv.index[-n:]
    inv.loc[newest, "paid_date"] = pd.NaT
    inv.loc[newest, "open_amount"] = inv.loc[newest, "amount"]
    inv.loc[newest, "disputed"] = False
    return inv


def issue_size() -> None:
    """1M open invoices over 3M+ settled: the newest 1M invoices of a 4.2M book reopened."""
    book = generated(4_200_000)
    inv = reopened(book, 1_000_000)
    fx, promises = book.fx, book.promises
    del book  # keep only the reopened ledger in memory, as a process working on it would
    gc.collect()
    score_and_forecast("issue size, goal < 2 s", inv, fx, promises, inv["issue_date"].max())


def sample_reforecast() -> None:
    book = read_book(ROOT.parent / "data" / "sample")
    inv = book.invoices
    overdue = inv.loc[inv["paid_date"].isna() & (inv["due_date"] < AS_OF)].iloc[0]
    extra = pd.DataFrame(
        {
            "company": [overdue["company"]],
            "customer_id": [overdue["customer_id"]],
            "invoice_id": [overdue["invoice_id"]],
            "promised_date": [pd.Timestamp("2026-11-20")],
            "amount": [overdue["open_amount"]],
            "recorded_on": [pd.Timestamp(AS_OF)],
            "recorded_by": ["cfo"],
            "note": [""],
        }
    )
    promises = pd.concat([book.promises, extra], ignore_index=True)
    took = best(lambda: forecast(inv, AS_OF, book.fx, promises), repeat=5)
    print(f"sample book re-forecast after one promise: {took * 1000:.0f} ms")
    model = CollectionForecaster().fit(inv, AS_OF, book.fx)  # what the workbook keeps
    took = best(lambda: model.predict(promises), repeat=5)
    print(f"sample book re-forecast after one promise, forecaster kept: {took * 1000:.0f} ms")


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [1_000_000]:
        book = generated(size)
        score_and_forecast(f"{size:,} invoices", book.invoices, book.fx, book.promises, AS_OF)
    if len(sys.argv) == 1:
        issue_size()
    sample_reforecast()
