"""What moves invoices in the forecast: adjustments and promises to pay.

An adjustment shifts an invoice's (or a customer's) delay distribution by
``shift_days``, or pins its payment to ``to_date``; a live promise puts a point
mass on its date, weighing the customer's promise-keeping probability (an account
promise covers the oldest open invoices up to its amount). Also the delay grid
(``D_MIN`` to ``D_MAX`` days after the due date) the forecast reads. Kept apart
from :mod:`cashplan.forecasting.collection` so that each module stays short; all pure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cashplan.core.kept import kept
from cashplan.fast.arrays import customer_numbers
from cashplan.fast.frames import group_codes, lookup

BASES = ("history", "default", "adjusted", "promise", "disputed")  # ``basis`` codes 0-4
Who = tuple[np.ndarray, pd.DataFrame]  # each item's customer number, and the customers
_KEYS = ["company", "customer_id"]

__all__ = [
    "BASES",
    "DEFAULT_KEEPING",
    "D_MAX",
    "D_MIN",
    "GRID",
    "apply_adjustments",
    "mix_promises",
    "promised_dates",
]

D_MIN, D_MAX = -90, 730  # the delay grid of the forecast, in days after the due date
GRID = D_MAX - D_MIN + 1
DEFAULT_KEEPING = 0.8  # the prior of PayerScorer.promise_keeping; here where none is given


def _latest(table: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    known = table["recorded_on"].isna() | (table["recorded_on"] <= day)
    return table.loc[known].sort_values("recorded_on", kind="stable", na_position="first")


def _concerned(items: pd.DataFrame, table: pd.DataFrame, who: Who) -> np.ndarray:
    """Positions of the items whose customer has a row in ``table``.

    ``who``: each item's customer number and the customers (``DelayModel``), so
    that only those items' text keys are looked up, not a whole large book's.
    """
    codes, customers = who
    named = customer_numbers(table, customers)
    wanted = np.zeros(len(customers), dtype=bool)
    wanted[named[named >= 0]] = True
    return np.flatnonzero(wanted[codes])


def _per_item(
    items: pd.DataFrame, table: pd.DataFrame, column: str | list[str], who: Who
) -> tuple[np.ndarray, np.ndarray | dict[str, np.ndarray]]:
    """The items concerned, and ``column`` of the latest row that names each of them,
    by invoice or else by customer (NaN/NaT when none); for a list of columns, a dict of
    them (the rows and keys worked out once)."""
    columns = [column] if isinstance(column, str) else column
    rows = _concerned(items, table, who)
    mine = items[["company", "customer_id", "invoice_id"]].iloc[rows]
    named = np.asarray(table["invoice_id"] != "")
    # the latest row of each key: the first of the rows read backwards (a lookup takes the
    # first), without dropping the others (``drop_duplicates`` hashed every key column)
    by_invoice = table.iloc[np.flatnonzero(named)[::-1]]
    by_customer = table.iloc[np.flatnonzero(~named)[::-1]]
    inv = lookup(mine, by_invoice, ["company", "invoice_id"], columns)
    cus = lookup(mine, by_customer, _KEYS, columns)
    out = {k: np.where(inv[k].notna(), inv[k].to_numpy(), cus[k].to_numpy()) for k in columns}
    return rows, out[column] if isinstance(column, str) else out


def apply_adjustments(
    items: pd.DataFrame, adjustments: pd.DataFrame | None, day: pd.Timestamp, who: Who
) -> tuple[np.ndarray, np.ndarray]:
    """Days to shift each item's distribution, and the date it is pinned to (or NaT)."""
    n = len(items)
    shift = np.zeros(n, dtype=np.int64)
    pinned = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    if adjustments is None or adjustments.empty:
        return shift, pinned
    adj = _latest(adjustments, day)
    rows, found = _per_item(items, adj, ["shift_days", "to_date"], who)
    assert isinstance(found, dict)
    days, dates = found["shift_days"], found["to_date"]
    shift[rows] = pd.to_numeric(pd.Series(days), errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    pinned[rows] = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]")
    return shift, pinned


def promised_dates(
    items: pd.DataFrame, promises: pd.DataFrame | None, day: pd.Timestamp, who: Who | None = None
) -> np.ndarray:
    """The live promised date of each item (NaT if none); ``who``: see ``_concerned``."""
    out = np.full(len(items), np.datetime64("NaT"), "datetime64[D]")
    if promises is None or promises.empty:
        return out
    if who is None:
        who = group_codes(items, _KEYS)
    live = _latest(promises.loc[promises["promised_date"] >= day], day)
    rows, dated = _per_item(items, live.loc[live["invoice_id"] != ""], "promised_date", who)
    out[rows] = pd.to_datetime(pd.Series(dated)).to_numpy(dtype="datetime64[D]")
    account = live.loc[live["invoice_id"] == ""].drop_duplicates(_KEYS, keep="last")
    if len(account):
        # an account promise covers the oldest open invoices up to its amount
        concerned = _concerned(items, account, who)
        hit = lookup(items[_KEYS].iloc[concerned], account, _KEYS, ["promised_date", "amount"])
        found = hit["amount"].notna().to_numpy()
        rows, hit = concerned[found], hit.loc[found].reset_index(drop=True)
        if len(rows):
            codes = who[0][rows]
            due = items["due_date"].to_numpy()[rows]
            order = np.lexsort((rows, due, codes))  # by customer, oldest due first
            amount = items["open_amount"].to_numpy(dtype=float)[rows][order]
            total = np.cumsum(amount)
            first = np.r_[True, codes[order][1:] != codes[order][:-1]]
            start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
            before = total - amount - (total[start] - amount[start])  # owed before, per customer
            limit = hit["amount"].to_numpy(dtype=float)[order]
            covered = order[before < limit]  # positions among rows
            free = covered[np.isnat(out[rows[covered]])]
            out[rows[free]] = hit["promised_date"].to_numpy(dtype="datetime64[D]")[free]
    return out


def _keeping_by_number(keeping: pd.Series, customers: pd.DataFrame) -> np.ndarray:
    """``keeping`` (indexed by company and customer) for each row of ``customers``, the
    default where absent: kept beside ``keeping`` (:func:`~cashplan.core.kept.kept`) for
    the last ``customers`` (the same object), so that each edit does not index it again.
    Read-only."""
    memo = kept(keeping)
    found = memo.get("by_number")
    if found is None or found[0] is not customers:
        k = keeping.reindex(pd.MultiIndex.from_frame(customers))
        values = k.fillna(DEFAULT_KEEPING).to_numpy(dtype=float)
        values.setflags(write=False)
        found = memo["by_number"] = (customers, values)
    return found[1]


def mix_promises(
    items: pd.DataFrame,
    promises: pd.DataFrame | None,
    keeping: pd.Series | None,
    day: pd.Timestamp,
    mass: np.ndarray,
    dates: dict[str, np.ndarray],
    basis: np.ndarray,
    edges: np.ndarray,
    pinned: np.ndarray,
    who: Who,
    promised: np.ndarray | None = None,
) -> None:
    """Blend each promised (or pinned) item's history with a point mass at its date.

    A promise weighs the customer's promise-keeping probability; a pinned date
    (an adjustment ``to_date``) weighs 1. The p10-p90 band spans the promised
    date and the history's band, unless the promise is nearly sure (p >= 0.9).
    ``mass``, ``dates`` and ``basis`` are updated in place (the caller's own arrays, and
    nothing is returned, so no caller can mistake them for copies); ``who``: see ``_concerned``;
    ``promised``: ``promised_dates(items, promises, day, who)`` when the caller has it.
    """
    if promised is None:
        promised = promised_dates(items, promises, day, who)
    moved = ~np.isnat(promised) | ~np.isnat(pinned)
    rows = np.flatnonzero(moved)  # all the work below is on these few rows
    if not len(rows):
        return
    pin = pinned[rows]
    has_pin = ~np.isnat(pin)
    codes, customers = who
    if keeping is not None and len(keeping):
        p_keep = _keeping_by_number(keeping, customers)[codes[rows]]
    else:
        p_keep = np.full(len(rows), DEFAULT_KEEPING)
    p = np.where(has_pin, 1.0, p_keep)
    first_day = np.datetime64((day + pd.Timedelta(days=1)).date())
    when = np.maximum(np.where(has_pin, pin, promised[rows]), first_day)
    slot = np.clip(np.searchsorted(edges, when, side="right") - 1, 0, mass.shape[1] - 1)
    mass[rows] *= (1.0 - p)[:, None]
    mass[rows, slot] += p
    hist_days = (dates["expected"][rows] - first_day).astype("timedelta64[D]").astype(float)
    promise_days = (when - first_day).astype("timedelta64[D]").astype(float)
    mixed = np.where(np.isnan(hist_days), promise_days, p * promise_days + (1 - p) * hist_days)
    sure = p >= 0.9
    dates["expected"][rows] = first_day + np.round(np.nan_to_num(mixed)).astype("timedelta64[D]")
    dates["p10"][rows] = np.where(sure, when, np.minimum(when, dates["p10"][rows]))
    dates["p90"][rows] = np.where(sure, when, np.maximum(when, dates["p90"][rows]))
    basis[rows] = np.where(has_pin, BASES.index("adjusted"), BASES.index("promise"))
