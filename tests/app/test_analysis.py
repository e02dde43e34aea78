"""Analysis and Settings: every figure of a book at a date, recomputing only what a change touches.

``Analysis.replace`` carries over the pieces a change leaves as they were, following the
hand-kept ``_DEPENDS`` of app/analysis.py. The property test guards that table: after any
one change of a setting or of an edited table, every piece of the replaced analysis equals
the piece of an analysis built afresh; the direct tests say which pieces are reused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashplan.app import analysis as analysis_module
from cashplan.app.analysis import Analysis, Settings
from cashplan.app.scenarios import comparison, scenario_overview
from cashplan.core.errors import CashplanError
from cashplan.io.book import Book, read_book
from cashplan.sample import make_book
from tests.conftest import SAMPLE

AS_OF = "2026-10-31"
# the pieces: what _DEPENDS names and Analysis computes (new pieces join by themselves)
PIECES = [name for name in analysis_module._DEPENDS if hasattr(Analysis, name)]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return make_book(n_invoices=1500, n_customers=12)


@pytest.fixture(scope="module")
def book(tables: dict[str, pd.DataFrame]) -> Book:
    return Book.from_frames(**tables)


@pytest.fixture(scope="module")
def base(book: Book) -> Analysis:
    """The analysis every change starts from, with every piece computed (so that all can be
    carried over)."""
    a = Analysis(book, Settings(as_of=AS_OF))
    for name in PIECES:
        getattr(a, name)
    return a


def assert_same(a: Any, b: Any, where: str) -> None:
    """Equal values, looking into the frames, arrays and fields of the pieces."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b, obj=where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dict__") and not callable(a):
        assert type(a) is type(b), where
        assert_same(vars(a), vars(b), where)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_all_pieces_fresh(replaced: Analysis, book: Book, settings: Settings) -> None:
    fresh = Analysis(book, settings)
    assert replaced.settings == settings
    for name in PIECES:
        assert_same(getattr(replaced, name), getattr(fresh, name), name)


# ---- every setting, and each edit of the tables -----------------------------------------------

days = st.dates(dt.date(2025, 3, 31), dt.date(2026, 10, 31)).map(str)
SETTINGS = {
    "as_of": days,
    "company": st.sampled_from(["FR01", "UK01"]),
    "k": st.integers(2, 12),
    "safety_margin": st.floats(0.01, 1.0),
    "surplus_lowers": st.just(True),
    "threshold": st.floats(0.0, 100.0).filter(lambda x: x != 60.0),
    "dispute_policy": st.just("long_delay"),
    "discount_rate": st.floats(0.0, 0.5).filter(lambda x: x != 0.02),
    "cost_of_funds": st.floats(0.0, 1.0).filter(lambda x: x != 0.05),
    "spending": st.dictionaries(
        st.sampled_from(["salaries", "taxes", "external", "loans", "FR01/salaries", "UK01/loans"]),
        st.floats(0.0, 5e6),
        min_size=1,
        max_size=3,
    ),
}
EDITS = ["promise to come", "promise broken", "promise dropped", "shift", "pin"]


def with_row(book: Book, table: str, row: dict[str, Any]) -> Book:
    """``book`` with a row added to ``table``, validated like a file; the other tables kept."""
    added = pd.concat([getattr(book, table).astype(object), pd.DataFrame([row])], ignore_index=True)
    typed = Book.from_frames(invoices=book.invoices, fx_rates=book.fx_rates, **{table: added})
    return dataclasses.replace(book, **{table: getattr(typed, table)})


def edited(data: st.DataObject, book: Book, kind: str) -> Book:
    """The book after one edit of its promises or adjustments (the other tables kept)."""
    if kind == "promise dropped":
        keep = np.ones(len(book.promises), bool)
        keep[data.draw(st.integers(0, len(keep) - 1), label="dropped")] = False
        return dataclasses.replace(book, promises=book.promises.loc[keep].reset_index(drop=True))
    inv, as_of = book.invoices, pd.Timestamp(AS_OF)
    open_ = inv.loc[inv["paid_date"].isna() | (inv["paid_date"] > as_of)]
    row = open_.iloc[data.draw(st.integers(0, len(open_) - 1), label="invoice")]
    ids = {"company": row["company"], "customer_id": row["customer_id"]}
    ids |= {"invoice_id": row["invoice_id"] if data.draw(st.booleans(), label="one") else ""}
    later = as_of + pd.Timedelta(days=data.draw(st.integers(1, 60), label="days"))
    if kind == "promise to come":
        recorded = as_of - pd.Timedelta(days=5)
        new = {"promised_date": later, "amount": row["open_amount"] / 2, "recorded_on": recorded}
        return with_row(book, "promises", ids | new)
    if kind == "promise broken":  # its date has come: the scores learn from it
        before = as_of - pd.Timedelta(days=data.draw(st.integers(1, 60), label="days before"))
        new = {"promised_date": before, "amount": row["open_amount"] / 2}
        return with_row(book, "promises", ids | new | {"recorded_on": before})
    if kind == "shift":
        new = {"shift_days": data.draw(st.integers(-30, 60).filter(bool), label="shift")}
        return with_row(book, "adjustments", ids | new | {"to_date": None})
    return with_row(book, "adjustments", ids | {"shift_days": None, "to_date": later})


@pytest.mark.parametrize("what", [*SETTINGS, *EDITS])
@settings(
    max_examples=2,  # x 15 changes: each setting and edit is tried, in about a minute
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_replace_equals_an_analysis_built_afresh(
    base: Analysis, what: str, data: st.DataObject
) -> None:
    if what in SETTINGS:
        change = {what: data.draw(SETTINGS[what], label=what)}
        replaced = base.replace(**change)
        assert_all_pieces_fresh(replaced, base.book, dataclasses.replace(base.settings, **change))
    else:
        book = edited(data, base.book, what)
        assert_all_pieces_fresh(base.replace(book=book), book, base.settings)


@pytest.mark.parametrize("what", ["promise to come", "shift", "pin"])
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_an_edit_forecasts_again_only_the_customers_it_names(
    base: Analysis, what: str, data: st.DataObject
) -> None:
    """A promise still to come or an adjustment adds rows naming one customer: the forecast
    is the previous one with that customer's invoices forecast again (``update``), never the
    whole open book (``predict``), and every piece is still the fresh analysis's."""
    from cashplan.forecasting.collection import CollectionForecaster

    book = edited(data, base.book, what)
    fresh = Analysis(book, base.settings)
    for name in PIECES:
        getattr(fresh, name)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the whole open book was forecast again")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CollectionForecaster, "predict", refused)
        replaced = base.replace(book=book)
        for name in PIECES:
            assert_same(getattr(replaced, name), getattr(fresh, name), name)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_change_of_delays_forecasts_again_only_the_customers_it_moves(
    base: Analysis, data: st.DataObject
) -> None:
    """From one what-if's delays to another's that moves some customers only (one customer
    later, or back on time): the forecast is the previous one with those customers' invoices
    forecast again (``update``), never the whole open book, and every piece is the fresh
    analysis's; a change moving every customer forecasts the whole book again, the same."""
    from cashplan.forecasting.collection import CollectionForecaster

    items = base.forecast.invoices
    row = items.iloc[data.draw(st.integers(0, len(items) - 1), label="invoice")]
    key = (
        f"{row['company']}/{row['customer_id']}" if data.draw(st.booleans()) else row["customer_id"]
    )
    shift = data.draw(st.sampled_from([0, 10]), label="shift")
    start = base.replace(delay_shift_days=shift, customer_delay={key: 20})
    for name in PIECES:
        getattr(start, name)
    change = data.draw(
        st.sampled_from(
            [
                {"customer_delay": {key: data.draw(st.integers(1, 60), label="days")}},
                {"customer_delay": {}},
            ]
        ),
        label="change",
    )

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the whole open book was forecast again")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CollectionForecaster, "predict", refused)
        replaced = start.replace(**change)
        assert replaced._edited is not None
        replaced.forecast  # noqa: B018 - forecast here, where the whole book is refused
    assert_all_pieces_fresh(replaced, base.book, replaced.settings)
    every = start.replace(delay_shift_days=shift + 7)
    assert every._edited is None  # every customer moves: the whole book again
    assert_all_pieces_fresh(every, base.book, every.settings)


def test_each_sample_scenario_equals_an_analysis_built_afresh() -> None:
    """Each of the sample's scenarios (``Analysis.scenarios``: the base replaced, reusing its
    pieces and forecasting again only the customers a delay moves) has every piece, and the
    comparison and overview, of an analysis built afresh with its settings."""
    book = read_book(SAMPLE)
    base = Analysis(book, Settings(as_of=AS_OF))
    for name in PIECES:
        getattr(base, name)
    scenarios = base.scenarios
    assert list(scenarios) == ["base", "downturn", "hire", "big client late"]
    assert scenarios["big client late"]._edited is not None  # the shortcut is the one tried
    fresh = {name: a if a is base else Analysis(book, a.settings) for name, a in scenarios.items()}
    for name, a in scenarios.items():
        for piece in PIECES:
            assert_same(getattr(a, piece), getattr(fresh[name], piece), f"{name}: {piece}")
    assert_same(base.scenario_comparison, comparison(fresh), "comparison")
    assert_same(base.scenario_overview, scenario_overview(fresh), "overview")


COMPANY_OVERRIDES = st.dictionaries(
    st.sampled_from(["FR01/salaries", "FR01/taxes", "UK01/loans", "UK01/salaries"]),
    st.floats(0.0, 5e6),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(before=COMPANY_OVERRIDES, after=COMPANY_OVERRIDES)
def test_a_companys_spending_override_recomputes_its_rows_only(
    base: Analysis, before: dict[str, float], after: dict[str, float]
) -> None:
    """From overrides to other overrides of named companies: the need and the disbursements
    are the previous ones with those companies' rows computed again, and every piece is
    still the fresh analysis's."""
    start = base.replace(spending=before)
    start.need, start.disbursements  # noqa: B018  (computed, so that they can be spliced)
    replaced = start.replace(spending=after)
    changed = {k for k in {*before, *after} if before.get(k) != after.get(k)}
    assert replaced._respent is not None
    assert replaced._respent[0] == {k.split("/")[0] for k in changed}
    assert_all_pieces_fresh(replaced, base.book, dataclasses.replace(base.settings, spending=after))


def test_an_override_of_every_company_or_none_recomputes_all_of_them(base: Analysis) -> None:
    start = base.replace(spending={"FR01/salaries": 1.0})
    for spending in ({"salaries": 2.0}, {}):
        assert start.replace(spending=spending)._respent is None
    assert base.replace(spending={"FR01/salaries": 2.0})._respent is None  # none before


def test_a_changed_or_removed_edit_forecasts_the_whole_book_again(base: Analysis) -> None:
    """Not rows added: any customer may move, so the whole open book is forecast again."""
    promises = base.book.promises
    dropped = dataclasses.replace(base.book, promises=promises.iloc[1:].reset_index(drop=True))
    assert analysis_module._edited_customers(base.book, dropped) is None
    row = base.items.iloc[0]
    added = with_row(
        base.book,
        "promises",
        {
            "company": row["company"],
            "customer_id": row["customer_id"],
            "invoice_id": "",
            "promised_date": "2026-11-20",
            "amount": "10",
        },
    )
    named = analysis_module._edited_customers(base.book, added)
    assert named is not None
    assert named.to_dict("records") == [
        {"company": row["company"], "customer_id": row["customer_id"]}
    ]


# ---- what is reused, what recomputed -----------------------------------------------------------


def reused(before: Analysis, after: Analysis) -> set[str]:
    """The pieces ``after`` took from ``before`` (a piece that is None, such as the opening
    cash of a book without a bank table, is the same object whether reused or not)."""
    return {
        name
        for name in PIECES
        if before.__dict__[name] is not None and after.__dict__.get(name) is before.__dict__[name]
    }


@pytest.mark.parametrize(
    ("change", "kept", "recomputed"),
    [
        ({"safety_margin": 0.1}, {"forecast", "collected", "need", "candidates"}, {"targets"}),
        ({"spending": {"salaries": 1e6}}, {"forecast", "collected", "kpis"}, {"need", "plan"}),
        ({"k": 3}, {"forecast", "need", "stages", "customer_table"}, {"targets", "gap"}),
        ({"threshold": 40.0}, {"scorer", "forecast", "targets", "gap"}, {"reliability"}),
        ({"company": "UK01"}, {"forecast", "targets", "gap", "candidates"}, {"stages", "plan"}),
        (
            {"dispute_policy": "long_delay"},
            {"scorer", "forecaster", "targets"},
            {"forecast", "gap"},
        ),
        ({"discount_rate": 0.05}, {"forecast", "gap", "stages"}, {"candidates", "plan"}),
        ({"as_of": "2026-09-30"}, {"arrays"}, set(PIECES) - {"arrays"}),
        ({"threshold": 60.0}, set(PIECES), set()),  # the value it had: nothing changes
    ],
)
def test_a_setting_recomputes_what_depends_on_it_and_reuses_the_rest(
    base: Analysis, change: dict[str, Any], kept: set[str], recomputed: set[str]
) -> None:
    after = base.replace(**change)
    nothing = {name for name in PIECES if base.__dict__[name] is None}  # no bank table: None
    assert kept - nothing <= reused(base, after)
    assert not recomputed & reused(base, after)


def test_a_promise_to_come_keeps_the_scores_and_recomputes_the_forecast(base: Analysis) -> None:
    row = base.items.iloc[0]
    promise = {
        "company": row["company"],
        "customer_id": row["customer_id"],
        "invoice_id": row["invoice_id"],
        "promised_date": "2026-11-20",
        "amount": "10",
    }
    after = base.replace(book=with_row(base.book, "promises", promise))
    kept = reused(base, after)
    assert {"scorer", "reliability", "forecaster", "items", "targets", "customer_table"} <= kept
    assert not {"forecast", "gap", "plan", "stages", "candidates"} & kept


def test_pieces_are_computed_once_and_the_book_is_left_as_it_was(book: Book) -> None:
    before = book.invoices.copy()
    a = Analysis(book, Settings(as_of=AS_OF))
    assert a.forecast is a.forecast and a.gap is a.gap
    assert a.plan.actions is a.plan.actions
    pd.testing.assert_frame_equal(book.invoices, before)


def test_an_as_of_before_the_first_invoice_and_a_bad_setting_are_refused(book: Book) -> None:
    with pytest.raises(CashplanError, match="before the book's first invoice"):
        Analysis(book, Settings(as_of="2020-01-01"))
    with pytest.raises(CashplanError, match="threshold"):
        Settings(as_of=AS_OF, threshold=150)
    a = Analysis(book, Settings(as_of=AS_OF))
    with pytest.raises(CashplanError, match="catch_up"):
        a.replace(k=0)


def test_view_and_scope_follow_the_company(base: Analysis) -> None:
    assert set(base.view(base.gap)["company"]) == {"ALL"}
    uk = base.replace(company="UK01")
    assert set(uk.view(uk.gap)["company"]) == {"UK01"}
    assert set(uk.scoped(uk.items)["company"]) == {"UK01"}
    assert uk.scoped(uk.items).shape[0] < base.scoped(base.items).shape[0]


def test_every_default_has_one_home_the_settings() -> None:
    """The report's parameters cell, ``notebook.load`` and the CLI agree with ``Settings``."""
    import ast
    import inspect

    from cashplan.app.analysis import setting_default
    from cashplan.app.cli import _parser, _summary_settings
    from cashplan.app.notebook import load
    from cashplan.app.report import report_parameters

    names = {  # report parameter -> Settings field
        "catch_up": "k",
        "threshold": "threshold",
        "safety_margin": "safety_margin",
        "dispute_policy": "dispute_policy",
        "discount_rate": "discount_rate",
        "cost_of_funds": "cost_of_funds",
        "spending": "spending",
        "cash_floor": "cash_floor",
    }
    cell = report_parameters()
    signature = inspect.signature(load).parameters
    for parameter, field_name in names.items():
        expected = setting_default(field_name)
        assert ast.literal_eval(cell[parameter]["default"]) == expected, parameter
        assert signature[parameter].default in (expected, None), parameter
    summary = _parser().parse_args(["summary", "book", "--as-of", "2026-10-31"])
    assert _summary_settings(summary) == {  # read when used: the parser imports nothing
        "k": setting_default("k"),
        "safety_margin": setting_default("safety_margin"),
    }
    given = _parser().parse_args(["summary", "b", "--as-of", "2026-10-31", "--catch-up", "3"])
    assert _summary_settings(given)["k"] == 3


def test_the_summary_says_which_dispute_policy_applied():
    from cashplan.app.notebook import summary_markdown
    from cashplan.sample import make_small_book

    small = Book.from_tables(make_small_book())
    learned = Analysis(small, Settings(as_of="2026-10-31"))
    assert learned.forecast.disputes["policy"].tolist() == ["learned"]
    text = summary_markdown(learned)
    assert "SM01 forecast from the book's settled disputed invoices" in text.replace("\\", "")
    excluded = learned.replace(dispute_policy="exclude")
    assert excluded.forecast.disputes["policy"].tolist() == ["exclude"]
    assert "SM01 left out of the forecast." in summary_markdown(excluded).replace("\\", "")
    with pytest.raises(CashplanError, match="dispute_policy"):
        Settings(as_of="2026-10-31", dispute_policy="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize("what", ["promise to come", "shift"])
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_an_edit_under_a_scenarios_delays_keeps_them(
    base: Analysis, what: str, data: st.DataObject
) -> None:
    """Under a what-if's delays (everyone later, one customer later still), an edit forecasts
    again only the customers it names, with the same delays: every piece is the fresh
    analysis's (the incremental path once dropped the delays)."""
    customer = base.forecast.invoices["customer_id"].iloc[0]
    delayed = base.replace(delay_shift_days=10, customer_delay={customer: 20})
    for name in PIECES:
        getattr(delayed, name)
    book = edited(data, base.book, what)
    replaced = delayed.replace(book=book)
    assert replaced._edited is not None  # the incremental path is the one tried
    fresh = Analysis(book, delayed.settings)
    for name in PIECES:
        assert_same(getattr(replaced, name), getattr(fresh, name), name)
