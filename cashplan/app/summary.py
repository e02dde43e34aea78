"""A readable terminal summary of a book at a date: targets, aged balance, KPIs.

Pure: a :class:`~cashplan.io.book.Book` in, text out (the CLI prints it).

Examples
--------
>>> fmt_amount(1234567.891)
'1,234,568'
>>> fmt_amount(float("nan"))
'-'
"""

from __future__ import annotations

import math

import pandas as pd

from cashplan.core.dates import ALL, to_date
from cashplan.io.book import Book
from cashplan.ledger.aging import DEFAULT_BUCKETS, aged_balance, bucket_labels
from cashplan.ledger.items import open_items
from cashplan.ledger.kpis import kpis
from cashplan.planning.targets import monthly_targets

__all__ = ["fmt_amount", "summarize"]


def fmt_amount(value: float) -> str:
    """An amount with thousands separators and no decimals ('-' when missing)."""
    return "-" if value is None or math.isnan(value) else f"{value:,.0f}"


def _table(frame: pd.DataFrame, amounts: list[str], days: tuple[str, ...] = ()) -> str:
    shown = frame.copy()
    for c in amounts:
        shown[c] = shown[c].map(fmt_amount)
    for c in days:
        shown[c] = shown[c].map(lambda v: "-" if pd.isna(v) else f"{v:,.1f}")
    return shown.to_string(index=False)


def summarize(
    book: Book,
    as_of: str | pd.Timestamp,
    company: str | None = None,
    k: int = 1,
    surplus_lowers: bool = False,
    safety_margin: float = 0.0,
) -> str:
    """The summary text of ``book`` at ``as_of`` (optionally one company only)."""
    day = to_date(as_of)
    inv = (
        book.invoices if company is None else book.invoices.loc[book.invoices["company"] == company]
    )
    spe = (
        book.spending if company is None else book.spending.loc[book.spending["company"] == company]
    )
    cur = book.reporting_currency
    items = open_items(inv, day, book.fx, customers=book.customers)
    out = [
        f"cashplan summary as of {day.date()}: {book!r}",
        f"Amounts in {cur}. Open invoices: {len(items):,} "
        f"for {fmt_amount(items['open_amount_rc'].sum())} {cur}.",
    ]

    targets = monthly_targets(
        inv, spe, book.fx, day, k=k, surplus_lowers=surplus_lowers, safety_margin=safety_margin
    )
    group = targets.loc[targets["company"] == (company or ALL)].copy()
    group["month"] = group["month"].dt.strftime("%Y-%m")
    group["status"] = group["closed"].map({True: "closed", False: "open"})
    out += [
        "",
        f"Cash need and targets ({company or 'consolidated'}; catch-up over {k} month"
        f"{'s' if k > 1 else ''}; collected up to {day.date()}):",
        _table(
            group[["month", "cash_need", "carried", "target", "collected", "status"]],
            ["cash_need", "carried", "target", "collected"],
        ),
    ]

    labels = bucket_labels(DEFAULT_BUCKETS)
    by_company = aged_balance(items, by=("company",))
    total = aged_balance(items, by=()).assign(company=ALL)
    out += [
        "",
        "Aged balance by company (days past due):",
        _table(
            pd.concat([by_company, total], ignore_index=True)[["company", *labels, "total"]],
            [*labels, "total"],
        ),
    ]
    owners = aged_balance(items, by=("company", "owner"))
    out += ["", "Aged balance by owner:", _table(owners, [*labels, "total"])]
    top = aged_balance(items, by=("company", "customer_id"))
    top["overdue"] = top["total"] - top["not_due"]
    top = top.sort_values(["overdue", "customer_id"], ascending=[False, True]).head(10)
    out += [
        "",
        "Ten customers with the most overdue:",
        _table(top[["company", "customer_id", *labels, "overdue"]], [*labels, "overdue"]),
    ]

    k_table = kpis(inv, day, book.fx)
    if company is not None:
        k_table = k_table.loc[k_table["company"] == company]
    out += [
        "",
        "KPIs (days; CEI in %, over the last 3 months):",
        _table(
            k_table[
                [
                    "company",
                    "dso",
                    "dso_countback",
                    "best_possible_dso",
                    "add",
                    "add_invoices",
                    "cei",
                ]
            ],
            [],
            ("dso", "dso_countback", "best_possible_dso", "add", "add_invoices", "cei"),
        ),
    ]
    return "\n".join(out) + "\n"
