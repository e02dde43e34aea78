"""Parts of the forecast that move invoices: adjustments, promises, and the conditional mean.

Kept apart from :mod:`cashplan.forecast` so that each module stays short; all pure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan._fast import group_codes, lookup

__all__ = ["D_MAX", "D_MIN", "GRID", "apply_adjustments", "mix_promises", "tail_sums"]

D_MIN, D_MAX = -90, 730  # the delay grid of the forecast, in days after the due date
GRID = D_MAX - D_MIN + 1
_DEFAULT_KEEPING = 0.8


def tail_sums(cdf: np.ndarray, c: np.ndarray, age: np.ndarray) -> np.ndarray:
    """For each invoice: sum over delays d > age of d x P(d), from its customer's CDF row."""
    pmf = np.diff(cdf, axis=1, prepend=0.0)
    delays = np.arange(D_MIN, D_MAX + 1, dtype=float)
    moment = np.cumsum(pmf * delays, axis=1)
    k = age - D_MIN
    below = np.where(k < 0, 0.0, moment[c, np.clip(k, 0, GRID - 1)])
    return np.where(k >= GRID - 1, 0.0, moment[c, -1] - below)


def _latest(table: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    known = table["recorded_on"].isna() | (table["recorded_on"] <= day)
    return table.loc[known].sort_values("recorded_on", kind="stable", na_position="first")


def _per_item(items: pd.DataFrame, table: pd.DataFrame, column: str) -> pd.Series:
    """``column`` of the latest row that names each item, by invoice or else by customer."""
    named = table["invoice_id"] != ""
    by_invoice = table.loc[named].drop_duplicates(["company", "invoice_id"], keep="last")
    by_customer = table.loc[~named].drop_duplicates(["company", "customer_id"], keep="last")
    inv = lookup(items, by_invoice, ["company", "invoice_id"], [column])[column]
    cus = lookup(items, by_customer, ["company", "customer_id"], [column])[column]
    return pd.Series(np.where(inv.notna(), inv.to_numpy(), cus.to_numpy()), index=items.index)


def apply_adjustments(items: pd.DataFrame, adjustments: pd.DataFrame | None,
                      day: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Days to shift each item's distribution, and the date it is pinned to (or NaT)."""
    n = len(items)
    if adjustments is None or adjustments.empty:
        return np.zeros(n, dtype=np.int64), np.full(n, np.datetime64("NaT"), "datetime64[D]")
    adj = _latest(adjustments, day)
    shift = pd.to_numeric(_per_item(items, adj, "shift_days"), errors="coerce")
    pinned = pd.to_datetime(_per_item(items, adj, "to_date"))
    return (shift.fillna(0).to_numpy(dtype=np.int64),
            pinned.to_numpy(dtype="datetime64[D]"))  # fmt: skip


def promised_dates(items: pd.DataFrame, promises: pd.DataFrame | None,
                    day: pd.Timestamp) -> np.ndarray:  # fmt: skip
    """The live promised date of each item (NaT if none)."""
    none = np.full(len(items), np.datetime64("NaT"), "datetime64[D]")
    if promises is None or promises.empty:
        return none
    live = _latest(promises, day)
    live = live.loc[live["promised_date"] >= day]
    dated = _per_item(items, live.loc[live["invoice_id"] != ""], "promised_date")
    out = pd.to_datetime(dated).to_numpy(dtype="datetime64[D]")
    account = live.loc[live["invoice_id"] == ""].drop_duplicates(
        ["company", "customer_id"], keep="last")  # fmt: skip
    if len(account):
        # an account promise covers the oldest open invoices up to its amount
        keys = ["company", "customer_id"]
        hit = lookup(items, account, keys, ["promised_date", "amount"])
        rows = np.flatnonzero(hit["amount"].notna().to_numpy())
        if len(rows):
            codes, _ = group_codes(items.iloc[rows], keys)
            due = items["due_date"].to_numpy()[rows]
            order = np.lexsort((rows, due, codes))  # by customer, oldest due first
            amount = items["open_amount"].to_numpy(dtype=float)[rows][order]
            total = np.cumsum(amount)
            first = np.r_[True, codes[order][1:] != codes[order][:-1]]
            start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
            before = total - amount - (total[start] - amount[start])  # owed before, per customer
            limit = hit["amount"].to_numpy(dtype=float)[rows][order]
            covered = rows[order][before < limit]
            free = covered[np.isnat(out[covered])]
            out[free] = hit["promised_date"].to_numpy(dtype="datetime64[D]")[free]
    return out


def mix_promises(items: pd.DataFrame, promises: pd.DataFrame | None,
                 keeping: pd.Series | None, day: pd.Timestamp, mass: np.ndarray,
                 dates: dict[str, np.ndarray], basis: np.ndarray, edges: np.ndarray,
                 pinned: np.ndarray
                 ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """Blend each promised (or pinned) item's history with a point mass at its date.

    A promise weighs the customer's promise-keeping probability; a pinned date
    (an adjustment ``to_date``) weighs 1. The p10-p90 band spans the promised
    date and the history's band, unless the promise is nearly sure (p >= 0.9).
    """
    promised = promised_dates(items, promises, day)
    p = np.zeros(len(items))
    if keeping is not None and len(keeping):
        k = keeping.reindex(pd.MultiIndex.from_frame(items[["company", "customer_id"]]))
        p_keep = k.fillna(_DEFAULT_KEEPING).to_numpy(dtype=float)
    else:
        p_keep = np.full(len(items), _DEFAULT_KEEPING)
    has_promise = ~np.isnat(promised)
    p[has_promise] = p_keep[has_promise]
    has_pin = ~np.isnat(pinned)
    when = np.where(has_pin, pinned, promised)
    p[has_pin] = 1.0
    moved = has_promise | has_pin
    if not moved.any():
        return mass, dates, basis
    first_day = np.datetime64((day + pd.Timedelta(days=1)).date())
    when = np.where(moved, np.maximum(when, first_day), when)
    slot = np.clip(np.searchsorted(edges, when[moved], side="right") - 1, 0, mass.shape[1] - 1)
    mass = mass.copy()
    mass[moved] *= (1.0 - p[moved])[:, None]
    mass[np.flatnonzero(moved), slot] += p[moved]
    hist_days = (dates["expected"] - first_day).astype("timedelta64[D]").astype(float)
    promise_days = (when - first_day).astype("timedelta64[D]").astype(float)
    mixed = np.where(np.isnan(hist_days), promise_days, p * promise_days + (1 - p) * hist_days)
    sure = moved & (p >= 0.9)
    dates = {
        "expected": np.where(moved, first_day + np.round(np.nan_to_num(mixed)).astype(
            "timedelta64[D]"), dates["expected"]),
        "p10": np.where(sure, when, np.where(moved, np.minimum(when, dates["p10"]),
                                             dates["p10"])),
        "p90": np.where(sure, when, np.where(moved, np.maximum(when, dates["p90"]),
                                             dates["p90"])),
    }  # fmt: skip
    basis = basis.copy()
    basis[has_promise & ~has_pin] = "promise"
    basis[has_pin] = "adjusted"
    return mass, dates, basis
