"""The parameters a ``scenarios`` row may set: their names, meanings and ranges.

A scenario is a named set of rows (``scenario``, ``parameter``, ``value``, optional
``company``) that changes the analysis; rows of one scenario combine. The
parameter names are fixed (:data:`SCENARIO_PARAMETERS`), two of them take a
suffix: ``spending.<category>`` and ``customer_delay:<customer_id>``. Anything
else is refused when the book is read (:mod:`cashplan.core.rules`), with this list.

Examples
--------
>>> split_parameters(pd.Series(["sales_factor", "spending.salaries", "customer_delay:C1", "x"]))
             kind     target
0    sales_factor
1        spending   salaries
2  customer_delay         C1
3
>>> SCENARIO_PARAMETERS["delay_shift_days"].range_text()
'a whole number from 0 to 365'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "BASE",
    "KNOWN_PARAMETERS",
    "SCENARIO_PARAMETERS",
    "SPENDING_CATEGORIES",
    "ScenarioParameter",
    "split_parameters",
]

BASE = "base"
"""The name the comparison gives the analysis without any scenario (refused as a scenario's)."""

SPENDING_CATEGORIES = ("salaries", "external", "taxes", "loans")
"""The spending categories every book knows (a book's spending may add others)."""


@dataclass(frozen=True)
class ScenarioParameter:
    """One parameter of a scenario row: what it does and the values it takes."""

    meaning: str
    low: float
    high: float
    integer: bool = False
    per_company: bool = True  # may a row scope it to one company

    def range_text(self) -> str:
        """The values it takes, as a message says them."""
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"


SCENARIO_PARAMETERS: dict[str, ScenarioParameter] = {
    "sales_factor": ScenarioParameter(
        "multiplies the invoicing still to come (the model's and the sales plan's)", 0, 10
    ),
    "delay_shift_days": ScenarioParameter(
        "every customer pays this many days later: open invoices and the invoices still to come",
        0,
        365,
        integer=True,
    ),
    "spending": ScenarioParameter(
        "spending.<category>: this amount added to the category in each open month "
        "(a negative amount is a cut; a month never goes below 0)",
        -1e13,
        1e13,
    ),
    "customer_delay": ScenarioParameter(
        "customer_delay:<customer_id>: that customer pays its open invoices this many days later",
        0,
        365,
        integer=True,
    ),
    "safety_margin": ScenarioParameter(
        "the safety margin on the open months' need (a fraction)", 0, 1, per_company=False
    ),
    "catch_up": ScenarioParameter(
        "the months over which a shortfall is caught up", 1, 12, integer=True, per_company=False
    ),
}

_SUFFIXED = ("spending", "customer_delay")
KNOWN_PARAMETERS = (
    "sales_factor, delay_shift_days, spending.<category>, customer_delay:<customer_id>, "
    "safety_margin, catch_up"
)
"""The parameter names as the refusal of an unknown one lists them."""


def split_parameters(names: pd.Series) -> pd.DataFrame:
    """Each parameter name's entry in :data:`SCENARIO_PARAMETERS` (``kind``, '' when unknown)
    and its suffix (``target``: the category or the customer, '' for a plain name).

    ``spending.<category>`` is ``spending`` and ``customer_delay:<customer_id>`` is
    ``customer_delay`` when the suffix is not empty; the plain names must match exactly.
    """
    text = names.astype("str").str.strip()
    head = text.str.extract(r"^(spending)\.(.+)$|^(customer_delay):(.+)$")
    kind = head[0].fillna(head[2])
    target = head[1].fillna(head[3]).fillna("")
    plain = text.isin([k for k in SCENARIO_PARAMETERS if k not in _SUFFIXED])
    kind = kind.where(kind.notna(), text.where(plain, "")).fillna("")
    return pd.DataFrame({"kind": kind.astype(str), "target": target.astype(str)}, index=names.index)
