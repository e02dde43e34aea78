"""Disputed invoices in the forecast: learned from the book's settled disputes, or a policy.

A disputed invoice is not lost cash: in many books disputes are settled, only later
than the rest. Where the history holds settled disputed invoices (the ``disputed``
flag kept on settled invoices), their delays (paid date - due date) make a delay
distribution of their own, built exactly as the ordinary one
(:func:`cashplan.fast.delays.delay_cdfs`): the company's settled disputes pooled, each
customer's own disputes blended with them by ``prior_strength`` invoices' worth. An
open disputed invoice then follows it, conditioned on its age like any other
invoice. The ordinary distribution is learned from the undisputed history only, so
that slow disputes do not make every invoice look later.

Policies (``dispute_policy``):

- ``"learned"``: the learned distribution in every company with a settled dispute;
  ``"exclude"`` in the others;
- ``"auto"`` (the default): ``"learned"`` in a company whose history holds at least
  ``MIN_SETTLED_DISPUTES`` settled disputed invoices, ``"exclude"`` in the others;
- ``"exclude"``: beyond the horizon (cash the forecast does not count on);
- ``"long_delay"``: spread evenly from 60 to 240 days after as-of.

``MIN_SETTLED_DISPUTES = 30``: with fewer, a company's dispute delays are too thin to
trust (the mean of 30 delays spread by about 20 days is known to within about 4
days, inside a weekly bucket; of 10, to within 6-7).

Examples
--------
>>> counts = pd.Series({"FR01": 45, "UK01": 3})
>>> applied_policies("auto", counts).to_dict()
{'FR01': 'learned', 'UK01': 'exclude'}
>>> applied_policies("learned", counts).to_dict()
{'FR01': 'learned', 'UK01': 'learned'}
>>> applied_policies("long_delay", counts).to_dict()
{'FR01': 'long_delay', 'UK01': 'long_delay'}
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cashplan.core.params import DISPUTE_POLICIES
from cashplan.fast.arrays import LedgerArrays
from cashplan.fast.delays import delay_cdfs

__all__ = [
    "DISPUTE_POLICIES",
    "MIN_SETTLED_DISPUTES",
    "applied_policies",
    "check_policy",
    "dispute_history",
    "policy_sentence",
]

MIN_SETTLED_DISPUTES = 30


def check_policy(policy: str) -> None:
    """Refuse a ``dispute_policy`` that is not one of ``DISPUTE_POLICIES``."""
    if policy not in DISPUTE_POLICIES:
        raise ValueError(
            f"dispute_policy is one of {', '.join(map(repr, DISPUTE_POLICIES))}, not {policy!r}"
        )


def dispute_history(
    arrays: LedgerArrays,
    day: np.int64,
    decay: np.ndarray,
    *,
    d_min: int,
    d_max: int,
    uniform: float,
    prior_strength: float,
    learn: bool = True,
) -> tuple[LedgerArrays, pd.Series, np.ndarray | None]:
    """The undisputed history's arrays, each company's settled disputes, their delay CDFs.

    Returns the arrays with the settled disputed invoices' amounts set to 0 (so that the
    ordinary delay distribution leaves them out), the count of settled disputed invoices
    per company (issued and settled by ``day``, credit notes left out), and the
    disputes' blended delay CDFs (one row per customer), or None when there is none
    (or ``learn`` is False: no open invoice in dispute, a pass over the ledger saved).

    >>> from cashplan.fast.arrays import LedgerArrays
    >>> arrays = LedgerArrays(codes=np.array([0, 0, 0]),
    ...     customers=pd.DataFrame({"company": ["A"], "customer_id": ["C1"]}),
    ...     issue=np.zeros(3, dtype=np.int64), due=np.full(3, 10), paid=np.array([10, 30, 12]),
    ...     amount=np.ones(3), open_amount=np.zeros(3), disputed=np.array([False, True, False]))
    >>> regular, counts, cdf = dispute_history(arrays, np.int64(40), np.ones(41), d_min=0,
    ...     d_max=20, uniform=0.0, prior_strength=0.0)
    >>> regular.amount.tolist(), counts.to_dict(), cdf[0, [19, 20]].tolist()
    ([1.0, 0.0, 1.0], {'A': 1}, [0.0, 1.0])
    """
    a = arrays
    settled = a.disputed & (a.paid <= day) & (a.issue <= day) & (a.amount > 0)
    company = a.customers["company"].to_numpy(dtype=object)
    names = np.unique(company)
    if not settled.any():
        return arrays, pd.Series(0, index=names, dtype="int64"), None
    of_row = pd.Series(company[a.codes[settled]]).value_counts()
    counts = of_row.reindex(names, fill_value=0).astype("int64")
    regular = dataclasses.replace(a, amount=np.where(settled, 0.0, a.amount))
    if not learn:
        return regular, counts, None
    disputes = dataclasses.replace(a, amount=np.where(settled, a.amount, 0.0))
    cdf = delay_cdfs(
        disputes,
        day,
        decay,
        d_min=d_min,
        d_max=d_max,
        uniform=uniform,
        prior_strength=prior_strength,
    )
    return regular, counts, cdf


def applied_policies(policy: str, settled_disputes: pd.Series) -> pd.Series:
    """The policy that applies in each company (``settled_disputes``: company -> count)."""
    check_policy(policy)
    if policy in ("exclude", "long_delay"):
        return pd.Series(policy, index=settled_disputes.index, dtype=object)
    least = MIN_SETTLED_DISPUTES if policy == "auto" else 1
    return pd.Series(
        np.where(settled_disputes >= least, "learned", "exclude"),
        index=settled_disputes.index,
        dtype=object,
    )


_SAYS = {
    "learned": "forecast from the book's settled disputed invoices",
    "exclude": "left out of the forecast",
    "long_delay": "spread from 60 to 240 days after the as-of date",
}


def policy_sentence(table: pd.DataFrame, currency: str) -> str:
    """One sentence on what the forecast did with disputed invoices, from ``Forecast.disputes``.

    >>> t = pd.DataFrame({"company": ["FR01", "UK01"], "policy": ["learned", "exclude"],
    ...     "settled_disputes": [120, 2], "open_disputed": [14, 1],
    ...     "open_disputed_rc": [52_000.0, 900.0]})
    >>> print(policy_sentence(t, "EUR"))
    Disputed invoices (15, 52,900 EUR open): FR01 forecast from the book's settled disputed \
invoices (120 settled); UK01 left out of the forecast (too few settled disputes to learn from).
    """
    open_ = table.loc[table["open_disputed"] > 0]
    if open_.empty:
        return "No open invoice is in dispute."
    parts = []
    columns = ("company", "policy", "settled_disputes")
    for company, policy, settled in zip(*(open_[c].tolist() for c in columns), strict=True):
        text = f"{company} {_SAYS[policy]}"
        if policy == "learned":
            text += f" ({settled:,} settled)"
        elif settled < MIN_SETTLED_DISPUTES:
            text += " (too few settled disputes to learn from)"
        parts.append(text)
    total = open_["open_disputed_rc"].sum()
    return (
        f"Disputed invoices ({int(open_['open_disputed'].sum()):,}, {total:,.0f} {currency} "
        f"open): {'; '.join(parts)}."
    )
