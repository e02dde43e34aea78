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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cashplan.dunning import KEY_SEGMENTS, STAGE_DAYS, chasable, customer_stages
from cashplan.forecast import Forecast
from cashplan.gap import first_short_month
from cashplan.ledger import to_date

__all__ = ["ACTION_COLUMNS", "LEVERS", "Plan", "battle_plan", "discount_cost"]

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


def battle_plan(
    fc: Forecast,
    gap: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    company: str | None = None,
    month: str | pd.Timestamp | None = None,
    reliability: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    levers: pd.DataFrame = LEVERS,
    discount_rate: float = 0.02,
    cost_of_funds: float = 0.05,
    discount_days: int = 10,
    stage_days: tuple[int, ...] = STAGE_DAYS,
    key_segments: tuple[str, ...] = KEY_SEGMENTS,
    litigation_min: float = 2_000.0,
    min_gain: float = 50.0,
) -> Plan:
    """The ranked actions that close the gap of ``month`` (see the module doc).

    Parameters
    ----------
    fc : Forecast
        The forecast at ``as_of``.
    gap : DataFrame
        ``gap.monthly_gap`` of the same date.
    company : str, optional
        One company's gap and invoices; default the consolidated gap (``ALL``).
    month : date, optional
        The month to close; default the first short open month.
    reliability : DataFrame, optional
        ``PayerScorer.classify()``: who is unreliable (discounts) and broken promises.
    customers : DataFrame, optional
        Owners, names and segments (key accounts).
    discount_rate, cost_of_funds : float
        The early-payment discount offered and the company's yearly cost of funds.
    discount_days : int
        The discount asks for payment within this many days of as-of.
    min_gain : float
        An action bringing less cash than this into the month is left out.
    """
    day = to_date(as_of)
    scope = company or "ALL"
    target = first_short_month(gap, scope) if month is None else to_date(month)
    if target is None:
        return _empty(None, 0.0)
    row = gap.loc[(gap["company"] == scope) & (gap["month"] == target)]
    if row.empty or (row["status"] != "open").any():
        raise ValueError(f"{target:%Y-%m} is not an open month of {scope} in the gap table")
    to_close = float(row["gap"].iloc[0])
    windows = fc.month_windows
    j = int(np.flatnonzero(windows["month"] == target)[0])
    inv = fc.invoices
    keep = chasable(inv) & (True if company is None else np.asarray(inv["company"] == company))
    inv, mass = inv.loc[keep].reset_index(drop=True), fc.month_mass[keep]
    if to_close <= 0.005 or inv.empty:
        return _empty(target, max(to_close, 0.0))
    p_in, p_after = mass[:, j], mass[:, j + 1 :].sum(axis=1)
    stages = customer_stages(
        inv, day, reliability, customers, stage_days, key_segments, litigation_min
    )
    keys = ["company", "customer_id"]
    overdue = np.asarray(inv["due_date"] < day)
    who = pd.MultiIndex.from_frame(inv[keys])
    stage_of = stages.set_index(keys)
    lever = stage_of["lever"].reindex(who).where(overdue).to_numpy(dtype=object)
    if reliability is not None:
        unreliable = reliability.set_index(keys)["reliability"].reindex(who) == "unreliable"
        lever = np.where(~overdue & unreliable.to_numpy(), "discount", lever)
    lever_table = levers.set_index("lever")
    success = lever_table["success"].reindex(lever).fillna(0.0).to_numpy()
    amount = inv["open_amount_rc"].to_numpy()
    gain = amount * success * p_after
    start = windows["start"].iloc[j]
    pay_on = max(day + pd.Timedelta(days=discount_days), start)
    early = (inv["expected_date"].fillna(inv["due_date"]) - pay_on).dt.days.to_numpy(float)
    net = discount_cost(amount, discount_rate, cost_of_funds, early)
    disc_cost = np.where(lever == "discount", success * p_after * net, 0.0)
    detail = inv.assign(
        lever=lever,
        gain=gain,
        reach=amount * (p_in + success * p_after),
        disc_cost=disc_cost,
        days_overdue=np.maximum((day - inv["due_date"]).dt.days, 0),
    )
    detail = detail.loc[detail["lever"].notna() & (detail["gain"] > 0)]
    actions = _actions(detail, lever_table, stage_of, customers)
    actions = actions.loc[actions["amount_rc"] >= min_gain]
    actions = actions.sort_values(
        ["priority", "open_rc", "company", "customer_id"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    cumulative = actions["amount_rc"].cumsum().to_numpy()
    before = cumulative - actions["amount_rc"].to_numpy()
    actions = actions.loc[before < to_close - 0.005].reset_index(drop=True)
    actions["rank"] = np.arange(1, len(actions) + 1)
    actions["cumulative_rc"] = actions["amount_rc"].cumsum()
    actions["cumulative_share"] = actions["cumulative_rc"] / to_close
    chosen = actions.set_index([*keys, "lever"])["rank"]
    targeted = detail.join(chosen, on=[*keys, "lever"], how="inner")
    targeted = targeted[
        ["rank", *keys, "invoice_id", "lever", "open_amount_rc", "due_date", "days_overdue", "gain"]
    ].rename(columns={"gain": "amount_rc"})
    return Plan(
        target,
        to_close,
        actions[ACTION_COLUMNS],
        targeted.sort_values(["rank", "invoice_id"]).reset_index(drop=True),
    )


def _actions(
    detail: pd.DataFrame,
    lever_table: pd.DataFrame,
    stage_of: pd.DataFrame,
    customers: pd.DataFrame | None,
) -> pd.DataFrame:
    keys = ["company", "customer_id"]
    ordered = detail.sort_values(["due_date", "invoice_id"])
    actions = ordered.groupby([*keys, "lever"], as_index=False, sort=True).agg(
        n_invoices=("invoice_id", "size"),
        invoices=("invoice_id", " ".join),
        days_overdue=("days_overdue", "max"),
        open_rc=("open_amount_rc", "sum"),
        amount_rc=("gain", "sum"),
        reach=("reach", "sum"),
        disc_cost=("disc_cost", "sum"),
    )
    actions["probability"] = actions["reach"] / actions["open_rc"]
    levers = lever_table.reindex(actions["lever"])
    actions["priority"] = levers["priority"].to_numpy()
    actions["cost_rc"] = (
        levers["fixed_cost"].to_numpy()
        + actions["disc_cost"]
        + levers["cost_rate"].to_numpy() * actions["amount_rc"]
    )
    who = pd.MultiIndex.from_frame(actions[keys])
    stage = stage_of["stage"].reindex(who).to_numpy()
    actions["stage"] = np.where(actions["lever"] == "discount", 0, np.nan_to_num(stage)).astype(
        "int64"
    )
    info = (
        customers.drop_duplicates(keys).set_index(keys).reindex(who)
        if customers is not None and len(customers)
        else None
    )
    owner = (
        info["owner"].fillna("unassigned").to_numpy()
        if info is not None
        else np.full(len(actions), "unassigned", dtype=object)
    )
    fixed_owner = levers["owner"].to_numpy()
    actions["owner"] = np.where(pd.notna(fixed_owner), fixed_owner, owner)
    actions["name"] = info["name"].fillna("").to_numpy() if info is not None else ""
    return actions


def _empty(month: pd.Timestamp | None, gap: float) -> Plan:
    actions = pd.DataFrame({c: pd.Series(dtype=object) for c in ACTION_COLUMNS})
    invoices = pd.DataFrame(
        columns=[
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
    )
    return Plan(month, gap, actions, invoices)
