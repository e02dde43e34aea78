"""What the targets keep beside the book's tables (each company's first invoice month, the
cash collected by month) gives the targets worked out afresh, exactly, and follows the
tables and months it is asked for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.app.analysis import Analysis, Settings
from cashplan.planning.targets import (
    _by_month,
    _collected_by_month,
    book_starts,
    target_months,
)

AS_OF = "2026-10-31"


def _starts_afresh(invoices: pd.DataFrame, spending: pd.DataFrame) -> pd.DataFrame:
    """``book_starts`` as first written (the reference)."""
    first_spent = spending.groupby("company")["month"].min()
    first_issued = invoices.groupby("company")["issue_date"].min().dt.to_period("M")
    starts = pd.concat(
        {"first_spent": first_spent, "first_issued": first_issued.dt.to_timestamp()}, axis=1
    )
    return starts.rename_axis("company").reset_index()


def test_book_starts_kept_beside_the_invoices_are_the_ones_worked_out_afresh(sample_book):
    inv, spending = sample_book.invoices, sample_book.spending
    for _ in range(2):  # the second from what was kept
        pd.testing.assert_frame_equal(
            book_starts(inv, spending), _starts_afresh(inv, spending), check_exact=True
        )
    # other invoices (a company's oldest year dropped): their own starts, not the kept ones
    later = inv.loc[~((inv["company"] == "FR01") & (inv["issue_date"] < "2025-01-01"))]
    ours = book_starts(later, spending)
    pd.testing.assert_frame_equal(ours, _starts_afresh(later, spending), check_exact=True)
    assert not ours.equals(book_starts(inv, spending))


def test_collected_by_month_kept_follows_the_companies_and_months_asked(sample_book):
    a = Analysis(sample_book, Settings(as_of=AS_OF))
    collected = a.collected
    companies = sorted(collected["company"].unique())
    for months, who in [
        (target_months(pd.Timestamp(AS_OF)), companies),
        (target_months(pd.Timestamp(AS_OF)), companies),  # kept
        (target_months(pd.Timestamp("2026-06-30")), companies),
        (target_months(pd.Timestamp("2026-06-30")), companies[:1]),
    ]:
        got = _collected_by_month(collected, who, months)
        ones = np.ones(len(months))
        np.testing.assert_array_equal(got, _by_month(collected, "collected", who, months, ones))
        assert not got.flags.writeable


def test_targets_after_spending_changes_are_the_ones_of_a_fresh_analysis(sample_book):
    """The workbook's spending boxes: one company's override, then another's, then every
    company's category; each time the targets, need, disbursements and gap of a fresh
    analysis with those settings."""
    a = Analysis(sample_book, Settings(as_of=AS_OF, spending={"FR01/salaries": 90_000.0}))
    a.gap, a.disbursements  # noqa: B018 (computed, then carried over by replace)
    for spending in (
        {"FR01/salaries": 91_000.0},
        {"FR01/salaries": 91_000.0, "UK01/taxes": 7_000.0},
        {"salaries": 50_000.0},
    ):
        a = a.replace(spending=spending)
        fresh = Analysis(sample_book, Settings(as_of=AS_OF, spending=spending))
        for piece in ("targets", "need", "disbursements", "gap"):
            pd.testing.assert_frame_equal(
                getattr(a, piece), getattr(fresh, piece), check_exact=True, obj=piece
            )
