"""Payer reliability scoring: ordering of payers, shrinkage, priors, promises, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import Book
from cashplan.forecasting.reliability import PayerScorer


def ledger(rows: list[tuple[str, str, int]], extra: list[tuple[str, str]] = ()) -> Book:
    """Settled invoices (customer, due date, days late) of 1,000 each; ``extra`` are open
    invoices (customer, due date)."""
    data = [
        {
            "invoice_id": f"F{i}",
            "customer_id": c,
            "issue_date": (pd.Timestamp(d) - pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
            "due_date": d,
            "amount": "1000",
            "paid_date": (pd.Timestamp(d) + pd.Timedelta(days=late)).strftime("%Y-%m-%d"),
        }
        for i, (c, d, late) in enumerate(rows)
    ] + [
        {
            "invoice_id": f"O{i}",
            "customer_id": c,
            "issue_date": (pd.Timestamp(d) - pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
            "due_date": d,
            "amount": "1000",
            "paid_date": "",
        }
        for i, (c, d) in enumerate(extra)
    ]
    return Book.from_frames(invoices=pd.DataFrame(data))


def monthly(customer: str, start: str, months: int, late) -> list[tuple[str, str, int]]:
    dates = pd.date_range(start, periods=months, freq="MS") + pd.Timedelta(days=9)
    return [(customer, d.strftime("%Y-%m-%d"), int(late(i))) for i, d in enumerate(dates)]


def scores(scorer: PayerScorer) -> pd.Series:
    return scorer.summary_.set_index("customer_id")["score"]


def test_punctual_late_and_erratic_are_ordered():
    book = ledger(
        monthly("PUNCTUAL", "2024-01-01", 30, lambda i: 0)
        + monthly("LATE", "2024-01-01", 30, lambda i: 35)
        + monthly("ERRATIC", "2024-01-01", 30, lambda i: 60 * (i % 2))
    )
    s = scores(PayerScorer().fit(book.invoices, "2026-10-31"))
    # late: 35 days every time -> 100 - 31.5 (avg) - 25 (share) = 43.5 before shrinkage;
    # erratic: 0 and 60 days in turn -> avg 30, share 0.5, spread 30 -> 100 - 27 - 12.5 - 9 = 51.5
    assert s["PUNCTUAL"] > s["ERRATIC"] > s["LATE"]
    assert s["PUNCTUAL"] >= 80 and s["ERRATIC"] < 60 and s["LATE"] < 50


def test_a_deteriorating_payer_scores_lower_than_a_year_before():
    """Days late grow from 0 to about 60 over three years: the score must fall."""
    book = ledger(
        monthly("WORSE", "2023-11-01", 36, lambda i: 2 * i)
        + monthly("STEADY", "2023-11-01", 36, lambda i: 3)
    )
    now = scores(PayerScorer().fit(book.invoices, "2026-10-31"))
    before = scores(PayerScorer().fit(book.invoices, "2025-10-31"))
    assert now["WORSE"] < before["WORSE"] - 10
    summary = PayerScorer().fit(book.invoices, "2026-10-31").summary_.set_index("customer_id")
    assert summary.loc["WORSE", "trend_days_per_year"] > 15


def test_thin_history_is_shrunk_toward_the_company_and_no_history_is_kept():
    book = ledger(
        monthly("GOOD1", "2024-01-01", 30, lambda i: 0)
        + monthly("GOOD2", "2024-01-01", 30, lambda i: 1)
        + [("ONCE_LATE", "2026-06-10", 40)]
        + monthly("ALWAYS_LATE", "2025-01-01", 20, lambda i: 40),
        extra=[("NEW", "2026-11-15")],
    )
    scorer = PayerScorer().fit(book.invoices, "2026-10-31")
    s = scores(scorer)
    assert s["ONCE_LATE"] > s["ALWAYS_LATE"] + 10  # one late invoice is weak evidence
    summary = scorer.summary_.set_index("customer_id")
    assert summary.loc["NEW", "basis"] == "company prior" and summary.loc["NEW", "n_settled"] == 0
    assert len(summary) == 5  # nobody dropped


def test_broken_promises_lower_the_score():
    rows = monthly("KEEPS", "2025-01-01", 20, lambda i: 20) + monthly(
        "BREAKS", "2025-01-01", 20, lambda i: 20
    )
    book = ledger(rows)
    inv = book.invoices
    promises = pd.DataFrame(
        {
            "company": "default",
            "customer_id": inv["customer_id"],
            "invoice_id": inv["invoice_id"],
            "promised_date": np.where(
                inv["customer_id"] == "KEEPS",
                inv["paid_date"],
                inv["due_date"] + pd.Timedelta(days=5),
            ),
            "amount": inv["amount"],
            "recorded_on": inv["due_date"],
        }
    )
    scorer = PayerScorer().fit(inv, "2026-10-31", promises)
    summary = scorer.summary_.set_index("customer_id")
    assert (
        summary.loc["KEEPS", "broken_promise_share"] < summary.loc["BREAKS", "broken_promise_share"]
    )
    assert summary.loc["KEEPS", "score"] > summary.loc["BREAKS", "score"]


def test_promise_keeping_is_learned_with_0_8_as_its_prior():
    """Every promise of the company is broken: its keeping falls from the 0.8 prior toward
    0, a customer without promises gets the company's figure (not 0.8, not 1)."""
    rows = (
        monthly("BREAKS", "2025-01-01", 20, lambda i: 20)
        + monthly("ALSO", "2025-01-01", 20, lambda i: 20)
        + monthly("NONE", "2025-01-01", 20, lambda i: 0)
    )
    inv = ledger(rows).invoices
    broken = inv.loc[inv["customer_id"] != "NONE"]
    promises = pd.DataFrame(
        {
            "company": "default",
            "customer_id": broken["customer_id"],
            "invoice_id": broken["invoice_id"],
            "promised_date": broken["due_date"] + pd.Timedelta(days=5),
            "amount": broken["amount"],
            "recorded_on": broken["due_date"],
        }
    )
    keep = PayerScorer().fit(inv, "2026-10-31", promises).promise_keeping()
    keep = keep.droplevel("company")
    company = (0 + 5 * 0.8) / (40 + 5)  # 40 promises, none kept, 5 promises' worth of 0.8
    assert keep["NONE"] == pytest.approx(company)
    assert keep["BREAKS"] == pytest.approx((0 + 5 * company) / (20 + 5))
    without = PayerScorer().fit(inv, "2026-10-31").promise_keeping()
    assert without.tolist() == pytest.approx([0.8, 0.8, 0.8])


def test_threshold_moves_the_class_without_refitting(sample_book):
    scorer = PayerScorer().fit(sample_book.invoices, "2026-10-31", sample_book.promises)
    strict = scorer.classify(threshold=90)
    lax = scorer.classify(threshold=10)
    assert (strict["reliability"] == "reliable").sum() < (lax["reliability"] == "reliable").sum()
    assert strict["score"].equals(scorer.summary_["score"])
    assert scorer.summary_["score"].between(0, 100).all()


def test_sample_scores_do_not_depend_on_row_order_and_inputs_are_untouched(sample_book):
    inv = sample_book.invoices
    before = inv.copy()
    a = PayerScorer().fit(inv, "2026-10-31", sample_book.promises).summary_
    b = (
        PayerScorer()
        .fit(
            inv.sample(frac=1.0, random_state=1),
            "2026-10-31",
            sample_book.promises.sample(frac=1.0, random_state=2),
        )
        .summary_
    )
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(inv, before)
    assert len(a) == inv[["company", "customer_id"]].drop_duplicates().shape[0]


def test_repr_and_parameters():
    scorer = PayerScorer(half_life_days=180, threshold=70)
    assert "half_life_days=180" in repr(scorer) and not hasattr(scorer, "summary_")
    with pytest.raises(AttributeError):
        scorer.classify()
