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
from cashplan.fast.frames import group_codes, key_positions, rows_at

__all__ = [
    "KEY_SEGMENTS",
    "LEVER_OF_STAGE",
    "STAGE_DAYS",
    "TONE_OF_STAGE",
    "chasable",
    "customer_stages",
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
_KEYS = ["company", "customer_id"]


def chasable(invoices: pd.DataFrame) -> np.ndarray:
    """Forecast rows that may be chased: owed to us, not disputed, not under a live promise."""
    return np.asarray((invoices["open_amount_rc"] > 0) & ~invoices["basis"].isin(_NOT_CHASED))


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
) -> tuple[pd.DataFrame, np.ndarray]:
    """``customer_stages`` of ``inv`` whose rows' customers are ``who``'s rows ``number``
    (``who`` sorted by company and customer), and the number of each stage row's customer.

    The customers are grouped and looked up by their numbers: the text keys of ``who``
    alone are joined, to the reliability and the customers tables (a customer's first row).
    """
    stage_days, key_segments, litigation_min = policy
    overdue = chasable(inv) & np.asarray(inv["due_date"] < day)
    mine = number[overdue]
    theirs, first, codes = np.unique(mine, return_index=True, return_inverse=True)
    rows = inv.loc[overdue, [*_KEYS, "due_date", "open_amount_rc"]]
    out = rows[_KEYS].iloc[first].reset_index(drop=True)  # as ``group_codes`` names them
    due = rows["due_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    oldest = np.full(len(out), np.iinfo(np.int64).max)
    np.minimum.at(oldest, codes, due)
    out["overdue_rc"] = np.bincount(
        codes, weights=rows["open_amount_rc"].to_numpy(), minlength=len(out)
    )
    out["days_overdue"] = (np.datetime64(day.date(), "D").astype(np.int64) - oldest).astype("int64")
    stage = 1 + np.searchsorted(np.asarray(stage_days), out["days_overdue"].to_numpy(), "left")
    if reliability is not None:
        at = key_positions(who, reliability, _KEYS)[theirs]
        rel = rows_at(reliability, at, ["reliability", "broken_promise_share"])
        stage += (rel["reliability"] == "unreliable").to_numpy(int)
        stage += (rel["broken_promise_share"].fillna(0.0) >= 0.5).to_numpy(int)
    stage = np.minimum(stage, 5)
    stage = np.where((stage == 5) & (out["overdue_rc"].to_numpy() < litigation_min), 4, stage)
    key = np.zeros(len(out), bool)
    if customers is not None and len(customers):
        at = key_positions(who, customers, _KEYS)[theirs]
        segment = rows_at(customers, at, ["segment"])["segment"]
        key = segment.isin(list(key_segments)).to_numpy()
    out["stage"] = stage.astype("int64")
    out["lever"] = out["stage"].map(LEVER_OF_STAGE).where(~(key & (stage <= 3)), "sales_rep")
    out["tone"] = out["stage"].map(TONE_OF_STAGE)
    out["key_account"] = key
    columns = [*_KEYS, "days_overdue", "overdue_rc", "stage", "lever", "tone", "key_account"]
    return out[columns], theirs
