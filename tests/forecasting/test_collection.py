"""The collection forecast: conservation, conditioning, promises, disputes, adjustments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import Book, Fx
from cashplan.forecasting.collection import CollectionForecaster, buckets_for, forecast
from cashplan.ledger.items import open_items

AS_OF = "2026-10-31"  # a Saturday


def history(customer: str, delays: list[int], start: str = "2025-01-10") -> list[dict]:
    dues = pd.date_range(start, periods=len(delays), freq="14D")
    return [
        {
            "invoice_id": f"{customer}-H{i}",
            "customer_id": customer,
            "issue_date": (d - pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
            "due_date": d.strftime("%Y-%m-%d"),
            "amount": "100",
            "paid_date": (d + pd.Timedelta(days=late)).strftime("%Y-%m-%d"),
        }
        for i, (d, late) in enumerate(zip(dues, delays, strict=True))
    ]


def open_invoice(
    customer: str, invoice: str, due: str, amount: str = "1000", disputed: str = "false"
) -> dict:
    issue = (pd.Timestamp(due) - pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    return {
        "invoice_id": invoice,
        "customer_id": customer,
        "issue_date": issue,
        "due_date": due,
        "amount": amount,
        "paid_date": "",
        "disputed": disputed,
    }


def book_of(rows: list[dict], **tables: pd.DataFrame) -> Book:
    frame = pd.DataFrame(rows)
    if "disputed" in frame:
        frame["disputed"] = frame["disputed"].fillna("false")
    return Book.from_frames(invoices=frame, **tables)


def row(fc, invoice: str) -> pd.Series:
    return fc.invoices.set_index("invoice_id").loc[invoice]


def week_of(date: str) -> pd.Timestamp:
    d = pd.Timestamp(date)
    return d - pd.Timedelta(days=d.weekday())


def test_buckets_are_13_monday_weeks_then_months_to_six_months():
    b = buckets_for(AS_OF)
    weeks = b.loc[b["kind"] == "week"]
    assert len(weeks) == 13 and (weeks["start"].dt.day_of_week == 0).all()
    assert weeks["start"].iloc[0] <= pd.Timestamp("2026-11-01") < weeks["end"].iloc[0]
    months = b.loc[b["kind"] == "month"]
    assert months["end"].iloc[-1] == pd.Timestamp("2027-05-01")  # as-of + 6 months, inclusive
    assert (b["start"].iloc[1:].to_numpy() == b["end"].iloc[:-1].to_numpy()).all()


def test_a_steady_payer_pays_its_delay_after_the_due_date():
    """Always 10 days late: an invoice due 2026-11-19 is expected about 2026-11-29."""
    fc = forecast(
        book_of([*history("C1", [10] * 40), open_invoice("C1", "F1", "2026-11-19")]).invoices,
        AS_OF,
        Fx.identity(),
    )
    r = row(fc, "F1")
    assert abs((r["expected_date"] - pd.Timestamp("2026-11-29")).days) <= 1
    assert r["p10_date"] == r["p90_date"] == pd.Timestamp("2026-11-29")
    assert r["basis"] == "history"


def test_overdue_invoices_are_conditioned_on_being_unpaid_so_far():
    """Half paid 5 days late, half 60 days late. An invoice 20 days overdue at as-of belongs
    to the 60-day half: expected 60 days after its due date, not 'due yesterday'."""
    rows = [*history("C1", [5, 60] * 30), open_invoice("C1", "F1", "2026-10-11")]
    r = row(forecast(book_of(rows).invoices, AS_OF, Fx.identity()), "F1")
    assert abs((r["expected_date"] - pd.Timestamp("2026-12-10")).days) <= 2


def test_conservation_per_company_on_the_sample(sample_book):
    for policy in ("exclude", "long_delay"):
        fc = forecast(
            sample_book.invoices, AS_OF, sample_book.fx, sample_book.promises, dispute_policy=policy
        )
        open_rc = fc.invoices.groupby("company")["open_amount_rc"].sum()
        got = fc.buckets.groupby("company")["expected"].sum()
        for company, amount in open_rc.items():
            assert got[company] == pytest.approx(amount, rel=1e-9)
        assert got["ALL"] == pytest.approx(open_rc.sum(), rel=1e-9)
        weeks = fc.buckets.loc[fc.buckets["kind"] != "beyond"]
        assert (weeks["p10"] <= weeks["expected"] + 1e-6).all()
        assert (weeks["expected"] <= weeks["p90"] + 1e-6).all()
        dated = fc.invoices.dropna(subset=["p10_date"])
        assert (dated["p10_date"] <= dated["p90_date"]).all()


def test_a_promise_moves_its_invoice_into_the_promised_week():
    rows = [*history("C1", [45] * 30), open_invoice("C1", "F1", "2026-10-20")]
    promises = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "invoice_id": ["F1"],
            "promised_date": ["2026-11-12"],
            "amount": ["1000"],
            "recorded_on": ["2026-10-30"],
        }
    )
    book = book_of(rows, promises=promises)
    keep = pd.Series([1.0], index=pd.MultiIndex.from_tuples([("default", "C1")]))
    fc = forecast(book.invoices, AS_OF, Fx.identity(), book.promises, promise_keeping=keep)
    r = row(fc, "F1")
    assert (r["expected_date"], r["basis"]) == (pd.Timestamp("2026-11-12"), "promise")
    b = fc.buckets.loc[fc.buckets["company"] == "ALL"].set_index("start")
    assert b.loc[week_of("2026-11-12"), "expected"] == pytest.approx(1000.0)
    # with the default 80 % keeping, 800 lands in that week and the rest follows the history
    fc80 = forecast(book.invoices, AS_OF, Fx.identity(), book.promises)
    b80 = fc80.buckets.loc[fc80.buckets["company"] == "ALL"].set_index("start")
    assert b80.loc[week_of("2026-11-12"), "expected"] >= 800.0 - 1e-6


def test_a_promise_recorded_after_as_of_is_not_known_yet():
    rows = [*history("C1", [45] * 30), open_invoice("C1", "F1", "2026-10-20")]
    promises = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "invoice_id": ["F1"],
            "promised_date": ["2026-11-12"],
            "amount": ["1000"],
            "recorded_on": ["2026-11-05"],
        }
    )
    book = book_of(rows, promises=promises)
    assert (
        row(forecast(book.invoices, AS_OF, Fx.identity(), book.promises), "F1")["basis"]
        == "history"
    )


def test_an_account_promise_covers_the_oldest_invoices_first():
    rows = [
        *history("C1", [45] * 30),
        open_invoice("C1", "OLD", "2026-09-01", "300"),
        open_invoice("C1", "MID", "2026-09-15", "300"),
        open_invoice("C1", "NEW", "2026-10-15", "300"),
    ]
    promises = pd.DataFrame(
        {
            "customer_id": ["C1"],
            "invoice_id": [""],
            "promised_date": ["2026-11-20"],
            "amount": ["450"],
            "recorded_on": ["2026-10-30"],
        }
    )
    book = book_of(rows, promises=promises)
    basis = forecast(book.invoices, AS_OF, Fx.identity(), book.promises).invoices.set_index(
        "invoice_id"
    )["basis"]
    assert basis.to_dict() == {"OLD": "promise", "MID": "promise", "NEW": "history"}


def test_dispute_policies():
    rows = [*history("C1", [5] * 30), open_invoice("C1", "D1", "2026-10-01", disputed="true")]
    book = book_of(rows)
    excluded = forecast(book.invoices, AS_OF, Fx.identity(), dispute_policy="exclude")
    b = excluded.buckets.loc[excluded.buckets["company"] == "ALL"].set_index("kind")
    assert b.loc["beyond", "expected"] == pytest.approx(1000.0)
    assert row(excluded, "D1")["basis"] == "disputed"
    slow = forecast(book.invoices, AS_OF, Fx.identity(), dispute_policy="long_delay")
    r = row(slow, "D1")
    assert pd.Timestamp("2026-12-30") <= r["expected_date"] <= pd.Timestamp("2027-06-28")
    with pytest.raises(ValueError, match="dispute_policy"):
        forecast(book.invoices, AS_OF, Fx.identity(), dispute_policy="ignore")  # type: ignore[arg-type]


def disputed_history(customer: str, delays: list[int], start: str = "2025-01-17") -> list[dict]:
    return [
        {**r, "invoice_id": r["invoice_id"].replace("-H", "-D"), "disputed": "true"}
        for r in history(customer, delays, start)
    ]


def test_disputes_are_learned_from_settled_disputes_where_there_are_enough():
    # C1 pays on time, except its disputed invoices: 40 days late; C2 has no dispute history
    rows = [
        *history("C1", [0] * 30),
        *disputed_history("C1", [40] * 30),
        *history("C2", [0] * 30),
        open_invoice("C1", "D1", "2026-11-10", disputed="true"),
        open_invoice("C1", "N1", "2026-11-10"),
        open_invoice("C2", "D2", "2026-11-10", disputed="true"),
        open_invoice("C1", "OLD", "2026-09-01", disputed="true"),  # 60 days past due
    ]
    book = book_of(rows)
    fc = forecast(book.invoices, AS_OF, Fx.identity())  # auto: 30 settled disputes are enough
    assert fc.disputes[["company", "policy", "settled_disputes", "open_disputed"]].to_dict(
        "records"
    ) == [{"company": "default", "policy": "learned", "settled_disputes": 30, "open_disputed": 3}]
    near = pd.Timedelta(days=1)  # the 0.2 % floor moves a mean by under a day
    assert abs(row(fc, "D1")["expected_date"] - pd.Timestamp("2026-12-20")) <= near  # due + 40
    assert row(fc, "D1")["basis"] == "disputed"
    # the undisputed invoice follows the undisputed history only
    assert abs(row(fc, "N1")["expected_date"] - pd.Timestamp("2026-11-10")) <= near
    # a customer without disputes of its own gets the company's (all of C1's here)
    assert abs(row(fc, "D2")["expected_date"] - pd.Timestamp("2026-12-20")) <= near
    # conditioned on its age like any invoice: 60 days past due, the 40 days are gone,
    # what is left is the 0.2 % floor, spread to the grid's end
    assert row(fc, "OLD")["expected_date"] > pd.Timestamp("2026-10-31")
    b = fc.buckets.loc[fc.buckets["company"] == "ALL"].set_index("start")["expected"]
    assert b[week_of("2026-12-20")] == pytest.approx(2000.0, rel=0.01)  # D1 and D2
    explicit = forecast(book.invoices, AS_OF, Fx.identity(), dispute_policy="learned")
    pd.testing.assert_frame_equal(explicit.buckets, fc.buckets)
    excluded = forecast(book.invoices, AS_OF, Fx.identity(), dispute_policy="exclude")
    assert pd.isna(row(excluded, "D1")["expected_date"])
    assert excluded.disputes["policy"].tolist() == ["exclude"]


def test_too_few_settled_disputes_fall_back_to_exclude_unless_learned_is_asked():
    rows = [
        *history("C1", [0] * 30),
        *disputed_history("C1", [40] * 5),
        open_invoice("C1", "D1", "2026-11-10", disputed="true"),
    ]
    book = book_of(rows)
    auto = forecast(book.invoices, AS_OF, Fx.identity())
    assert auto.disputes["policy"].tolist() == ["exclude"]
    assert pd.isna(row(auto, "D1")["expected_date"])
    learned = forecast(book.invoices, AS_OF, Fx.identity(), dispute_policy="learned")
    assert learned.disputes["policy"].tolist() == ["learned"]
    near = pd.Timedelta(days=1)
    assert abs(row(learned, "D1")["expected_date"] - pd.Timestamp("2026-12-20")) <= near
    # a book without any settled dispute: "learned" has nothing to learn from
    bare = book_of([*history("C1", [0] * 30), open_invoice("C1", "D1", "2026-11-10", "1", "true")])
    fc = forecast(bare.invoices, AS_OF, Fx.identity(), dispute_policy="learned")
    assert fc.disputes["policy"].tolist() == ["exclude"]


def test_adjustments_shift_or_pin():
    rows = [
        *history("C1", [10] * 30),
        *history("C2", [10] * 30),
        open_invoice("C1", "F1", "2026-11-19"),
        open_invoice("C2", "F2", "2026-11-19"),
    ]
    adjustments = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "invoice_id": ["", "F2"],
            "shift_days": ["30", ""],
            "to_date": ["", "2027-01-05"],
            "recorded_on": ["2026-10-30", "2026-10-30"],
        }
    )
    book = book_of(rows, adjustments=adjustments)
    fc = forecast(book.invoices, AS_OF, Fx.identity(), adjustments=book.adjustments)
    assert abs((row(fc, "F1")["expected_date"] - pd.Timestamp("2026-12-29")).days) <= 1
    assert row(fc, "F2")["expected_date"] == pd.Timestamp("2027-01-05")
    assert set(fc.invoices["basis"]) == {"adjusted"}


def test_row_order_does_not_matter_and_nothing_is_mutated(sample_book):
    inv = sample_book.invoices
    before = inv.copy()
    a = forecast(inv, AS_OF, sample_book.fx, sample_book.promises)
    b = forecast(
        inv.sample(frac=1.0, random_state=5),
        AS_OF,
        sample_book.fx,
        sample_book.promises.sample(frac=1.0, random_state=6),
    )
    pd.testing.assert_frame_equal(inv, before)
    key = ["company", "invoice_id"]
    pd.testing.assert_frame_equal(
        a.invoices.sort_values(key).reset_index(drop=True),
        b.invoices.sort_values(key).reset_index(drop=True),
    )
    np.testing.assert_allclose(a.buckets["expected"], b.buckets["expected"], rtol=1e-9)


def test_a_payment_run_payer_is_expected_on_its_run_day():
    """A customer that always pays on the 25th (after its due date): an invoice due
    2026-11-03 is expected on 2026-11-25 and all of it lands in that week."""
    dues = pd.date_range("2025-01-03", periods=21, freq="MS") + pd.Timedelta(days=2)
    rows = [
        {
            "invoice_id": f"H{i}",
            "customer_id": "RUN",
            "issue_date": (d - pd.Timedelta(days=30)).strftime("%Y-%m-%d"),
            "due_date": d.strftime("%Y-%m-%d"),
            "amount": "100",
            "paid_date": d.replace(day=25).strftime("%Y-%m-%d"),
        }
        for i, d in enumerate(dues)
    ] + [open_invoice("RUN", "F1", "2026-11-03")]
    fc = forecast(book_of(rows).invoices, AS_OF, Fx.identity())
    r = row(fc, "F1")
    assert r["expected_date"] == r["p10_date"] == r["p90_date"] == pd.Timestamp("2026-11-25")
    b = fc.buckets.loc[fc.buckets["company"] == "ALL"].set_index("start")
    assert b.loc[week_of("2026-11-25"), "expected"] == pytest.approx(1000.0)


def test_the_forecaster_predicts_what_forecast_gives_and_a_promise_needs_no_refit(
    sample_book,
) -> None:
    book = sample_book
    first = book.promises.iloc[0]
    keep = pd.Series(0.6, index=pd.MultiIndex.from_tuples([(first.company, first.customer_id)]))
    model = CollectionForecaster(half_life_days=200.0, weeks=8).fit(book.invoices, AS_OF, book.fx)
    assert model.items_.equals(open_items(book.invoices, AS_OF, book.fx))
    assert model.cdf_.shape[0] == len(model.customers_) == len(model.arrays_.customers)
    for promises in (None, book.promises):
        one_shot = forecast(
            book.invoices,
            AS_OF,
            book.fx,
            promises,
            book.adjustments,
            keep,
            "long_delay",
            half_life_days=200.0,
            weeks=8,
        )
        again = model.predict(promises, book.adjustments, keep, "long_delay")
        pd.testing.assert_frame_equal(one_shot.invoices, again.invoices)
        pd.testing.assert_frame_equal(one_shot.buckets, again.buckets)
        np.testing.assert_array_equal(one_shot.month_mass, again.month_mass)


def test_what_ifs_on_the_same_tables_read_the_promises_once_and_other_tables_afresh(
    sample_book, monkeypatch
) -> None:
    """A what-if forecasting the book again with the same promise and adjustment tables (other
    delays) reuses the promised dates read for them; other tables (a promise dropped) are
    read afresh (the live promises dropped): the forecast is a fresh forecaster's."""
    from cashplan.forecasting import collection

    book = sample_book
    model = CollectionForecaster().fit(book.invoices, AS_OF, book.fx)
    model.predict(book.promises, book.adjustments)
    keys = pd.MultiIndex.from_frame(model.customers_)
    later = pd.Series(15, index=keys)

    def refused(*args, **kwargs):
        raise AssertionError("the promises were read again")

    with monkeypatch.context() as patch:
        patch.setattr(collection, "promised_dates", refused)
        delayed = model.predict(book.promises, book.adjustments, delay_days=later)
    fresh = CollectionForecaster().fit(book.invoices, AS_OF, book.fx)
    expected = fresh.predict(book.promises, book.adjustments, delay_days=later)
    pd.testing.assert_frame_equal(delayed.invoices, expected.invoices)
    promises = book.promises
    fewer = promises.loc[promises["promised_date"] < AS_OF].reset_index(drop=True)  # none live
    for promises in (fewer, None):
        again = model.predict(promises, book.adjustments, delay_days=later)
        expected = fresh.predict(promises, book.adjustments, delay_days=later)
        pd.testing.assert_frame_equal(again.invoices, expected.invoices)
        np.testing.assert_array_equal(again.fine_mass, expected.fine_mass)
    assert not model.predict(fewer).invoices.equals(model.predict(book.promises).invoices)


def test_an_unfitted_forecaster_says_so() -> None:
    with pytest.raises(ValueError, match="call fit first"):
        CollectionForecaster().predict()


def test_update_forecasts_again_the_customers_named_and_gives_what_predict_gives(
    sample_book,
) -> None:
    """After an account promise, an invoice promise and a shift of two customers, ``update``
    from the forecast before them equals ``predict`` with them, exactly; the other customers'
    invoices are taken as they were."""
    book = sample_book
    model = CollectionForecaster().fit(book.invoices, AS_OF, book.fx)
    before = model.predict(book.promises, book.adjustments, None, "long_delay")
    items = model.items_
    a, b = items.iloc[0], items.loc[items["customer_id"] != items["customer_id"].iloc[0]].iloc[0]
    promises = pd.concat(
        [
            book.promises,
            pd.DataFrame(
                {
                    "company": [a["company"], b["company"]],
                    "customer_id": [a["customer_id"], b["customer_id"]],
                    "invoice_id": ["", b["invoice_id"]],
                    "promised_date": pd.to_datetime(["2026-11-20", "2026-12-04"]),
                    "amount": [a["open_amount"] * 1.5, 10.0],
                    "recorded_on": pd.to_datetime([AS_OF, AS_OF]),
                }
            ),
        ],
        ignore_index=True,
    )
    adjustments = pd.DataFrame(
        {
            "company": [a["company"]],
            "customer_id": [a["customer_id"]],
            "invoice_id": [""],
            "shift_days": [20.0],
            "to_date": pd.to_datetime([pd.NaT]),
            "recorded_on": pd.to_datetime([AS_OF]),
        }
    )
    named = pd.DataFrame({"company": [a["company"], b["company"]]})
    named["customer_id"] = [a["customer_id"], b["customer_id"]]
    fresh = model.predict(promises, adjustments, None, "long_delay")
    updated = model.update(before, named, promises, adjustments, None, "long_delay")
    for field in ("invoices", "buckets", "months", "month_windows", "disputes"):
        pd.testing.assert_frame_equal(getattr(updated, field), getattr(fresh, field), obj=field)
    np.testing.assert_array_equal(updated.month_mass, fresh.month_mass)
    np.testing.assert_array_equal(updated.fine_mass, fresh.fine_mass)
    moved = fresh.invoices["customer_id"].isin(named["customer_id"])
    assert (fresh.invoices.loc[moved, "basis"] != before.invoices.loc[moved, "basis"]).any()
    pd.testing.assert_frame_equal(fresh.invoices.loc[~moved], before.invoices.loc[~moved])


def test_the_invoice_table_is_the_items_selection_with_the_dates_and_basis_added(
    sample_book,
) -> None:
    """``Forecast.invoices`` built at once from the items' columns is the table first built by
    selecting the items' columns and adding the dates and the basis one by one."""
    from cashplan.fast.frames import text_from_codes
    from cashplan.forecasting.promises import BASES

    book = sample_book
    model = CollectionForecaster().fit(book.invoices, AS_OF, book.fx)
    fc = model.predict(book.promises, book.adjustments)
    out = model.items_[["company", "invoice_id", "customer_id", "open_amount_rc", "due_date"]]
    for name in ("expected_date", "p10_date", "p90_date"):
        out[name] = fc.invoices[name].to_numpy()
    codes = pd.Categorical(fc.invoices["basis"], categories=BASES).codes
    out["basis"] = text_from_codes(codes, BASES)
    assert fc.invoices["basis"].nunique() >= 3
    pd.testing.assert_frame_equal(fc.invoices, out.reset_index(drop=True), check_exact=True)
    np.testing.assert_array_equal(fc.customer, model.item_customer_)
    assert fc.customers is model.customers_ and not fc.customer.flags.writeable
