"""The battle plan: the actions that close a month's gap, cheapest lever first.

Decisions (also in the README):

- The plan targets one month: by default the first open month whose forecast
  falls short of its target (``gap.first_short_month``), for one company or
  consolidated (``ALL``, every company's invoices).
- An action is one customer and one lever, over its chasable invoices:
  overdue ones get the customer's dunning lever (``dunning.customer_stages``);
  not-yet-due invoices of *unreliable* payers get an early-payment ``discount``.
  Invoices under a live promise, disputed, credit notes and paid invoices are
  never chased.
- The cash an action brings into the month is ``success x P(paid after the
  month) x amount`` over its invoices: a lever only pulls forward what the
  forecast places after the month. ``probability`` is the chance that the
  invoices are collected within the month once the action is taken.
- Cost: a lever's fixed cost per action plus a rate on the cash it brings
  (litigation fees); a discount costs ``discount_cost`` on each invoice
  accepted, i.e. the discount net of the funding it saves at ``cost_of_funds``.
- Ranking: levers by ``priority`` (``LEVERS``, cheapest first), largest
  receivables first within a lever; the list stops with the action that covers
  the gap. An action bringing less than ``min_gain`` is not worth listing.

Examples
--------
The discount cost on the worked example (README): 10,000 paid 60 days early for
2 %, with funds costing 6 % a year:

>>> round(float(discount_cost(10_000.0, 0.02, 0.06, 60)), 2)
103.34
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.core.kept import kept
from cashplan.fast.frames import group_codes
from cashplan.forecasting.collection import Forecast
from cashplan.planning.dunning import KEY_SEGMENTS, STAGE_DAYS, chasable, profiles, stages_of
from cashplan.planning.gap import first_short_month

__all__ = [
    "ACTION_COLUMNS",
    "INVOICE_COLUMNS",
    "LEVERS",
    "Candidates",
    "Plan",
    "PlanPolicy",
    "battle_plan",
    "discount_cost",
    "plan_candidates",
]

LEVERS = pd.DataFrame(
    [
        ("call", 1, 0.50, 10.0, 0.0, None),
        ("sales_rep", 2, 0.55, 40.0, 0.0, None),
        ("escalate", 3, 0.45, 25.0, 0.0, None),
        ("dunning", 4, 0.40, 15.0, 0.0, None),
        ("cut_off", 5, 0.45, 50.0, 0.0, None),
        ("discount", 6, 0.35, 0.0, 0.0, None),
        ("litigation", 7, 0.15, 300.0, 0.05, "Legal"),
    ],
    columns=["lever", "priority", "success", "fixed_cost", "cost_rate", "owner"],
)
"""The levers: ``success`` (chance the action pulls its cash into the month),
``fixed_cost`` per action and ``cost_rate`` on the cash it brings (reporting
currency), and ``owner`` when not the customer's owner."""

ACTION_COLUMNS = [
    "company",
    "rank",
    "customer_id",
    "name",
    "owner",
    "lever",
    "stage",
    "n_invoices",
    "invoices",
    "days_overdue",
    "open_rc",
    "amount_rc",
    "probability",
    "cost_rc",
    "cumulative_rc",
    "cumulative_share",
]
INVOICE_COLUMNS = [
    "rank",
    "company",
    "customer_id",
    "invoice_id",
    "lever",
    "open_amount_rc",
    "due_date",
    "days_overdue",
    "amount_rc",
]
"""The columns of ``Plan.invoices``: every invoice an action targets."""


@dataclass(frozen=True)
class PlanPolicy:
    """How the battle plan works: its levers, the discount offered, the dunning stages.

    ``discount_rate`` and ``cost_of_funds`` (a year) price the early-payment
    discount, which asks for payment within ``discount_days`` of as-of;
    ``stage_days``, ``key_segments`` and ``litigation_min`` set the dunning stages
    (``dunning.customer_stages``); an action bringing less than ``min_gain`` into
    the month is left out. ``learned`` maps a lever to its success rate learned from
    the monthly reviews (``planning.review.learn_levers``); it replaces the rate in
    ``levers`` except for the levers ``pinned`` (their rate stays as given).

    >>> PlanPolicy(learned={"call": 0.6, "dunning": 0.3}, pinned=("dunning",)).success()[
    ...     ["call", "dunning"]].tolist()
    [0.6, 0.4]
    """

    levers: pd.DataFrame = field(default_factory=lambda: LEVERS.copy())
    discount_rate: float = 0.02
    cost_of_funds: float = 0.05
    discount_days: int = 10
    stage_days: tuple[int, ...] = STAGE_DAYS
    key_segments: tuple[str, ...] = KEY_SEGMENTS
    litigation_min: float = 2_000.0
    min_gain: float = 50.0
    learned: Mapping[str, float] = field(default_factory=dict)
    pinned: tuple[str, ...] = ()

    def success(self) -> pd.Series:
        """Each lever's success rate: the learned one where given and not pinned."""
        rates = self.levers.set_index("lever")["success"].astype(float)
        learned = pd.Series(dict(self.learned), dtype=float).drop(
            list(self.pinned), errors="ignore"
        )
        return learned.reindex(rates.index).fillna(rates)


@dataclass(frozen=True)
class Plan:
    """A battle plan: the ``month`` it targets, the ``gap`` to close and its ``actions``.

    ``invoices`` lists every invoice an action targets, with the action's rank.
    """

    month: pd.Timestamp | None
    gap: float
    actions: pd.DataFrame
    invoices: pd.DataFrame

    @property
    def covered(self) -> float:
        """The expected cash the actions bring into the month."""
        return float(self.actions["amount_rc"].sum())


def discount_cost(
    amount: np.ndarray | float, rate: float, cost_of_funds: float, days_early: np.ndarray | float
) -> np.ndarray:
    """Net cost of an accepted early-payment discount.

    The discount given (``amount x rate``) less the funding saved on the cash
    received ``days_early`` days sooner (``amount x (1 - rate) x cost_of_funds x
    days_early / 365``). Negative when the discount is cheaper than the funds.
    """
    amount = np.asarray(amount, dtype=float)
    days = np.clip(np.asarray(days_early, dtype=float), 0.0, None)
    return np.asarray(amount * rate - amount * (1 - rate) * cost_of_funds * days / 365.0)


@dataclass(frozen=True)
class Candidates:
    """Every possible action with what it brings into each forecast month (``plan_candidates``).

    ``actions``: one row per customer and lever; ``gain``, ``reach`` and ``cost``
    are (actions x months) arrays over ``Forecast.month_windows``; ``invoices``
    lists each action's invoices (``action`` = row of ``actions``) with their own
    ``gain`` (invoices x months); ``policy``: the policy they were built with.
    """

    actions: pd.DataFrame
    gain: np.ndarray
    reach: np.ndarray
    cost: np.ndarray
    invoices: pd.DataFrame
    invoice_gain: np.ndarray
    months: pd.Series
    policy: PlanPolicy


def plan_candidates(
    fc: Forecast,
    as_of: str | pd.Timestamp,
    *,
    company: str | None = None,
    reliability: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    policy: PlanPolicy | None = None,
) -> Candidates:
    """The actions :func:`battle_plan` chooses from, for every forecast month at once.

    They do not depend on the gap: the workbook keeps them while the targets move.
    """
    p = policy or PlanPolicy()
    day = to_date(as_of)
    keys = ["company", "customer_id"]
    number, who = _numbered(fc)
    inv = fc.invoices
    keep = chasable(inv) & (True if company is None else np.asarray(inv["company"] == company))
    inv, mass, number = inv.loc[keep].reset_index(drop=True), fc.month_mass[keep], number[keep]
    stages, stage_row, lever = _levers(inv, number, who, day, reliability, customers, p)
    chosen = pd.notna(lever)
    inv, mass, lever = inv.loc[chosen].reset_index(drop=True), mass[chosen], lever[chosen]
    number = number[chosen]
    names, lever_code = np.unique(lever.astype(str), return_inverse=True)
    success, figures = _lever_figures(p, names)
    success = success[lever_code]
    amount = inv["open_amount_rc"].to_numpy()
    n_months = len(fc.month_windows)
    # P(paid after month j) and P(paid in month j), for every month j
    after = 1.0 - np.cumsum(mass[:, :n_months], axis=1)
    gain = (amount * success)[:, None] * after
    reach = amount[:, None] * (mass[:, :n_months] + success[:, None] * after)
    pay_on = np.maximum(
        (day + pd.Timedelta(days=p.discount_days)).to_datetime64(),
        fc.month_windows["start"].to_numpy(),
    )
    expected = inv["expected_date"].fillna(inv["due_date"]).to_numpy()
    early = (expected[:, None] - pay_on[None, :]) / np.timedelta64(1, "D")
    net = discount_cost(amount[:, None], p.discount_rate, p.cost_of_funds, early)
    disc = np.where((lever == "discount")[:, None], success[:, None] * after * net, 0.0)
    inv = inv.assign(lever=lever, days_overdue=np.maximum((day - inv["due_date"]).dt.days, 0))
    # an action is a customer and a lever: numbered in (company, customer_id, lever) order,
    # as ``group_codes`` numbers them (the customers' numbers are in that order)
    pair = number.astype(np.int64) * len(names) + lever_code
    pairs, first, codes = np.unique(pair, return_index=True, return_inverse=True)
    n = len(pairs)

    def by_action(values: np.ndarray) -> np.ndarray:
        columns = [
            np.bincount(codes, weights=values[:, k], minlength=n) for k in range(values.shape[1])
        ]
        return np.stack(columns, axis=1) if columns else np.zeros((n, 0))

    late = np.zeros(n, dtype=np.int64)
    np.maximum.at(late, codes, inv["days_overdue"].to_numpy(dtype=np.int64))
    counts = {
        "n_invoices": np.bincount(codes, minlength=n).astype("int64"),
        "open_rc": np.bincount(codes, weights=amount, minlength=n),
        "days_overdue": late,
    }
    whose = pairs // max(len(names), 1)  # each action's customer number
    stage = _taken(stages["stage"].to_numpy(), stage_row[whose], 0)  # none: a discount
    known = profiles(who, reliability, customers, p.key_segments)
    has_customers = customers is not None and len(customers) > 0
    if figures is None:  # a lever the policy's table lacks: its figures as pandas finds them
        actions = inv[[*keys, "lever"]].iloc[first].reset_index(drop=True).assign(**counts)
        lever_table = p.levers.set_index("lever")
        actions = _describe(actions, lever_table, stage, known, whose, has_customers)
    else:
        first_rows = {c: inv[c].array.take(first) for c in [*keys, "lever"]}
        lever_of = pairs % max(len(names), 1)
        actions = _described(first_rows, counts, figures, lever_of, stage, known, whose)
        if not has_customers:
            actions["name"] = ""
    fixed = actions["fixed_cost"].to_numpy()[:, None]
    rate = actions["cost_rate"].to_numpy()[:, None]
    gains = by_action(gain)
    detail = inv.assign(action=codes)[
        ["action", *keys, "invoice_id", "lever", "open_amount_rc", "due_date", "days_overdue"]
    ]
    return Candidates(
        actions,
        gains,
        by_action(reach),
        fixed + rate * gains + by_action(disc),
        detail,
        gain,
        fc.month_windows["month"],
        p,
    )


def _levers(
    inv: pd.DataFrame,
    number: np.ndarray,
    who: pd.DataFrame,
    day: pd.Timestamp,
    reliability: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    p: PlanPolicy,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The dunning stages of the chasable invoices ``inv`` (their customers: ``who``'s rows
    ``number``), each customer's row of them (-1: none), and each invoice's lever: its
    customer's stage lever when overdue, a discount when an unreliable payer's invoice is
    not due yet, else NaN (not chased)."""
    policy = (p.stage_days, p.key_segments, p.litigation_min)
    every = np.ones(len(inv), dtype=bool)  # the invoices given are chasable
    stages, staged = stages_of(inv, number, who, day, reliability, customers, policy, every)
    stage_row = np.full(len(who), -1, dtype=np.int64)
    stage_row[staged] = np.arange(len(staged))
    overdue = np.asarray(inv["due_date"] < day)
    staged_lever = _taken(stages["lever"].to_numpy(dtype=object), stage_row[number], np.nan)
    lever = np.where(overdue, staged_lever, np.nan).astype(object)
    if reliability is not None:
        unreliable = profiles(who, reliability, customers, p.key_segments)["unreliable"][number]
        lever = np.where(~overdue & unreliable, "discount", lever)
    return stages, stage_row, lever


def _taken(values: np.ndarray, at: np.ndarray, fill: float) -> np.ndarray:
    """``values[at]``, ``fill`` where ``at`` is -1 (``values`` may be empty).

    >>> _taken(np.array([5, 6]), np.array([1, -1]), 0).tolist()
    [6, 0]
    """
    if not len(values):
        return np.full(len(at), fill, dtype=values.dtype if fill == 0 else object)
    return np.where(at >= 0, values[np.maximum(at, 0)], fill)


def _numbered(fc: Forecast) -> tuple[np.ndarray, pd.DataFrame]:
    """The number of each forecast invoice's customer among customers sorted by company and
    customer_id, and those customers: the forecast's own, else worked out from its keys."""
    if len(fc.customer) == len(fc.invoices) and len(fc.customers):
        return fc.customer, fc.customers
    return group_codes(fc.invoices, ["company", "customer_id"])


def battle_plan(
    candidates: Candidates,
    gap: pd.DataFrame,
    *,
    company: str | None = None,
    month: str | pd.Timestamp | None = None,
) -> Plan:
    """The ranked actions that close the gap of ``month`` (see the module doc).

    Parameters
    ----------
    candidates : Candidates
        ``plan_candidates`` of the forecast at the gap's date: the actions to choose
        from (they do not depend on the gap, so the workbook keeps them).
    gap : DataFrame
        ``gap.monthly_gap`` of the same date.
    company : str, optional
        One company's gap and actions; default the consolidated gap (``ALL``).
    month : date, optional
        The month to close; default the first short open month.
    """
    scope = company or "ALL"
    target = first_short_month(gap, scope) if month is None else to_date(month)
    if target is None:
        return _empty(None, 0.0)
    row = gap.loc[(gap["company"] == scope) & (gap["month"] == target)]
    if row.empty or (row["status"] != "open").any():
        raise ValueError(f"{target:%Y-%m} is not an open month of {scope} in the gap table")
    to_close = float(row["gap"].iloc[0])
    if to_close <= 0.005:
        return _empty(target, 0.0)
    j = int(np.flatnonzero(candidates.months == target)[0])
    ranked, before = _ranked(candidates, j, company)
    chosen = np.flatnonzero(before < to_close - 0.005)
    cumulative = np.cumsum(ranked["amount_rc"][chosen])
    actions = {c: v.take(chosen) for c, v in ranked.items() if c in ACTION_COLUMNS}
    actions |= {
        "rank": np.arange(1, len(chosen) + 1),
        "cumulative_rc": cumulative,
        "cumulative_share": cumulative / to_close,
    }
    detail = candidates.invoices
    rank_of = np.zeros(len(candidates.actions), dtype=np.int64)  # 0: not chosen
    rank_of[ranked["action"][chosen]] = actions["rank"]
    rows = np.flatnonzero(rank_of[detail["action"].to_numpy()] > 0)
    rank = rank_of[detail["action"].to_numpy()[rows]]
    ids = detail["invoice_id"].to_numpy(dtype=object)[rows]
    id_order = np.unique(ids, return_inverse=True)[1].ravel()  # text order, as pandas sorts
    # the invoices of each chosen action, oldest due first (a loop over actions, not invoices)
    due = detail["due_date"].to_numpy()[rows]
    oldest = np.lexsort((id_order, due, rank))  # stable, as a sort by rank, due, id
    bounds = np.searchsorted(rank[oldest], np.arange(1, len(chosen) + 2))
    actions["invoices"] = [" ".join(ids[oldest[a:b]]) for a, b in itertools.pairwise(bounds)]
    listed = rows[np.lexsort((id_order, rank))]  # by rank and invoice
    targeted = {c: detail[c].array.take(listed) for c in INVOICE_COLUMNS if c in detail.columns}
    targeted |= {
        "rank": rank_of[detail["action"].to_numpy()[listed]],
        "amount_rc": candidates.invoice_gain[listed, j],
    }
    return Plan(
        target,
        to_close,
        pd.DataFrame({c: actions[c] for c in ACTION_COLUMNS}, copy=False),
        pd.DataFrame({c: targeted[c] for c in INVOICE_COLUMNS}, copy=False),
    )


def _ranked(
    candidates: Candidates, j: int, company: str | None
) -> tuple[dict[str, Any], np.ndarray]:
    """The actions worth listing for month ``j`` (and ``company``), cheapest lever first then
    largest receivables, with what the actions before each bring: the plan is the first of
    them, as many as its gap needs. They do not depend on the gap: kept beside the
    candidates while they live (:func:`~cashplan.core.kept.kept`), so that a new target
    ranks them no more. Their columns (the candidates' and ``action``, ``amount_rc``,
    ``probability``, ``cost_rc``) as arrays: the plan takes its rows of them (a frame of
    them cost a few ms at each edit in the workbook)."""
    memo = kept(candidates)
    found = memo.get((j, company))
    if found is not None:
        return found
    every = candidates.actions
    gain = candidates.gain[:, j]
    mine = gain >= candidates.policy.min_gain
    if company is not None:  # candidates may hold every company's actions
        mine &= np.asarray(every["company"] == company)
    rows = np.flatnonzero(mine)
    # by priority, then open_rc descending, then company and customer_id, stable: the
    # candidates are in company and customer order, so their position breaks the ties
    open_rc = every["open_rc"].to_numpy()
    rows = rows[np.lexsort((rows, -open_rc[rows], every["priority"].to_numpy()[rows]))]
    actions: dict[str, Any] = {c: every[c].array.take(rows) for c in every.columns}
    actions |= {
        "action": rows,
        "amount_rc": gain[rows],
        "probability": candidates.reach[rows, j] / open_rc[rows],
        "cost_rc": candidates.cost[rows, j],
    }
    before = np.cumsum(actions["amount_rc"]) - actions["amount_rc"]
    memo[j, company] = (actions, before)
    return actions, before


def _lever_figures(
    p: PlanPolicy, names: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """The success rate of each lever of ``names`` (``p.success()``, 0 for a lever it lacks)
    and, when the policy's table holds each of them once, their priority, fixed cost, cost
    rate, owner and name, row by row of ``names``; None then otherwise.

    Read from the policy's few levers in plain Python: pandas' reindex by lever name cost
    a few ms at each edit in the workbook.

    >>> rates, figures = _lever_figures(PlanPolicy(learned={"call": 0.6}), np.array(["call", "x"]))
    >>> rates.tolist(), figures
    ([0.6, 0.0], None)
    """
    levers = p.levers
    lever = levers["lever"].tolist()
    if len(set(lever)) != len(lever):  # a lever named twice: as pandas finds it
        return p.success().reindex(names).fillna(0.0).to_numpy(), None
    row = {name: i for i, name in enumerate(lever)}
    rates = levers["success"].astype(float).tolist()
    learned = {k: float(v) for k, v in p.learned.items() if k not in set(p.pinned)}
    success = []
    for name in names.tolist():
        rate = rates[row[name]] if name in row else np.nan
        given = learned.get(name, np.nan) if name in row else np.nan
        value = rate if np.isnan(given) else given
        success.append(0.0 if np.isnan(value) else value)
    if any(name not in row for name in names.tolist()):
        return np.asarray(success, dtype=float), None
    at = np.asarray([row[name] for name in names.tolist()], dtype=np.int64)
    figures = {c: levers[c].to_numpy()[at] for c in ("priority", "fixed_cost", "cost_rate")}
    figures["owner"] = levers["owner"].to_numpy(dtype=object)[at]
    figures["lever"] = names.astype(object)
    return np.asarray(success, dtype=float), figures


def _described(
    first_rows: dict[str, Any],
    counts: dict[str, np.ndarray],
    figures: dict[str, np.ndarray],
    lever_of: np.ndarray,
    stage: np.ndarray,
    known: dict[str, np.ndarray],
    whose: np.ndarray,
) -> pd.DataFrame:
    """The actions as :func:`_describe` makes them, built at once from arrays: each one's
    customer and lever (``first_rows``), ``counts``, its lever's ``figures`` (its row
    ``lever_of``), ``stage`` (0 for a discount), owner and name (``known``'s row ``whose``)."""
    fixed_owner = figures["owner"][lever_of]
    discount = figures["lever"][lever_of] == "discount"
    columns = {
        **first_rows,
        **counts,
        **{c: figures[c][lever_of] for c in ("priority", "fixed_cost", "cost_rate")},
        "stage": np.where(discount, 0, stage).astype("int64"),
        "owner": np.where(pd.notna(fixed_owner), fixed_owner, known["owner"][whose]),
        "name": known["name"][whose],
    }
    return pd.DataFrame(columns, copy=False)


def _describe(
    actions: pd.DataFrame,
    lever_table: pd.DataFrame,
    stage: np.ndarray,
    known: dict[str, np.ndarray],
    whose: np.ndarray,
    has_customers: bool,
) -> pd.DataFrame:
    """Add each action's lever figures, ``stage`` (its customer's), owner and customer name
    (its customer's ``known`` profile: row ``whose``; when ``has_customers``)."""
    levers = lever_table.reindex(actions["lever"])
    for column in ("priority", "fixed_cost", "cost_rate"):
        actions[column] = levers[column].to_numpy()
    actions["stage"] = np.where(actions["lever"] == "discount", 0, stage).astype("int64")
    owner = (
        known["owner"][whose]
        if has_customers
        else np.full(len(actions), "unassigned", dtype=object)
    )
    fixed_owner = levers["owner"].to_numpy()
    actions["owner"] = np.where(pd.notna(fixed_owner), fixed_owner, owner)
    actions["name"] = known["name"][whose] if has_customers else ""
    return actions


def _empty(month: pd.Timestamp | None, gap: float) -> Plan:
    actions = pd.DataFrame({c: pd.Series(dtype=object) for c in ACTION_COLUMNS})
    invoices = pd.DataFrame(columns=INVOICE_COLUMNS)
    return Plan(month, gap, actions, invoices)
