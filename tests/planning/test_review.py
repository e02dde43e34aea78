"""The monthly review (issue 17, items 5, 7, 8): last month's forecast, invoices, promises and
battle plan held against what followed, on a book small enough to check by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cashplan import Book
from cashplan.io.previous import PreviousReport
from cashplan.planning.plan import LEVERS, PlanPolicy
from cashplan.planning.review import learn_levers, review

SINCE, UNTIL = "2026-09-30", "2026-10-14"  # a Wednesday to a Wednesday


def _book() -> Book:
    rows = [  # invoice, customer, issued, due, amount, paid
        ("F1", "C1", "2026-09-01", "2026-09-20", "100", "2026-10-02"),
        ("F2", "C1", "2026-09-05", "2026-10-05", "200", "2026-10-06"),
        ("F3", "C2", "2026-10-03", "2026-10-20", "50", "2026-10-13"),  # issued after since
        ("F4", "C2", "2026-09-10", "2026-10-10", "300", ""),
        ("F5", "C1", "2026-08-01", "2026-09-01", "70", "2026-09-30"),  # paid on since: before
        ("F6", "C2", "2026-09-01", "2026-09-15", "40", "2026-10-15"),  # after until
        ("F 7", "C2", "2026-09-01", "2026-09-15", "10", "2026-10-08"),  # an id with a space
    ]
    invoices = pd.DataFrame(
        rows, columns=["invoice_id", "customer_id", "issue_date", "due_date", "amount", "paid_date"]
    ).assign(company="A")
    promises = pd.DataFrame(
        {
            "customer_id": ["C2", "C1", "C2", "C1"],
            "invoice_id": ["F4", "", "F6", ""],
            "promised_date": ["2026-10-05", "2026-10-04", "2026-10-12", "2026-09-25"],
            "amount": ["300", "250", "40", "10"],
            "recorded_on": ["2026-09-28", "2026-09-28", "2026-10-01", "2026-09-20"],
            "company": "A",
        }
    )
    activity = pd.DataFrame(
        {
            "date": ["2026-09-29", "2026-10-01", "2026-10-14", "2026-09-30"],
            "customer_id": ["C1", "C1", "C2", "C2"],
            "lever": ["call", "call", "dunning", "escalate"],
            "by": ["Léa", "Hugo", "Léa", "Karim"],
            "company": "A",
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["C1", "C2"], "name": ["Un", "Deux"], "owner": ["Léa", ""], "company": "A"}
    )
    return Book.from_frames(
        invoices=invoices, promises=promises, activity=activity, customers=customers
    )


def _previous(**changes: object) -> PreviousReport:
    weeks = pd.to_datetime(["2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19"])
    weekly = pd.DataFrame(
        {
            "company": ["A"] * 4 + ["ALL"] * 4,
            "week_start": [*weeks, *weeks],
            "expected": [150.0, 170.0, 35.0, 99.0] * 2,
            "total_expected": [150.0, 180.0, 70.0, 99.0] * 2,
            "total_p10": [120.0, 150.0, 56.0, 80.0] * 2,
            "total_p90": [180.0, 210.0, 84.0, 120.0] * 2,
        }
    )
    d = pd.to_datetime
    invoices = pd.DataFrame(
        {
            "company": "A",
            "invoice_id": ["F1", "F2", "F4", "F6", "F9"],
            "customer_id": ["C1", "C1", "C2", "C2", "C9"],
            "open_amount_rc": [100.0, 200.0, 300.0, 40.0, 5.0],
            "due_date": d(["2026-09-20", "2026-10-05", "2026-10-10", "2026-09-15", "2026-09-01"]),
            "expected_date": d(["2026-10-20", "2026-10-06", "2026-10-07", "2026-10-25", None]),
            "p10_date": d(["2026-10-10", "2026-10-01", "2026-10-05", "2026-10-15", None]),
            "p90_date": d(["2026-11-01", "2026-10-10", "2026-10-20", "2026-11-05", None]),
            "basis": "history",
        }
    )
    actions = pd.DataFrame(
        {
            "company": "A",
            "rank": [1, 2, 3, 4],
            "customer_id": ["C1", "C2", "C1", "C2"],
            "owner": ["Léa", "unassigned", "Léa", "unassigned"],
            "lever": ["call", "dunning", "discount", "escalate"],
            "amount_rc": [40.0, 60.0, 20.0, 5.0],
            "invoices": ["F1", "F4 F6", "F2", "F 7"],
            "name": ["Un", "Deux", "Un", "Deux"],
        }
    )
    fields: dict[str, object] = {
        "folder": Path("last"),
        "as_of": pd.Timestamp(SINCE),
        "scope": "ALL",
        "reporting_currency": "EUR",
        "companies": ("A",),
        "book": "book",
        "version": "0.1.0",
        "manifest_sha256": "0" * 64,
        "weekly": weekly,
        "invoices": invoices,
        "actions": actions,
        "levers": None,
    }
    return PreviousReport(**(fields | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def result():
    return review(_previous(), _book(), UNTIL)


def test_weekly_actual_is_what_was_settled_and_the_last_week_is_pro_rata(result) -> None:
    """Sep 28 week: F1 (100); Oct 5: F2 + F 7 (210); Oct 12 up to Oct 14: F3 (50), its forecast
    3/7 of 70 = 30; F5 (paid on since) and F6 (after until) are not counted; Oct 19 not reviewed."""
    weekly = result.weekly.loc[result.weekly["company"] == "A"]
    assert weekly["week_start"].dt.strftime("%m-%d").tolist() == ["09-28", "10-05", "10-12"]
    assert weekly["actual"].tolist() == [100.0, 210.0, 50.0]
    assert weekly["forecast"].round(6).tolist() == [150.0, 180.0, 30.0]
    assert weekly["difference"].round(6).tolist() == [50.0, -30.0, -20.0]
    assert weekly["days"].tolist() == [4, 7, 3]
    assert weekly["open_actual"].tolist() == [100.0, 210.0, 0.0]  # F3 was issued after since
    assert weekly["in_band"].tolist() == [False, True, False]
    everyone = result.weekly.loc[result.weekly["company"] == "ALL", "actual"]
    assert everyone.tolist() == [100.0, 210.0, 50.0]


def test_invoices_that_moved_and_promises_kept_or_broken(result) -> None:
    rows = result.invoices.set_index(["kind", "invoice_id"])
    assert rows.loc[("invoice", "F1"), "status"] == "earlier"  # paid Oct 2, p10 Oct 10
    assert rows.loc[("invoice", "F1"), "days_moved"] == -18
    assert rows.loc[("invoice", "F4"), "status"] == "not_paid"  # expected Oct 7, still open
    assert rows.loc[("invoice", "F4"), "amount_days"] == 300.0 * 7
    assert rows.loc[("invoice", "F9"), "status"] == "not_in_book"
    invoices = result.invoices.loc[result.invoices["kind"] == "invoice", "invoice_id"].tolist()
    assert invoices == ["F4", "F1", "F9"]  # F2 as expected, F6 pending; most moved first
    assert rows.loc[("invoice", "F1"), ["name", "owner"]].tolist() == ["Un", "Léa"]
    promises = result.invoices.loc[result.invoices["kind"] == "promise"]
    assert promises[["invoice_id", "status"]].values.tolist() == [
        ["", "kept"],  # account: 100 + 200 settled by Oct 9 >= 250
        ["F4", "broken"],  # not paid by Oct 10
        ["F6", "pending"],  # due Oct 12, tolerance to Oct 17
    ]


def test_every_action_of_last_month_done_or_only_planned_and_what_it_brought(result) -> None:
    acts = result.actions
    assert acts["rank"].tolist() == [1, 2, 3, 4]
    assert acts["done"].tolist() == [True, False, False, True]  # Oct 14 is this month's
    assert acts["done_on"].dt.strftime("%m-%d").tolist()[0] == "10-01"
    assert acts["done_by"].tolist() == ["Hugo", "", "", "Karim"]
    assert acts["collected_rc"].tolist() == [100.0, 0.0, 200.0, 10.0]
    assert acts["n_invoices"].tolist() == [1, 2, 1, 1]
    assert acts["success"].tolist() == [True, False, False, True]


def test_levers_learn_from_the_actions_done_only(result) -> None:
    levers = result.levers.set_index("lever")
    assert levers.loc["call", ["successes", "trials"]].tolist() == [1, 1]
    assert levers.loc["discount", ["successes", "trials"]].tolist() == [0, 0]  # only planned
    assert levers.loc["call", "posterior"] == pytest.approx((20 * 0.5 + 1) / 21)
    assert levers.loc["dunning", "posterior"] == pytest.approx(0.40)


def test_counts_carry_over_from_earlier_reviews() -> None:
    carried = pd.DataFrame({"lever": ["call"], "successes": [3], "trials": [10]})
    actions = pd.DataFrame(
        {"lever": ["call", "call"], "done": [True, True], "success": [True, False]}
    )
    levers = learn_levers(actions, carried, prior_strength=10).set_index("lever")
    assert levers.loc["call", ["successes", "trials"]].tolist() == [4, 12]
    assert levers.loc["call", "posterior"] == pytest.approx((10 * 0.5 + 4) / 22)
    assert levers["prior"].tolist() == LEVERS["success"].tolist()


def test_the_review_leaves_its_inputs_as_they_were() -> None:
    previous, book = _previous(), _book()
    before = [t.copy() for t in (previous.weekly, previous.invoices, previous.actions)]
    review(previous, book, UNTIL)
    after = (previous.weekly, previous.invoices, previous.actions)
    for old, new in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(old, new)


def test_plan_policy_uses_learned_rates_unless_pinned() -> None:
    policy = PlanPolicy(learned={"call": 0.9, "dunning": 0.1}, pinned=("dunning",))
    rates = policy.success()
    assert rates["call"] == 0.9 and rates["dunning"] == 0.40 and rates["litigation"] == 0.15
    assert np.array_equal(PlanPolicy().success().to_numpy(), LEVERS["success"].to_numpy())
