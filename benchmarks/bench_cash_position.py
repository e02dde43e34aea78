"""The time the cash position adds, on the sample book and on a 1M-invoice book.

Run from the repository root::

    python benchmarks/bench_cash_position.py          # the sample, then 1M invoices
    python benchmarks/bench_cash_position.py --no-1m  # the sample only

What is timed is the position itself, once the analysis has its cash-in and spending:
the 52-week disbursement schedule (the 13 weeks' is its first rows), the opening, the
position, the month ends, the floor summary and the sentence (no bank table in these
books: a synthetic one of three accounts per company, a balance a day, is timed with them).
Goals of the issue: under 200 ms on the sample and under 1 s on 1M invoices. Timings are
the best of 5 runs after a first one.
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from cashplan import Book, read_book
from cashplan.app.analysis import Analysis, Settings
from cashplan.planning.cash_position import (
    cash_position,
    floor_summary,
    month_end_cash,
    opening_cash,
    position_sentence,
)
from cashplan.planning.disbursements import disbursement_schedule, horizon
from cashplan.sample import make_book

AS_OF = "2026-10-31"


def _bank(a: Analysis) -> pd.DataFrame:
    """Three accounts per company, a balance a day over October (and one day after as-of)."""
    days = pd.date_range("2026-10-01", "2026-11-01")
    companies = sorted(set(a.cash_in["company"]) - {"ALL"})
    currency = a.book.invoices.groupby("company")["currency"].first()
    rows = [
        (c, f"acc{k}", d, 100_000.0 * (k + 1), currency.get(c, "EUR"))
        for c in companies
        for k in range(3)
        for d in days
    ]
    return pd.DataFrame(rows, columns=["company", "account", "date", "balance", "currency"])


def position(a: Analysis, bank: pd.DataFrame) -> str:
    fx = a.book.fx
    paid52 = disbursement_schedule(a.spending, AS_OF, fx, weeks=52)
    paid = paid52.loc[paid52["date"] < horizon(AS_OF, 13)[1]]  # = the 13-week schedule
    opening = opening_cash(bank, AS_OF, fx)
    p = cash_position(a.cash_in, paid, AS_OF, opening=opening, cash_floor=250_000.0)
    month_end_cash(p, paid, AS_OF)
    return position_sentence(floor_summary(p, paid52, AS_OF), currency=fx.reporting_currency)


def timed(label: str, a: Analysis) -> None:
    start = time.perf_counter()
    _ = a.cash_in, a.spending
    setup = time.perf_counter() - start
    bank = _bank(a)
    runs = []
    for _ in range(6):
        t0 = time.perf_counter()
        sentence = position(a, bank)
        runs.append(time.perf_counter() - t0)
    print(
        f"{label}: cash-in and spending {setup:.1f} s (not counted); the position: first "
        f"{runs[0] * 1000:.0f} ms, best of 5 {min(runs[1:]) * 1000:.0f} ms"
    )
    print(f"  {sentence}")


def main() -> None:
    timed("sample (data/sample)", Analysis(read_book("data/sample"), Settings(as_of=AS_OF)))
    if "--no-1m" not in sys.argv:
        book = Book.from_tables(make_book(n_invoices=1_000_000, n_customers=6666))
        timed("1M invoices", Analysis(book, Settings(as_of=AS_OF)))


if __name__ == "__main__":
    main()
