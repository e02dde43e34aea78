"""The monthly review: last month's forecast and battle plan held against what followed.

Pure: last month's report (:class:`~cashplan.io.previous.PreviousReport`, as read back)
and this month's book in, four tables out (:class:`Review`). The window reviewed runs from
the day after last month's as-of (``since``) to this month's (``until``).

- ``weekly``: per company (and ``ALL``) and Monday-week, last month's forecast of the whole
  cash-in (``total_expected``) against what was collected: the invoices fully settled in
  the week, converted at their paid date (the collections of the targets and the gap). The
  first week counts the days after ``since`` on both sides (the forecast's first week does
  the same). The week holding ``until`` counts its days up to ``until``: its actual is what
  was collected by then, its forecast the week's pro rata of the days lived (``days`` of
  the week's forecast days; the report has no daily forecast). Weeks after are not reviewed.
- ``invoices``: the invoices open last month whose payment moved against the forecast:
  paid before its p10 date (``earlier``), after its p90 date (``later``), or still open
  though its expected date has passed (``not_paid``); ranked by ``amount_days`` (the open
  amount times the days moved). Then the promises that fell due in the window: ``kept``
  (paid by the promised date plus the tolerance), ``broken`` or ``pending``.
- ``actions``: every action of last month's plan, with what its invoices brought since
  and whether it was done (an ``activity`` row of its company, customer and lever dated
  from last month's as-of to the day before this one's).
- ``levers``: the levers' success rates learned from the actions done (:func:`learn_levers`).

Examples
--------
A lever's rate after 12 calls done of which 9 succeeded, the prior (50 %) worth 20 actions:

>>> levers = learn_levers(pd.DataFrame({"lever": ["call"] * 12, "done": [True] * 12,
...     "success": [True] * 9 + [False] * 3}))
>>> levers.loc[levers["lever"] == "call", ["prior", "successes", "trials", "posterior"]
...     ].round(4).to_dict("records")
[{'prior': 0.5, 'successes': 9, 'trials': 12, 'posterior': 0.5938}]

(20 x 0.5 + 9) / (20 + 12) = 19 / 32 = 0.5938.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.core.dates import ALL, to_date
from cashplan.fast.frames import lookup
from cashplan.io.book import Book
from cashplan.io.previous import PreviousReport
from cashplan.ledger.items import collections
from cashplan.planning.plan import LEVERS

__all__ = [
    "ACTION_COLUMNS",
    "INVOICE_COLUMNS",
    "LEVER_COLUMNS",
    "PRIOR_STRENGTH",
    "WEEKLY_COLUMNS",
    "Review",
    "learn_levers",
    "review",
    "review_actions",
    "review_invoices",
    "review_weekly",
]

PRIOR_STRENGTH = 20.0
"""How many actions' worth the prior rate (``plan.LEVERS``) weighs in the levers' update."""
TOLERANCE_DAYS = 5  # a promise paid up to 5 days after its date is kept (as the payer score)
HORIZON_MONTHS = 6  # the forecast's horizon: an invoice it left beyond is expected there

WEEKLY_COLUMNS = [
    "company",
    "week_start",
    "forecast",
    "actual",
    "difference",
    "forecast_p10",
    "forecast_p90",
    "in_band",
    "days",
    "open_forecast",
    "open_actual",
]
INVOICE_COLUMNS = [
    "company",
    "invoice_id",
    "customer_id",
    "name",
    "owner",
    "kind",
    "status",
    "open_amount_rc",
    "expected_date",
    "paid_date",
    "days_moved",
    "amount_days",
    "p10_date",
    "p90_date",
    "basis",
    "promised_amount",
]
ACTION_COLUMNS = [
    "company",
    "rank",
    "customer_id",
    "owner",
    "lever",
    "amount_rc",
    "done",
    "collected_rc",
    "n_invoices",
    "n_paid",
    "success",
    "done_on",
    "done_by",
    "name",
    "invoices",
]
LEVER_COLUMNS = ["lever", "prior", "prior_strength", "successes", "trials", "posterior"]


@dataclass(frozen=True)
class Review:
    """The review of last month (see the module doc): ``since`` (last month's as-of) to
    ``until`` (this month's), and its four tables."""

    since: pd.Timestamp
    until: pd.Timestamp
    weekly: pd.DataFrame
    invoices: pd.DataFrame
    actions: pd.DataFrame
    levers: pd.DataFrame


def review(
    previous: PreviousReport,
    book: Book,
    as_of: str | pd.Timestamp,
    prior_strength: float = PRIOR_STRENGTH,
) -> Review:
    """Last month's report held against ``book`` at ``as_of`` (see the module doc).

    The caller has checked that ``previous`` is of this book and earlier
    (:func:`cashplan.io.previous.check_previous`).
    """
    since, until = previous.as_of, to_date(as_of)
    actions = review_actions(previous.actions, book, since, until)
    return Review(
        since,
        until,
        review_weekly(previous.weekly, book, since, until),
        review_invoices(previous.invoices, book, since, until),
        actions,
        learn_levers(actions, previous.levers, prior_strength),
    )


def review_weekly(
    weekly: pd.DataFrame, book: Book, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    """Last month's weekly forecast of the whole cash-in against the collections (module doc).

    ``weekly`` is last month's ``forecast_weekly.csv``; returns :data:`WEEKLY_COLUMNS`.
    """
    day = pd.Timedelta(days=1)
    weeks = weekly.loc[weekly["week_start"] <= until].reset_index(drop=True)
    start = weeks["week_start"]
    first = start.where(start > since, since + day)  # the forecast counts days after since
    end = start + 7 * day
    lived = (end.where(end <= until + day, until + day) - first).dt.days
    share = (lived / (end - first).dt.days).to_numpy()
    cash = collections(book.invoices, book.fx)
    issued = book.invoices.loc[book.invoices["paid_date"].notna(), "issue_date"].to_numpy()
    cash = cash.assign(open_then=issued <= since.to_datetime64())
    cash = cash.loc[(cash["paid_date"] > since) & (cash["paid_date"] <= until)]
    monday = cash["paid_date"] - pd.to_timedelta(cash["paid_date"].dt.day_of_week, unit="D")
    cash = cash.assign(
        week_start=monday.astype(weeks["week_start"].dtype),
        open_rc=cash["amount_rc"].where(cash["open_then"], 0.0),
    )
    per = cash.groupby(["company", "week_start"], as_index=False)[["amount_rc", "open_rc"]].sum()
    total = per.groupby("week_start", as_index=False)[["amount_rc", "open_rc"]].sum()
    actual = pd.concat([per, total.assign(company=ALL)], ignore_index=True)
    out = weeks.merge(actual, on=["company", "week_start"], how="left").fillna(
        {"amount_rc": 0.0, "open_rc": 0.0}
    )
    out = out.assign(
        forecast=out["total_expected"] * share,
        actual=out["amount_rc"],
        difference=out["total_expected"] * share - out["amount_rc"],
        forecast_p10=out["total_p10"] * share,
        forecast_p90=out["total_p90"] * share,
        days=lived.to_numpy(),
        open_forecast=out["expected"] * share,
        open_actual=out["open_rc"],
    )
    out["in_band"] = (out["actual"] >= out["forecast_p10"] - 0.005) & (
        out["actual"] <= out["forecast_p90"] + 0.005
    )
    return out[WEEKLY_COLUMNS]


def review_invoices(
    seen: pd.DataFrame, book: Book, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    """The invoices whose payment moved most against last month's forecast, then the promises
    that fell due since (module doc). ``seen`` is last month's ``forecast_invoices.csv``."""
    keys = ["company", "invoice_id"]
    seen = seen.reset_index(drop=True)
    now = lookup(seen, book.invoices, keys, ["paid_date", "customer_id"])
    horizon = since + pd.DateOffset(months=HORIZON_MONTHS)
    expected = seen["expected_date"].fillna(horizon)  # left beyond the horizon: expected there
    paid_date = now["paid_date"].where(now["paid_date"] <= until).to_numpy()
    paid = pd.notna(paid_date)
    status = np.select(
        [
            now["customer_id"].isna().to_numpy(),
            paid & (paid_date < seen["p10_date"].fillna(horizon).to_numpy()),
            paid & (paid_date > seen["p90_date"].fillna(horizon).to_numpy()),
            paid,
            (expected <= until).to_numpy(),
        ],
        ["not_in_book", "earlier", "later", "as_expected", "not_paid"],
        default="pending",
    )
    moved = (
        pd.Series(np.where(paid, paid_date, until.to_datetime64())) - expected.to_numpy()
    ).dt.days
    rows = seen.assign(
        kind="invoice",
        status=status,
        expected_date=seen["expected_date"],
        paid_date=pd.Series(paid_date, dtype="datetime64[ns]").astype(seen["due_date"].dtype),
        days_moved=moved.where(status != "not_in_book").astype("Int64"),
        amount_days=(seen["open_amount_rc"].abs() * moved.abs()).where(status != "not_in_book"),
        promised_amount=np.nan,
    )
    rows = rows.loc[np.isin(status, ["earlier", "later", "not_paid", "not_in_book"])]
    rows = rows.sort_values(["amount_days", *keys], ascending=[False, True, True], kind="stable")
    promises = _promises_due(seen, book, since, until)
    out = pd.concat([rows, promises], ignore_index=True)
    info = _who(out, book)
    return out.assign(name=info["name"], owner=info["owner"])[INVOICE_COLUMNS]


def _promises_due(
    seen: pd.DataFrame, book: Book, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    """The promises whose date fell in the window: kept, broken, or pending (within tolerance).

    A promise on an invoice is kept when the invoice was settled by its date plus the
    tolerance; one on the account when the customer's invoices settled from the day it was
    recorded (or ``since``) to its date plus the tolerance add up to its amount (in the
    invoices' currency).
    """
    pro = book.promises
    pro = pro.loc[(pro["promised_date"] > since) & (pro["promised_date"] <= until)]
    pro = pro.reset_index(drop=True)
    limit = pro["promised_date"] + pd.Timedelta(days=TOLERANCE_DAYS)
    inv = book.invoices
    on_invoice = (pro["invoice_id"] != "").to_numpy()
    paid_on = lookup(pro, inv, ["company", "invoice_id"], ["paid_date"])["paid_date"]
    paid_on = paid_on.where(on_invoice & (paid_on <= until).to_numpy())
    start = pro["recorded_on"].fillna(since)
    settled = inv.loc[inv["paid_date"].notna() & (inv["paid_date"] <= until)]
    pairs = pro[["company", "customer_id"]].assign(promise=np.arange(len(pro)), start=start)
    pairs = pairs.assign(limit=limit).loc[~on_invoice]
    hits = pairs.merge(settled[["company", "customer_id", "paid_date", "amount"]])
    hits = hits.loc[
        (hits["paid_date"] > since)
        & (hits["paid_date"] >= hits["start"])
        & (hits["paid_date"] <= hits["limit"])
    ]
    got = hits.groupby("promise")["amount"].sum().reindex(range(len(pro)), fill_value=0.0)
    kept = np.where(
        on_invoice,
        (paid_on <= limit).to_numpy(),
        got.to_numpy() >= pro["amount"].to_numpy() - 0.005,
    )
    status = np.where(kept, "kept", np.where(limit <= until, "broken", "pending"))
    amount_rc = lookup(pro, seen, ["company", "invoice_id"], ["open_amount_rc"])["open_amount_rc"]
    return pd.DataFrame(
        {
            "company": pro["company"],
            "invoice_id": pro["invoice_id"],
            "customer_id": pro["customer_id"],
            "kind": "promise",
            "status": status,
            "open_amount_rc": amount_rc.to_numpy(),
            "expected_date": pro["promised_date"],
            "paid_date": paid_on.to_numpy(),
            "promised_amount": pro["amount"],
        }
    ).sort_values(["expected_date", "company", "customer_id", "invoice_id"], kind="stable")


def _who(frame: pd.DataFrame, book: Book) -> pd.DataFrame:
    """Each row's customer name and owner, from the book's customers table."""
    cus = book.customers
    if cus.empty:
        return pd.DataFrame({"name": "", "owner": "unassigned"}, index=frame.index)
    info = lookup(frame, cus, ["company", "customer_id"], ["name", "owner"])
    return pd.DataFrame(
        {"name": info["name"].fillna("").to_numpy(), "owner": info["owner"].fillna("unassigned")},
        index=frame.index,
    )


def review_actions(
    actions: pd.DataFrame, book: Book, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    """Every action of last month's plan: done or only planned, and what its invoices brought.

    ``actions`` is last month's ``actions.csv`` (its ``invoices``: the ids, space-separated).
    An invoice of an action is found by its id among the customer's invoices; ``collected_rc``
    is what the action's invoices settled in the window brought (at their paid date);
    ``success`` (for an action done) is every one of its invoices settled in the window.
    """
    acts = actions.reset_index(drop=True)
    pairs = _action_invoices(acts, book.invoices, since)
    window = (
        pairs["paid_date"].notna() & (pairs["paid_date"] > since) & (pairs["paid_date"] <= until)
    )
    got = pairs.loc[window]
    cash = book.fx.convert(got["amount"], got["currency"], got["paid_date"])
    n = len(acts)
    collected = np.bincount(got["action"], weights=np.asarray(cash, float), minlength=n)
    n_paid = np.bincount(got["action"], minlength=n)
    n_listed = np.bincount(pairs["action"], minlength=n)
    done = _done(acts, book.activity, since, until)
    out = acts.assign(
        done=done["done_on"].notna().to_numpy(),
        done_on=done["done_on"].to_numpy(),
        done_by=done["done_by"].fillna("").to_numpy(),
        collected_rc=collected,
        n_paid=n_paid.astype("int64"),
        n_invoices=n_listed.astype("int64"),
    )
    out["success"] = out["done"] & (out["n_invoices"] > 0) & (out["n_paid"] == out["n_invoices"])
    if "name" not in out:
        out["name"] = ""
    return out[ACTION_COLUMNS]


def _action_invoices(
    acts: pd.DataFrame, invoices: pd.DataFrame, since: pd.Timestamp
) -> pd.DataFrame:
    """Each action's invoices (``action`` = its row) among its customer's invoices open at
    ``since``: by the ids in its ``invoices`` text, split on spaces; an id holding a space
    itself is found as a whole word of that text."""
    inv = invoices.loc[
        (invoices["issue_date"] <= since)
        & (invoices["paid_date"].isna() | (invoices["paid_date"] > since))
        & np.isin(invoices["customer_id"].to_numpy(), acts["customer_id"].unique()),
        ["company", "customer_id", "invoice_id", "amount", "currency", "paid_date"],
    ]
    listed = acts[["company", "customer_id", "invoices"]].reset_index(names="action")
    tokens = listed.assign(invoice_id=listed["invoices"].astype(str).str.split(" ")).explode(
        "invoice_id"
    )
    found = tokens.drop(columns="invoices").merge(inv)
    spaced = inv.loc[inv["invoice_id"].str.contains(" ", regex=False)]
    if len(spaced):  # rare: ids with a space, looked for as whole words
        both = listed.merge(spaced)
        text = (" " + both["invoices"].astype(str) + " ").to_numpy(dtype=str)
        word = (" " + both["invoice_id"] + " ").to_numpy(dtype=str)
        found = pd.concat([found, both.loc[np.char.find(text, word) >= 0]], ignore_index=True)
    return found.drop(columns="invoices", errors="ignore").drop_duplicates(["action", "invoice_id"])


def _done(
    acts: pd.DataFrame, activity: pd.DataFrame, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    """The first activity of each action's company, customer and lever dated in [since, until)."""
    keys = ["company", "customer_id", "lever"]
    act = activity.loc[(activity["date"] >= since) & (activity["date"] < until)]
    first = act.sort_values("date", kind="stable").drop_duplicates(keys)
    found = lookup(acts, first, keys, ["date", "by"])
    return found.rename(columns={"date": "done_on", "by": "done_by"})


def learn_levers(
    actions: pd.DataFrame,
    carried: pd.DataFrame | None = None,
    prior_strength: float = PRIOR_STRENGTH,
    levers: pd.DataFrame = LEVERS,
) -> pd.DataFrame:
    """Each lever's success rate updated from the actions done (Beta-Binomial).

    The prior is the lever's rate in ``levers`` (``plan.LEVERS``) worth ``prior_strength``
    actions: Beta(prior x strength, (1 - prior) x strength). Each action done is a trial,
    a success when all its invoices were settled in the window (:func:`review_actions`).
    ``carried`` (last month's ``review_levers.csv``) adds the counts of earlier reviews, so the
    rates learn month after month. Returns :data:`LEVER_COLUMNS`, ``posterior`` the mean of
    Beta(prior x strength + successes, (1 - prior) x strength + failures).
    """
    done = actions.loc[actions["done"].astype(bool)]
    trials = done.groupby("lever").size()
    wins = done.groupby("lever")["success"].sum()
    table = levers[["lever", "success"]].rename(columns={"success": "prior"}).copy()
    table["successes"] = wins.reindex(table["lever"]).fillna(0).to_numpy()
    table["trials"] = trials.reindex(table["lever"]).fillna(0).to_numpy()
    if carried is not None and len(carried):
        before = carried.set_index("lever")[["successes", "trials"]].astype(float)
        for column in ("successes", "trials"):
            table[column] += before[column].reindex(table["lever"]).fillna(0).to_numpy()
    table = table.astype({"successes": "int64", "trials": "int64"})
    table["prior_strength"] = float(prior_strength)
    table["posterior"] = (table["prior"] * prior_strength + table["successes"]) / (
        prior_strength + table["trials"]
    )
    return table[LEVER_COLUMNS].reset_index(drop=True)
