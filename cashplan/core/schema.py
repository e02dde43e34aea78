"""The book's tables and columns, as ``data-format.md`` states them.

Examples
--------
>>> [c.name for c in TABLES["invoices"] if c.required]
['invoice_id', 'customer_id', 'issue_date', 'due_date', 'amount']
>>> sorted(TABLES)  # doctest: +NORMALIZE_WHITESPACE
['activity', 'adjustments', 'bank', 'customers', 'fx_rates', 'invoices', 'promises', 'sales_plan',
 'scenarios', 'spending']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DEFAULT_COMPANY", "LEVER_NAMES", "REQUIRED_TABLES", "TABLES", "Column", "Kind"]

Kind = Literal["text", "date", "decimal", "int", "bool", "currency", "month"]
DEFAULT_COMPANY = "default"
LEVER_NAMES = ("call", "sales_rep", "escalate", "dunning", "cut_off", "discount", "litigation")
"""The battle plan's levers (``planning.plan.LEVERS``, cheapest first): what an ``activity``
row may name (0.2)."""


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, the kind of value, whether required."""

    name: str
    kind: Kind
    required: bool = False


def _c(name: str, kind: Kind, required: bool = False) -> Column:
    return Column(name, kind, required)


TABLES: dict[str, tuple[Column, ...]] = {
    "invoices": (
        _c("invoice_id", "text", True),
        _c("customer_id", "text", True),
        _c("issue_date", "date", True),
        _c("due_date", "date", True),
        _c("amount", "decimal", True),
        _c("company", "text"),
        _c("currency", "currency"),
        _c("paid_date", "date"),
        _c("open_amount", "decimal"),
        _c("disputed", "bool"),
    ),
    "customers": (
        _c("customer_id", "text", True),
        _c("company", "text"),
        _c("name", "text"),
        _c("owner", "text"),
        _c("segment", "text"),
        _c("credit_limit", "decimal"),
        _c("payment_terms_days", "int"),
        _c("contact", "text"),
    ),
    "promises": (
        _c("customer_id", "text", True),
        _c("promised_date", "date", True),
        _c("amount", "decimal", True),
        _c("company", "text"),
        _c("invoice_id", "text"),
        _c("recorded_on", "date"),
        _c("recorded_by", "text"),
        _c("note", "text"),
    ),
    "spending": (
        # a row has a month (paid every month on its `day`) or a `date` (paid once, 0.2)
        _c("month", "month"),
        _c("category", "text", True),
        _c("amount", "decimal", True),
        _c("company", "text"),
        # extension of data-format.md (README, version notes): the currency the
        # amounts are in; default the reporting currency.
        _c("currency", "currency"),
        _c("day", "int"),
        _c("date", "date"),
    ),
    # cash on hand (0.2): the balance at the end of a day, per account
    "bank": (
        _c("company", "text", True),
        _c("date", "date", True),
        _c("balance", "decimal", True),
        _c("currency", "currency"),
        _c("account", "text"),
    ),
    "fx_rates": (
        _c("date", "date", True),
        _c("currency", "currency", True),
        _c("rate", "decimal", True),
    ),
    # the invoicing the CFO expects (0.2): it replaces the modelled invoicing of its
    # company-months; the workbook appends rows (a later row for a company-month wins)
    "sales_plan": (
        _c("company", "text", True),
        _c("month", "month", True),
        _c("amount", "decimal", True),
        _c("currency", "currency"),
        _c("recorded_on", "date"),
        _c("recorded_by", "text"),
        _c("note", "text"),
    ),
    # manual forecast adjustments written by the workbook (see the forecast issue)
    "adjustments": (
        _c("customer_id", "text", True),
        _c("company", "text"),
        _c("invoice_id", "text"),
        _c("shift_days", "int"),
        _c("to_date", "date"),
        _c("recorded_on", "date"),
        _c("recorded_by", "text"),
        _c("note", "text"),
    ),
    # what the team did (0.2): a plan's action done on a day (the workbook's "done");
    # the monthly review tells actions done from actions only planned
    "activity": (
        _c("date", "date", True),
        _c("customer_id", "text", True),
        _c("lever", "text", True),
        _c("by", "text", True),
        _c("company", "text"),
        _c("note", "text"),
    ),
    # what-ifs compared with the base (0.2): rows of one scenario combine; the parameters
    # are core/scenarios.py's; an empty company means every company; the workbook appends
    "scenarios": (
        _c("scenario", "text", True),
        _c("parameter", "text", True),
        _c("value", "decimal", True),
        _c("company", "text"),
        _c("recorded_on", "date"),
        _c("recorded_by", "text"),
        _c("note", "text"),
    ),
}

REQUIRED_TABLES = frozenset({"invoices"})
