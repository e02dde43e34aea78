"""Dunning stages: how hard to press each customer, from its overdue invoices and its profile.

Decisions (also in the README). The book has no dunning log, so a customer's
stage comes from what it does hold:

- the days overdue of its oldest *chasable* overdue invoice (not disputed, not
  under a live promise): up to ``stage_days[0]`` stage 1, then one stage per
  threshold, stage 5 beyond the last;
- its profile: an *unreliable* payer moves up one stage, and so does one that
  broke half or more of its past promises (its dunning history);
- stage 5 (litigation) only when the chasable overdue amount is worth it
  (``litigation_min``, reporting currency); otherwise stage 4.

Stage -> lever and tone: 1 ``call`` (friendly), 2 ``escalate`` (firm),
3 ``dunning`` (formal notice), 4 ``cut_off`` (service cut-off warning),
5 ``litigation`` (final notice). A key account (``customers.segment`` in
``key_segments``) at stages 1-3 is handled by its sales rep: lever ``sales_rep``.

Examples
--------
>>> fc = pd.DataFrame({"company": "A", "customer_id": ["C1", "C1", "C2"],
...     "invoice_id": ["1", "2", "3"], "open_amount_rc": [100.0, 50.0, 5_000.0],
...     "due_date": pd.to_datetime(["2026-10-20", "2026-08-01", "2026-06-01"]),
...     "basis": ["history", "promise", "history"]})
>>> customer_stages(fc, "2026-10-31")[["customer_id", "days_overdue", "stage", "lever", "tone"]]
  customer_id  days_overdue  stage       lever        tone
0          C1            11      1        call    friendly
1          C2           152      5  litigation  final_notice
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.kept import kept
from cashplan.fast.frames import group_codes, isin, key_positions

__all__ = [
    "KEY_SEGMENTS",
    "LEVER_OF_STAGE",
    "STAGE_DAYS",
    "TONE_OF_STAGE",
    "chasable",
    "customer_stages",
    "profiles",
    "stages_of",
]

STAGE_DAYS = (30, 60, 90, 120)
KEY_SEGMENTS = ("key_account", "key", "grand_compte")
LEVER_OF_STAGE = {1: "call", 2: "escalate", 3: "dunning", 4: "cut_off", 5: "litigation"}
TONE_OF_STAGE = {
    1: "friendly",
    2: "firm",
    3: "formal_notice",
    4: "cut_off_warning",
    5: "final_notice",
}
_NOT_CHASED = ("promise", "disputed")
_NOT_CHASED_VALUES = pd.Series(_NOT_CHASED, dtype="str")
_KEYS = ["company", "customer_id"]


def chasable(invoices: pd.DataFrame) -> np.ndarray:
    """Forecast rows that may be chased: owed to us, not disputed, not under a live promise.

    >>> chasable(pd.DataFrame({"open_amount_rc": [5.0, 5.0, -1.0, np.nan],
    ...     "basis": ["history", "promise", "history", None]})).tolist()
    [True, False, False, False]
    """
    owed = invoices["open_amount_rc"].to_numpy(dtype=float) > 0
    return owed & ~isin(invoices["basis"], _NOT_CHASED_VALUES)


def customer_stages(
    forecast_invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    reliability: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    stage_days: Sequence[int] = STAGE_DAYS,
    key_segments: Sequence[str] = KEY_SEGMENTS,
    litigation_min: float = 2_000.0,
    *,
    numbers: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """One row per customer with chasable overdue invoices: its stage, lever and tone.

    Parameters
    ----------
    forecast_invoices : DataFrame
        ``Forecast.invoices`` (company, customer_id, open_amount_rc, due_date, basis).
    reliability : DataFrame, optional
        ``PayerScorer.classify()``: ``reliability`` and ``broken_promise_share``.
    customers : DataFrame, optional
        The book's customers (``segment`` marks key accounts).
    numbers : (array, DataFrame), optional
        The number of each invoice's customer among a table of customers (company,
        customer_id) sorted by both, as the forecast holds them (``Forecast.customer``,
        ``Forecast.customers``); worked out from the invoices when not given.

    Returns
    -------
    DataFrame
        company, customer_id, days_overdue, overdue_rc, stage, lever, tone, key_account;
        sorted by company and customer.
    """
    inv = forecast_invoices
    number, who = group_codes(inv, _KEYS) if numbers is None else numbers
    policy = (stage_days, key_segments, litigation_min)
    return stages_of(inv, number, who, to_date(as_of), reliability, customers, policy)[0]


def stages_of(
    inv: pd.DataFrame,
    number: np.ndarray,
    who: pd.DataFrame,
    day: pd.Timestamp,
    reliability: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    policy: tuple[Sequence[int], Sequence[str], float],
    chased: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``customer_stages`` of ``inv`` whose rows' customers are ``who``'s rows ``number``
    (``who`` sorted by company and customer), and the number of each stage row's customer;
    ``chased``: ``chasable(inv)`` when the caller has it.

    The customers are grouped and looked up by their numbers (:func:`profiles`): the
    text keys of ``who`` alone are joined, once, to the reliability and customers tables.
    """
    stage_days, key_segments, litigation_min = policy
    chased = chasable(inv) if chased is None else chased
    overdue = np.flatnonzero(chased & np.asarray(inv["due_date"] < day))
    theirs, first, codes = np.unique(number[overdue], return_index=True, return_inverse=True)
    due = inv["due_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)[overdue]
    oldest = np.full(len(theirs), np.iinfo(np.int64).max)
    np.minimum.at(oldest, codes, due)
    amount = inv["open_amount_rc"].to_numpy()[overdue]
    overdue_rc = np.bincount(codes, weights=amount, minlength=len(theirs))
    days = (np.datetime64(day.date(), "D").astype(np.int64) - oldest).astype("int64")
    stage = 1 + np.searchsorted(np.asarray(stage_days), days, "left")
    known = profiles(who, reliability, customers, key_segments)
    if reliability is not None:
        stage += known["unreliable"][theirs].astype(int) + known["broken"][theirs].astype(int)
    stage = np.minimum(stage, 5)
    stage = np.where((stage == 5) & (overdue_rc < litigation_min), 4, stage).astype("int64")
    key = known["key"][theirs]
    lever = np.where(key & (stage <= 3), "sales_rep", _LEVERS[stage]).astype(object)
    at = overdue[first]  # each customer's first row, as ``group_codes`` names them
    out = pd.DataFrame(  # built at once (a frame taken, then assigned, cost more)
        {
            **{k: inv[k].array.take(at) for k in _KEYS},
            "days_overdue": days,
            "overdue_rc": overdue_rc,
            "stage": stage,
            "lever": lever,
            "tone": _TONES[stage],
            "key_account": key,
        },
        copy=False,
    )
    return out, theirs


_LEVERS = np.array([None, *LEVER_OF_STAGE.values()], dtype=object)  # by stage 1-5
_TONES = np.array([None, *TONE_OF_STAGE.values()], dtype=object)


def profiles(
    who: pd.DataFrame,
    reliability: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    key_segments: Sequence[str] = KEY_SEGMENTS,
) -> dict[str, np.ndarray]:
    """What the stages and the plan read of each customer of ``who`` (by its row): from its
    first row of ``reliability``, ``unreliable`` and ``broken`` (broke half of its
    promises or more); from its first row of ``customers``, ``key`` (a key account),
    ``owner`` ("unassigned" when none) and ``name`` ("" when none); False or empty where
    the table lacks it or is None.

    Kept beside ``who`` (:func:`~cashplan.core.kept.kept`) for the last tables given
    (the same objects): each edit in the workbook reads them again for nothing else.
    Read-only arrays.
    """
    memo = kept(who)
    found = memo.get("profiles")  # holds the tables themselves: compared by identity
    if (
        found is not None
        and found[0] is reliability
        and found[1] is customers
        and found[2] == tuple(key_segments)
    ):
        return found[3]
    n = len(who)
    out = {
        "unreliable": np.zeros(n, bool),
        "broken": np.zeros(n, bool),
        "key": np.zeros(n, bool),
        "owner": np.full(n, "unassigned", dtype=object),
        "name": np.full(n, "", dtype=object),
    }
    if reliability is not None:
        at = key_positions(who, reliability, _KEYS)
        hit = at >= 0
        rel = reliability.iloc[at[hit]]
        out["unreliable"][hit] = (rel["reliability"] == "unreliable").to_numpy(bool)
        out["broken"][hit] = (rel["broken_promise_share"].fillna(0.0) >= 0.5).to_numpy(bool)
    if customers is not None and len(customers):
        at = key_positions(who, customers, _KEYS)
        hit = at >= 0
        mine = customers.iloc[at[hit]]
        out["key"][hit] = mine["segment"].isin(list(key_segments)).to_numpy(bool)
        for name, empty in (("owner", "unassigned"), ("name", "")):  # what the plan shows
            if name in mine.columns:
                out[name][hit] = mine[name].fillna(empty).to_numpy(dtype=object)
    for values in out.values():
        values.setflags(write=False)
    memo["profiles"] = (reliability, customers, tuple(key_segments), out)
    return out
