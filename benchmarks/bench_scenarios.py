"""The time five scenarios take after the base, on the sample book.

Run from the repository root::

    python benchmarks/bench_scenarios.py

The base analysis (scores, the fitted delay model, the invoicing and lag models, the gap,
the position and the runway) is computed first and not timed. What is timed: five
scenarios of the issue's kinds (a downturn: sales x 0.8 and everyone 15 days later; a
hire: +30,000 a month of salaries; a big client 30 days late; a safety margin of 10 %;
everyone 30 days later with catch-up over 3 months), each ``Analysis.replace`` reusing the
fitted models, and the comparison (``scenarios.csv``'s table and the overview). Goal of
the issue: under 2 s. Timings are the best of 5 runs after a first one.
"""

from __future__ import annotations

import time

import pandas as pd

from cashplan import read_book
from cashplan.app.analysis import Analysis, Settings
from cashplan.app.scenarios import comparison, scenario_overview

AS_OF = "2026-10-31"


def scenarios(book_customer: str) -> dict[str, dict[str, object]]:
    return {
        "downturn": {"sales_factor": 0.8, "delay_shift_days": 15},
        "hire": {"spending_add": {"FR01/salaries": 30_000.0}},
        "big client late": {"customer_delay": {f"FR01/{book_customer}": 30}},
        "margin": {"safety_margin": 0.1},
        "slow payers": {"delay_shift_days": 30, "k": 3},
    }


def run(base: Analysis, customer: str) -> pd.DataFrame:
    analyses = {"base": base}
    analyses |= {n: base.replace(**c) for n, c in scenarios(customer).items()}
    scenario_overview(analyses)
    return comparison(analyses)


def main() -> None:
    book = read_book("data/sample")
    items = book.invoices.loc[
        book.invoices["paid_date"].isna() & (book.invoices["company"] == "FR01")
    ]
    customer = str(items.groupby("customer_id")["open_amount"].sum().idxmax())
    base = Analysis(book, Settings(as_of=AS_OF))
    start = time.perf_counter()
    base.gap, base.runway, base.month_end  # noqa: B018
    print(f"base analysis (not timed below): {time.perf_counter() - start:.2f} s")
    run(base, customer)  # the first run loads what each piece imports
    times = []
    for _ in range(5):
        start = time.perf_counter()
        table = run(base, customer)
        times.append(time.perf_counter() - start)
    print(
        f"five scenarios after the base, with the comparison: best {min(times):.2f} s, "
        f"median {sorted(times)[2]:.2f} s ({len(table)} rows)"
    )


if __name__ == "__main__":
    main()
