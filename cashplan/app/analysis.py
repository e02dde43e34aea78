"""One analysis of a book at a date: every figure the report and the workbook show.

``Analysis`` computes each piece on first use and keeps it. ``Analysis.replace``
makes the analysis after a change (a setting, or a book with a new promise) and
carries over every piece the change does not touch, so that the workbook
recomputes only what it must: a new spending figure recomputes the targets, the
gap and the plan, not the forecast.

Examples
--------
>>> from cashplan.io.book import Book
>>> from cashplan.sample import make_book
>>> book = Book.from_frames(**make_book(n_invoices=2_000, n_customers=20))
>>> a = Analysis(book, Settings(as_of="2026-10-31"))
>>> a.gap.columns[:4].tolist()
['company', 'month', 'status', 'cash_need']
>>> b = a.replace(safety_margin=0.1)
>>> b.forecast is a.forecast, b.targets is a.targets
(True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from cashplan.app.scenarios import (
    comparison,
    customer_delays,
    scenario_changes,
    scenario_overview,
)
from cashplan.core.dates import ALL, to_date
from cashplan.core.errors import CashplanError
from cashplan.core.params import check_against_book, check_parameters
from cashplan.fast.arrays import LedgerArrays, ledger_arrays
from cashplan.forecasting.cash_in import (
    NewSales,
    new_sales_forecast,
    total_cash_in,
    total_monthly,
)
from cashplan.forecasting.collection import CollectionForecaster, Forecast
from cashplan.forecasting.issue_lag import IssueLagModel
from cashplan.forecasting.new_sales import InvoicingForecaster
from cashplan.forecasting.reliability import PayerScorer
from cashplan.io.book import Book
from cashplan.ledger.aging import DEFAULT_BUCKETS, aged_balance, bucket_labels
from cashplan.ledger.items import open_items
from cashplan.ledger.kpis import kpis
from cashplan.planning.cash_position import (
    cash_position,
    floor_summary,
    month_end_cash,
    opening_cash,
)
from cashplan.planning.disbursements import disbursement_schedule, horizon
from cashplan.planning.dunning import customer_stages
from cashplan.planning.gap import monthly_gap
from cashplan.planning.plan import Candidates, Plan, PlanPolicy, battle_plan, plan_candidates
from cashplan.planning.reminders import reminders
from cashplan.planning.targets import (
    CATEGORIES,
    add_spending,
    book_starts,
    cash_need,
    monthly_collections,
    override_spending,
    target_months,
    targets_from,
)

__all__ = ["Analysis", "Settings", "check_as_of", "setting_default"]


@dataclass(frozen=True)
class Settings:
    """What a user chooses: the date, the scope and the planning parameters.

    ``spending`` overrides the monthly amount of a category in the open months,
    keyed ``"category"`` (every company) or ``"company/category"``, in the
    spending's own currency.
    """

    as_of: str
    company: str | None = None
    k: int = 1
    safety_margin: float = 0.0
    surplus_lowers: bool = False
    threshold: float = 60.0
    dispute_policy: Literal["auto", "learned", "exclude", "long_delay"] = "auto"
    discount_rate: float = 0.02
    cost_of_funds: float = 0.05
    spending: Mapping[str, float] = field(default_factory=dict)
    cash_floor: float | Mapping[str, float] = 0.0
    opening_cash: Mapping[str, float] = field(default_factory=dict)
    # lever -> success rate learned by the monthly review (planning.review.learn_levers)
    lever_success: Mapping[str, float] = field(default_factory=dict)
    sales_factor: float | Mapping[str, float] = 1.0
    delay_shift_days: int | Mapping[str, int] = 0
    customer_delay: Mapping[str, int] = field(default_factory=dict)
    spending_add: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Each setting within its range, with the report parameters' checks and messages."""
        check_parameters(
            {
                "catch_up": self.k,
                "threshold": self.threshold,
                "safety_margin": self.safety_margin,
                "dispute_policy": self.dispute_policy,
                "discount_rate": self.discount_rate,
                "cost_of_funds": self.cost_of_funds,
                "spending": self.spending,
                "cash_floor": self.cash_floor,
                "opening_cash": dict(self.opening_cash),
                "lever_success": dict(self.lever_success),
                "sales_factor": self.sales_factor,
                "delay_shift_days": self.delay_shift_days,
                "customer_delay": dict(self.customer_delay),
                "spending_add": dict(self.spending_add),
            }
        )


def setting_default(name: str) -> Any:
    """The default of a :class:`Settings` field: the one home of every default (the CLI,
    the notebook helper and the widgets read it; a test holds the report's parameters cell
    to it).

    >>> setting_default("threshold"), setting_default("k")
    (60.0, 1)
    """
    (field_,) = [f for f in dataclasses.fields(Settings) if f.name == name]
    if field_.default_factory is not dataclasses.MISSING:
        return field_.default_factory()
    return field_.default


# what each piece is computed from: settings fields and book tables
_DEPENDS: dict[str, set[str]] = {
    "arrays": {"invoices"},
    "items": {"as_of", "invoices", "customers", "fx_rates"},
    "scorer": {"as_of", "arrays", "promise_history"},
    "forecaster": {"as_of", "arrays", "fx_rates"},
    "reliability": {"scorer", "threshold"},
    "keeping": {"scorer"},
    "forecast": {
        "forecaster",
        "promises",
        "adjustments",
        "scorer",
        "dispute_policy",
        "delay_shift_days",
        "customer_delay",
    },
    "collected": {"as_of", "invoices", "fx_rates"},
    "spending": {"as_of", "spending", "spending_add"},
    "need": {"spending", "as_of", "fx_rates"},
    "targets": {"collected", "need", "k", "safety_margin", "surplus_lowers"},
    "invoicing": {"as_of", "invoices", "fx_rates"},
    "lags": {"as_of", "invoices", "fx_rates"},
    "new_sales": {"invoicing", "lags", "sales_plan", "sales_factor", "delay_shift_days"},
    "cash_in": {"forecast", "new_sales"},
    "cash_in_months": {"forecast", "new_sales"},
    "gap": {"targets", "cash_in_months"},
    "disbursements": {"spending", "as_of", "fx_rates"},
    "paid": {"disbursements"},
    "opening": {"bank", "as_of", "fx_rates", "opening_cash"},
    "position": {"cash_in", "paid", "opening", "cash_floor"},
    "month_end": {"position", "paid"},
    "runway": {"position", "disbursements"},
    "stages": {"forecast", "reliability", "customers", "company"},
    "candidates": {
        "forecast",
        "reliability",
        "customers",
        "discount_rate",
        "cost_of_funds",
        "lever_success",
    },
    "plan": {"candidates", "gap", "company"},
    "customer_table": {"scorer", "reliability", "items"},
    "aged": {"items"},
    "kpis": {"as_of", "invoices", "fx_rates"},
}
_EDITED = ("promises", "adjustments")  # the tables re-forecast customer by customer
_DELAYS = ("delay_shift_days", "customer_delay")  # the settings re-forecast customer by customer
_TABLES = (
    "invoices",
    "customers",
    "promises",
    "spending",
    "adjustments",
    "fx_rates",
    "sales_plan",
    "bank",
)


def _promise_history(promises: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The promises whose date has come by ``day`` (what the scorer learns from)."""
    return promises.loc[promises["promised_date"] < day].reset_index(drop=True)


def _appended(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame | None:
    """The rows ``after`` adds at the end of ``before``; None when a row of ``before`` was
    changed or removed."""
    if len(after) < len(before) or not after.iloc[: len(before)].equals(before):
        return None
    return after.iloc[len(before) :]


def _edited_customers(
    old: Book, new: Book, added: dict[str, pd.DataFrame | None] | None = None
) -> pd.DataFrame | None:
    """The customers (company, customer_id) named by the promises and adjustments ``new``
    adds to ``old``'s; None when a row was changed or removed (every customer may move).
    ``added``: each edited table's rows appended (``_appended``) when known."""
    if added is None:
        edited = [t for t in _EDITED if getattr(old, t) is not getattr(new, t)]
        added = {t: _appended(getattr(old, t), getattr(new, t)) for t in edited}
    if any(rows is None for rows in added.values()):
        return None
    rows = [r[["company", "customer_id"]] for r in added.values() if r is not None]
    return pd.concat(rows, ignore_index=True) if rows else None


def _history_changed(old: Analysis, new: Analysis, as_of: bool, added: pd.DataFrame | None) -> bool:
    """Whether the record of promises kept or broken differs (the promises whose date has
    come): a promise still to come does not change it. ``added``: the promises appended."""
    if as_of:
        return True
    if added is not None:  # the record is the old one and the rows added whose date has come
        return bool((added["promised_date"] < new.day).any())
    before, after = (_promise_history(x.book.promises, x.day) for x in (old, new))
    return not before.equals(after)


def _redelayed(old: Analysis, new: Analysis) -> pd.DataFrame | None:
    """The customers (company, customer_id) whose what-if delay differs between ``old``
    and ``new`` (the same fitted forecaster); None when every customer's does (the whole
    book is forecast again)."""
    customers = old.forecaster.customers_
    before, after = (
        np.zeros(len(customers), dtype=np.int64) if d is None else d.to_numpy()
        for d in (old._delays(), new._delays())
    )
    differ = before != after
    if differ.all():
        return None
    return customers.loc[differ, ["company", "customer_id"]].reset_index(drop=True)


def _respent(
    old: Analysis, new: Analysis, changed: set[str]
) -> tuple[set[str], dict[str, pd.DataFrame]] | None:
    """After a change of the spending overrides alone: the companies whose overrides changed
    and ``old``'s pieces computed company by company; None when an override of every
    company (``"category"``) changed, when there were none before or are none after, or
    when the date or the rates changed."""
    before, after = old.settings.spending, new.settings.spending
    if changed & {"as_of", "fx_rates", "spending_add"} or not before or not after:
        return None  # (any override writes out every company's run-rate months)
    keys = {k for k in {*before, *after} if before.get(k) != after.get(k)}
    if any("/" not in k for k in keys):
        return None
    pieces: dict[str, pd.DataFrame] = {
        k: old.__dict__[k] for k in ("need", "disbursements") if k in old.__dict__
    }
    return {k.rpartition("/")[0] for k in keys}, pieces


def check_as_of(book: Book, as_of: str | pd.Timestamp) -> None:
    """Refuse an as-of date before the book's first invoice.

    At such a date no invoice has been issued: there is no payment history to score,
    no open book to forecast, nothing to report.

    Raises
    ------
    CashplanError
        Naming the first invoice's date, the earliest as-of that has a report.

    Examples
    --------
    >>> from cashplan.io.book import Book
    >>> book = Book.from_frames(invoices=pd.DataFrame({"invoice_id": ["F1"],
    ...     "customer_id": ["C1"], "issue_date": ["2026-01-10"], "due_date": ["2026-02-09"],
    ...     "amount": ["10"]}))
    >>> check_as_of(book, "2026-01-10")
    >>> check_as_of(book, "2025-12-31")
    Traceback (most recent call last):
    ...
    cashplan.core.errors.CashplanError: as-of 2025-12-31 is before the book's first invoice \
(issued 2026-01-10): there is no payment history or open invoice to report on yet. \
Fix: give an as-of date on or after 2026-01-10.
    """
    day = to_date(as_of)
    first = book.invoices["issue_date"].min()
    if pd.isna(first) or first <= day:
        return
    raise CashplanError(
        f"as-of {day.date()} is before the book's first invoice (issued {first.date()}): "
        "there is no payment history or open invoice to report on yet. "
        f"Fix: give an as-of date on or after {first.date()}."
    )


class Analysis:
    """Every figure of ``book`` under ``settings`` (see the module doc).

    Raises
    ------
    CashplanError
        When the as-of date is before the book's first invoice (:func:`check_as_of`).
    """

    def __init__(self, book: Book, settings: Settings) -> None:
        self.book = book
        self.settings = settings
        self.day = to_date(settings.as_of)
        # set by ``replace``: the forecast before an edit, and the customers the edit names
        self._edited: tuple[Forecast, pd.DataFrame] | None = None
        # set by ``replace``: the companies whose spending override changed, and the pieces
        # computed company by company before the change (``_by_company``)
        self._respent: tuple[set[str], dict[str, pd.DataFrame]] | None = None
        check_as_of(book, self.day)
        check_against_book(
            {
                "spending": settings.spending,
                "cash_floor": settings.cash_floor,
                "spending_add": settings.spending_add,
                "sales_factor": settings.sales_factor,
                "delay_shift_days": settings.delay_shift_days,
            },
            book.companies,
            [*CATEGORIES, *book.spending["category"].unique()],
        )

    def __repr__(self) -> str:
        return f"Analysis({self.book!r}, as of {self.day.date()}, {self.settings.company or 'ALL'})"

    def replace(self, book: Book | None = None, **changes: Any) -> Analysis:
        """The analysis after a change, reusing what the change leaves as it was."""
        new = Analysis(book or self.book, dataclasses.replace(self.settings, **changes))
        changed = {k for k in changes if getattr(self.settings, k) != changes[k]}
        changed |= {t for t in _TABLES if getattr(new.book, t) is not getattr(self.book, t)}
        edited = [t for t in _EDITED if t in changed]
        added = {t: _appended(getattr(self.book, t), getattr(new.book, t)) for t in edited}
        if "promises" in changed or "as_of" in changed:
            if _history_changed(self, new, "as_of" in changed, added.get("promises")):
                changed.add("promise_history")
        for name, needs in _DEPENDS.items():  # in dependency order
            if needs & changed:
                changed.add(name)
            elif name in self.__dict__:
                new.__dict__[name] = self.__dict__[name]
        if "spending" in changes and new.book.spending is self.book.spending:
            new._respent = _respent(self, new, changed)
        if "forecast" in self.__dict__ and not changed & (_DEPENDS["forecast"] - set(_EDITED)):
            # only promises or adjustments: the customers they name are forecast again
            customers = _edited_customers(self.book, new.book, added)
            if customers is not None:
                new._edited = (self.forecast, customers)
        elif "forecast" in self.__dict__ and changed & _DEPENDS["forecast"] <= set(_DELAYS):
            # only the what-if delays: the customers whose delay changed are forecast again
            customers = _redelayed(self, new)
            if customers is not None:
                new._edited = (self.forecast, customers)
        return new

    def _delays(self) -> pd.Series | None:
        """Days each customer pays later under the settings' what-ifs (``customer_delays``)."""
        s = self.settings
        return customer_delays(self.forecaster.customers_, s.delay_shift_days, s.customer_delay)

    @cached_property
    def arrays(self) -> LedgerArrays:
        """The invoices' columns as arrays, shared by the scorer and the forecast."""
        return ledger_arrays(self.book.invoices)

    @cached_property
    def items(self) -> pd.DataFrame:
        """The invoices open at as-of, with owners."""
        return open_items(self.book.invoices, self.day, self.book.fx, self.book.customers)

    @cached_property
    def scorer(self) -> PayerScorer:
        """The payer scorer fitted at as-of (its scores; the classes at the chosen threshold are
        :attr:`reliability`, so a threshold change never refits)."""
        scorer = PayerScorer.from_arrays(self.arrays)  # classify(threshold): no refit
        return scorer.fit(self.book.invoices, self.day, self.book.promises)

    @cached_property
    def reliability(self) -> pd.DataFrame:
        """Each customer's score and class at the chosen threshold."""
        return self.scorer.classify(self.settings.threshold)

    @cached_property
    def keeping(self) -> pd.Series:
        """Each customer's chance of keeping a promise (``PayerScorer.promise_keeping``): kept
        while the scorer is, not worked out again at each edit."""
        return self.scorer.promise_keeping()

    @cached_property
    def forecaster(self) -> CollectionForecaster:
        """The collection forecaster fitted at as-of (promises and adjustments do not refit it)."""
        model = CollectionForecaster.from_arrays(self.arrays)
        return model.fit(self.book.invoices, self.day, self.book.fx)

    @cached_property
    def forecast(self) -> Forecast:
        """The collection forecast of the open book (after an edit of a few customers'
        promises or adjustments, or of their what-if delays, only their invoices forecast
        again: ``replace``)."""
        args = (self.book.promises, self.book.adjustments)
        keeping, policy = self.keeping, self.settings.dispute_policy
        delays = self._delays()
        if self._edited is not None:
            (previous, customers), self._edited = self._edited, None  # not kept alive
            return self.forecaster.update(previous, customers, *args, keeping, policy, delays)
        return self.forecaster.predict(
            *args, promise_keeping=keeping, dispute_policy=policy, delay_days=delays
        )

    @cached_property
    def collected(self) -> pd.DataFrame:
        """Cash collected per company and month up to as-of."""
        return monthly_collections(self.book.invoices, self.book.fx, self.day)

    @cached_property
    def spending(self) -> pd.DataFrame:
        """The book's spending with the settings' overrides applied to the open months."""
        spending = override_spending(self.book.spending, self.settings.spending, self.day)
        return add_spending(spending, self.settings.spending_add, self.day)

    @cached_property
    def targets(self) -> pd.DataFrame:
        """Need and smoothed targets per company and month (``monthly_targets``)."""
        s = self.settings
        return targets_from(
            self.need,
            self.collected,
            book_starts(self.book.invoices, self.spending),
            self.day,
            k=s.k,
            surplus_lowers=s.surplus_lowers,
            safety_margin=s.safety_margin,
        )

    @cached_property
    def need(self) -> pd.DataFrame:
        """The monthly cash need by company and category, before the safety margin."""
        return self._by_company(
            "need", lambda spending: cash_need(spending, self.book.fx, target_months(self.day))
        )

    def _by_company(self, name: str, compute: Any) -> pd.DataFrame:
        """``compute(self.spending)``: a table of rows company by company, in company order.

        After a change of a few companies' spending overrides (``replace``), only their rows
        are computed, the others' taken from the piece before the change.
        """
        if self._respent is None or name not in self._respent[1]:
            return compute(self.spending)
        companies, previous = self._respent[0], self._respent[1][name]
        spending = self.spending
        mine = compute(spending.loc[spending["company"].isin(companies)])
        kept = previous.loc[~previous["company"].isin(companies)]
        both = pd.concat([kept, mine], ignore_index=True)
        both = both.sort_values("company", kind="stable").reset_index(drop=True)
        if list(both.columns) != list(previous.columns) or not both.dtypes.equals(previous.dtypes):
            return compute(spending)  # a company alone gave other types: all of them
        return both

    @cached_property
    def candidates(self) -> Candidates:
        """Every action the battle plan may choose, for every forecast month and company."""
        s = self.settings
        return plan_candidates(
            self.forecast,
            self.day,
            reliability=self.reliability,
            customers=self.book.customers,
            policy=PlanPolicy(
                discount_rate=s.discount_rate,
                cost_of_funds=s.cost_of_funds,
                learned=dict(s.lever_success),
            ),
        )

    @cached_property
    def invoicing(self) -> InvoicingForecaster:
        """Each company's invoicing to come, fitted on its invoicing history."""
        return InvoicingForecaster().fit(self.book.invoices, self.day, self.book.fx)

    @cached_property
    def lags(self) -> IssueLagModel:
        """When invoices are paid after their issue, fitted on the settled history."""
        return IssueLagModel().fit(self.book.invoices, self.day, self.book.fx)

    @cached_property
    def new_sales(self) -> NewSales:
        """The cash of invoices not issued yet (the model, or the CFO's sales plan)."""
        shift = self.settings.delay_shift_days
        shifted = (isinstance(shift, Mapping) and any(shift.values())) or shift != 0
        lags = self.lags.shifted(shift) if shifted else self.lags
        factor = self.settings.sales_factor
        return new_sales_forecast(self.invoicing, lags, plan=self.sales_plan, factor=factor)

    @cached_property
    def sales_plan(self) -> pd.DataFrame:
        """The book's sales plan in the reporting currency: the last row of each company-month
        (worked out once per analysis: the new sales and the workbook read it)."""
        plan = self.book.sales_plan.drop_duplicates(["company", "month"], keep="last")
        amount = self.book.fx.convert(plan["amount"], plan["currency"], plan["month"])
        return plan[["company", "month"]].assign(amount_rc=np.asarray(amount, float))

    @cached_property
    def cash_in(self) -> pd.DataFrame:
        """The whole cash-in by week: open book + new sales, with p10/p90 (``total_cash_in``)."""
        return total_cash_in(self.forecast.buckets, self.new_sales.weekly)

    @cached_property
    def cash_in_months(self) -> pd.DataFrame:
        """The whole cash-in by month window (``total_monthly``)."""
        return total_monthly(self.forecast.months, self.new_sales.monthly)

    @cached_property
    def gap(self) -> pd.DataFrame:
        """Target against collected and the whole cash-in by company and month (``monthly_gap``)."""
        return monthly_gap(self.targets, self.forecast.months, self.cash_in_months)

    @cached_property
    def disbursements(self) -> pd.DataFrame:
        """The spending paid on its days over 52 weeks after as-of (the runway's horizon)."""
        return self._by_company(
            "disbursements",
            lambda spending: disbursement_schedule(spending, self.day, self.book.fx, weeks=52),
        )

    @cached_property
    def opening(self) -> pd.DataFrame | None:
        """Cash on hand at as-of per company and ``ALL`` (the bank table, with the settings'
        overrides); None when neither says anything (the position then starts from 0)."""
        given = dict(self.settings.opening_cash)
        if self.book.bank.empty and not given:
            return None
        found = opening_cash(self.book.bank, self.day, self.book.fx)
        companies = [c for c in self.book.companies if c in given or c in set(found["company"])]
        rows = found.loc[found["company"] != ALL].set_index("company").reindex(companies)
        overrides = pd.Series(given, dtype=float).reindex(companies)
        rows["opening_known"] = overrides.notna() | (rows["n_accounts"].fillna(0) > 0)
        rows["opening_rc"] = overrides.fillna(rows["opening_rc"]).fillna(0.0)
        rows = rows.rename_axis("company").reset_index()
        total = {
            "company": ALL,
            "opening_rc": rows["opening_rc"].sum(),
            "opening_known": bool(rows["opening_known"].all()),
        }
        return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)

    @cached_property
    def position(self) -> pd.DataFrame:
        """Opening + the whole cash-in - disbursements = closing, week by week (13 weeks)."""
        return cash_position(
            self.cash_in,
            self.paid,
            self.day,
            opening=self.opening,
            cash_floor=self.settings.cash_floor,
        )

    @cached_property
    def paid(self) -> pd.DataFrame:
        """The disbursements within the 13 weeks (kept while they are: what the position's
        weekly sums are kept beside)."""
        end = horizon(self.day)[1]
        return self.disbursements.loc[self.disbursements["date"] < end]

    @cached_property
    def month_end(self) -> pd.DataFrame:
        """Closing cash at each month end within the 13 weeks (``monthly.csv``'s closing_cash)."""
        return month_end_cash(self.position, self.paid, self.day)

    @cached_property
    def runway(self) -> pd.DataFrame:
        """Lowest point, first week under the floor (expected and p10), runway in weeks."""
        return floor_summary(self.position, self.disbursements, self.day)

    @cached_property
    def stages(self) -> pd.DataFrame:
        """Each customer's dunning stage (customers with chasable overdue invoices)."""
        return customer_stages(
            self.scoped(self.forecast.invoices), self.day, self.reliability, self.book.customers
        )

    @cached_property
    def plan(self) -> Plan:
        """The battle plan for the first short month of the chosen scope."""
        return battle_plan(self.candidates, self.gap, company=self.settings.company)

    def reminders(
        self, languages: tuple[str, ...] = ("fr", "en"), template_dir: str | None = None
    ) -> pd.DataFrame:
        """One draft reminder per customer with chasable overdue invoices and language.

        Kept for the package's templates (``template_dir`` None: they cannot change while
        the process runs), so the report's hand-over (:func:`cashplan.app.notebook.hand_over`)
        computes them too; a copy is returned each time."""
        kept: dict[tuple[str, ...], pd.DataFrame] = self.__dict__.setdefault("_reminders", {})
        if template_dir is None and tuple(languages) in kept:
            return kept[tuple(languages)].copy()
        drafts = reminders(
            self.scoped(self.items),
            self.forecast.invoices,
            self.stages,
            self.day,
            self.book.customers,
            self.book.promises,
            languages,
            template_dir,
        )
        if template_dir is None:
            kept[tuple(languages)] = drafts.copy()
        return drafts

    @cached_property
    def aged(self) -> pd.DataFrame:
        """The aged balance by customer."""
        return aged_balance(self.items, by=("company", "customer_id"))

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """DSO-family KPIs per company and consolidated."""
        return kpis(self.book.invoices, self.day, self.book.fx)

    @cached_property
    def customer_table(self) -> pd.DataFrame:
        """One row per customer: score, class, history, open and overdue amounts."""
        keys = ["company", "customer_id"]
        rel = self.reliability
        items = self.items
        overdue = items["open_amount_rc"].where(items["days_past_due"] > 0, 0.0)
        sums = items.assign(overdue_rc=overdue).groupby(keys)[["open_amount_rc", "overdue_rc"]]
        table = rel.join(sums.sum(), on=keys).fillna({"open_amount_rc": 0.0, "overdue_rc": 0.0})
        return table[
            [
                *keys,
                "score",
                "reliability",
                "n_settled",
                "avg_days_late",
                "open_amount_rc",
                "overdue_rc",
                "grade",
            ]
        ]

    def view(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of ``frame`` for the chosen company (``ALL`` rows when consolidated)."""
        return frame.loc[frame["company"] == (self.settings.company or "ALL")]

    def scoped(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of ``frame`` for the chosen company (all rows when consolidated)."""
        if self.settings.company is None:
            return frame
        return frame.loc[np.asarray(frame["company"] == self.settings.company)]

    @cached_property
    def scenarios(self) -> dict[str, Analysis]:
        """The base (this analysis, named ``base``) and each of the book's scenarios: this
        analysis after the scenario's changes (:func:`~cashplan.app.scenarios.scenario_changes`),
        reusing the fitted models."""
        changes = scenario_changes(self.book.scenarios, self.book.companies)
        return {"base": self, **{name: self.replace(**c) for name, c in changes.items()}}

    @cached_property
    def scenario_comparison(self) -> pd.DataFrame:
        """Every scenario beside the base by company and open month (``scenarios.csv``)."""
        return comparison(self.scenarios)

    @cached_property
    def scenario_overview(self) -> pd.DataFrame:
        """Every scenario beside the base by company: cash-in, gap, lowest point, runway."""
        return scenario_overview(self.scenarios)

    @property
    def aged_labels(self) -> list[str]:
        """The aged balance's bucket columns."""
        return bucket_labels(DEFAULT_BUCKETS)
