"""Payment-run detection: run-day payers are found, payers on random days are not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan import Book
from cashplan.fast.arrays import day_number, ledger_arrays
from cashplan.fast.history import decay_table
from cashplan.forecasting.payment_runs import run_day_payers

AS_OF = pd.Timestamp("2026-10-31")


def _payers(rng: np.random.Generator, n_customers: int, run: bool) -> pd.DataFrame:
    """Customers with 6 to 14 invoices over two years, amounts spread as a real book's
    (lognormal, one invoice often much larger than the rest), paid 0-40 days after the
    due date on any day, some settling two or three invoices with one transfer; or, with
    ``run``, always on the 25th."""
    rows = []
    for c in range(n_customers):
        n = int(rng.integers(6, 15))
        due = AS_OF - pd.to_timedelta(np.sort(rng.integers(60, 730, n)), unit="D")
        paid = due + pd.to_timedelta(rng.integers(0, 41, n), unit="D")
        if run:
            month = paid.to_period("M").to_timestamp() + pd.Timedelta(days=24)
            paid = pd.DatetimeIndex(np.where(paid <= month, month, month + pd.DateOffset(months=1)))
        else:
            batch = np.flatnonzero(rng.random(n) < 0.3)  # paid with the invoice before it
            batch = batch[batch > 0]
            paid = paid.to_numpy().copy()
            paid[batch] = np.maximum(paid[batch - 1], paid[batch])
            paid = pd.DatetimeIndex(paid)
        rows.append(
            pd.DataFrame(
                {
                    "invoice_id": [f"C{c}-{i}" for i in range(n)],
                    "customer_id": f"C{c:03d}",
                    "issue_date": due - pd.Timedelta(days=30),
                    "due_date": due,
                    "amount": rng.lognormal(7.0, 1.2, n).round(2),
                    "paid_date": paid,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _run_days(invoices: pd.DataFrame) -> np.ndarray:
    book = Book.from_frames(invoices=invoices)
    arrays = ledger_arrays(book.invoices)
    when = day_number(AS_OF)
    run_day, _ = run_day_payers(arrays, when, decay_table(arrays.paid, when, 365.0))
    return run_day


def test_payers_on_random_days_are_not_payment_run_payers():
    run_day = _run_days(_payers(np.random.default_rng(5), 200, run=False))
    assert (run_day > 0).sum() == 0


def test_payers_on_the_25th_are_found_once_they_paid_so_in_six_months():
    invoices = _payers(np.random.default_rng(6), 50, run=True)
    months = invoices.groupby("customer_id")["paid_date"].agg(
        lambda p: p.dt.to_period("M").nunique()
    )
    run_day = _run_days(invoices)  # customers in id order, as ledger_arrays numbers them
    assert (run_day[months.to_numpy() >= 6] == 25).all()
    assert (run_day[months.to_numpy() < 6] == 0).all()
    assert (months >= 6).sum() >= 40
