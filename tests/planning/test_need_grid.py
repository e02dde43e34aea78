"""The cash need's month grid on arrays against the pandas pivot it replaced.

``_pivot_need`` below is the former body of ``cash_need`` (a groupby, unstack, reindex
and melt per company), kept here as the reference: the array version must give the same
frame, value for value and type for type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.core.fx import Fx
from cashplan.planning.targets import _one_off, _rate, cash_need, target_months
from tests.conftest import no_spending


def _pivot_need(spending, fx, months, safety_margin=0.0):
    spe = spending.assign(
        amount=fx.convert(spending["amount"], spending["currency"], spending["month"]),
        one_off=_one_off(spending),
    )
    spe = spe.groupby(["company", "month", "category", "one_off"], as_index=False).agg(
        amount=("amount", "sum")
    )
    frames = []
    for company, g in spe.groupby("company", sort=True):
        table = g.groupby(["month", "category"])["amount"].sum().unstack(fill_value=0)
        recorded = table.reindex(months)
        run_rate = _rate(g.loc[~g["one_off"]], table.columns)
        before = np.asarray(months < table.index.min())
        basis = np.select(
            [before, np.asarray(recorded.notna().all(axis=1))],
            ["before the book", "recorded"],
            default="run rate",
        )
        filled = recorded.fillna(run_rate)
        filled.loc[before] = 0.0
        filled = filled * (1.0 + safety_margin)
        long = (
            filled.rename_axis(index="month", columns=None)
            .reset_index()
            .melt(id_vars="month", var_name="category", value_name="amount")
        )
        long["basis"] = pd.Series(basis, index=months).reindex(long["month"]).to_numpy()
        long.insert(0, "company", company)
        frames.append(long)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("as_of", ["2026-10-31", "2024-03-31"])
@pytest.mark.parametrize("margin", [0.0, 0.1])
def test_need_matches_the_pivot_on_the_sample(sample_book, as_of, margin) -> None:
    months = target_months(as_of)
    for spending in (
        sample_book.spending,
        Analysis(sample_book, Settings(as_of=as_of, spending={"FR01/salaries": 2e6})).spending,
    ):
        got = cash_need(spending, sample_book.fx, months, margin)
        want = _pivot_need(spending, sample_book.fx, months, margin)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_need_matches_the_pivot_with_one_offs_gaps_and_duplicates() -> None:
    rows = [
        ("2026-06-01", "salaries", 100.0, "B", "EUR", pd.NaT),
        ("2026-06-01", "salaries", 0.1, "B", "EUR", pd.NaT),
        ("2026-06-01", "salaries", 0.2, "B", "EUR", "2026-06-12"),  # a one-off, same month
        ("2026-08-01", "rent", 33.3, "B", "EUR", pd.NaT),
        ("2026-11-01", "taxes", 7.7, "B", "EUR", "2026-11-03"),  # one-off alone in its month
        ("2026-09-01", "external", 50.0, "A", "GBP", pd.NaT),
        ("2026-10-01", "external", 51.0, "A", "EUR", pd.NaT),
        ("2026-12-01", "loans", 9.0, "A", "EUR", "2026-12-05"),
    ]
    columns = ["month", "category", "amount", "company", "currency", "date"]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.assign(
        month=pd.to_datetime(frame["month"]).astype("datetime64[us]"),
        date=pd.to_datetime(frame["date"]).astype("datetime64[us]"),
    )
    rates = pd.DataFrame(
        {"date": pd.to_datetime(["2026-01-01"]), "currency": ["GBP"], "rate": [1.1]}
    )
    fx = Fx(rates, "EUR")
    months = target_months("2026-10-31")
    got = cash_need(frame, fx, months, 0.05)
    pd.testing.assert_frame_equal(got, _pivot_need(frame, fx, months, 0.05), check_exact=True)
    assert set(got["basis"]) == {"before the book", "recorded", "run rate"}


def test_no_spending_no_need() -> None:
    spe = no_spending()
    need = cash_need(spe, Fx.identity("EUR"), target_months("2026-10-31"))
    assert need.empty
    assert list(need.columns) == ["company", "month", "category", "amount", "basis"]
