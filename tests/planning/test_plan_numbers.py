"""Plan candidates, dunning stages and the battle plan grouped and ranked on arrays (by the
forecast's customer numbers, numpy's stable sorts) are the ones grouped by their text keys
and ranked by pandas, as first written (the references below, kept verbatim), exactly."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.core.dates import to_date
from cashplan.fast.frames import group_codes, lookup
from cashplan.forecasting.collection import Forecast
from cashplan.planning.dunning import (
    _NOT_CHASED,
    KEY_SEGMENTS,
    LEVER_OF_STAGE,
    STAGE_DAYS,
    TONE_OF_STAGE,
    chasable,
    customer_stages,
)
from cashplan.planning.gap import first_short_month
from cashplan.planning.plan import (
    ACTION_COLUMNS,
    INVOICE_COLUMNS,
    LEVERS,
    Candidates,
    Plan,
    PlanPolicy,
    _empty,
    battle_plan,
    discount_cost,
    plan_candidates,
)

AS_OF = "2026-10-31"


def _stages_by_keys(
    forecast_invoices: pd.DataFrame,
    as_of: str | pd.Timestamp,
    reliability: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    stage_days: Sequence[int] = STAGE_DAYS,
    key_segments: Sequence[str] = KEY_SEGMENTS,
    litigation_min: float = 2_000.0,
) -> pd.DataFrame:
    day = to_date(as_of)
    keys = ["company", "customer_id"]
    inv = forecast_invoices
    overdue = chasable(inv) & np.asarray(inv["due_date"] < day)
    rows = inv.loc[overdue, [*keys, "due_date", "open_amount_rc"]]
    codes, out = group_codes(rows, keys)
    due = rows["due_date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    oldest = np.full(len(out), np.iinfo(np.int64).max)
    np.minimum.at(oldest, codes, due)
    out["overdue_rc"] = np.bincount(
        codes, weights=rows["open_amount_rc"].to_numpy(), minlength=len(out)
    )
    out["days_overdue"] = (np.datetime64(day.date(), "D").astype(np.int64) - oldest).astype("int64")
    stage = 1 + np.searchsorted(np.asarray(stage_days), out["days_overdue"].to_numpy(), "left")
    if reliability is not None:
        rel = lookup(out, reliability, keys, ["reliability", "broken_promise_share"])
        stage += (rel["reliability"] == "unreliable").to_numpy(int)
        stage += (rel["broken_promise_share"].fillna(0.0) >= 0.5).to_numpy(int)
    stage = np.minimum(stage, 5)
    stage = np.where((stage == 5) & (out["overdue_rc"].to_numpy() < litigation_min), 4, stage)
    key = np.zeros(len(out), bool)
    if customers is not None and len(customers):
        segment = lookup(out, customers, keys, ["segment"])["segment"]
        key = segment.isin(list(key_segments)).to_numpy()
    out["stage"] = stage.astype("int64")
    out["lever"] = out["stage"].map(LEVER_OF_STAGE).where(~(key & (stage <= 3)), "sales_rep")
    out["tone"] = out["stage"].map(TONE_OF_STAGE)
    out["key_account"] = key
    return out[[*keys, "days_overdue", "overdue_rc", "stage", "lever", "tone", "key_account"]]


def _candidates_by_keys(
    fc: Forecast,
    as_of: str | pd.Timestamp,
    *,
    company: str | None = None,
    reliability: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    policy: PlanPolicy | None = None,
) -> Candidates:
    p = policy or PlanPolicy()
    day = to_date(as_of)
    keys = ["company", "customer_id"]
    inv = fc.invoices
    keep = chasable(inv) & (True if company is None else np.asarray(inv["company"] == company))
    inv, mass = inv.loc[keep].reset_index(drop=True), fc.month_mass[keep]
    stages = _stages_by_keys(
        inv, day, reliability, customers, p.stage_days, p.key_segments, p.litigation_min
    )
    overdue = np.asarray(inv["due_date"] < day)
    lever = lookup(inv, stages, keys, ["lever"])["lever"].where(overdue).to_numpy(dtype=object)
    if reliability is not None:
        unreliable = lookup(inv, reliability, keys, ["reliability"])["reliability"] == "unreliable"
        lever = np.where(~overdue & unreliable.to_numpy(), "discount", lever)
    chosen = pd.notna(lever)
    inv, mass, lever = inv.loc[chosen].reset_index(drop=True), mass[chosen], lever[chosen]
    lever_table = p.levers.set_index("lever")
    success = p.success().reindex(lever).fillna(0.0).to_numpy()
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
    codes, actions = group_codes(inv, [*keys, "lever"])
    n = len(actions)

    def by_action(values: np.ndarray) -> np.ndarray:
        columns = [
            np.bincount(codes, weights=values[:, k], minlength=n) for k in range(values.shape[1])
        ]
        return np.stack(columns, axis=1) if columns else np.zeros((n, 0))

    weights = {"n_invoices": None, "open_rc": inv["open_amount_rc"].to_numpy()}
    for name, w in weights.items():
        actions[name] = np.bincount(codes, weights=w, minlength=n)
    actions["n_invoices"] = actions["n_invoices"].astype("int64")
    late = np.zeros(n, dtype=np.int64)
    np.maximum.at(late, codes, inv["days_overdue"].to_numpy(dtype=np.int64))
    actions["days_overdue"] = late
    actions = _describe_by_keys(actions, lever_table, stages, customers)
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


def _describe_by_keys(
    actions: pd.DataFrame,
    lever_table: pd.DataFrame,
    stages: pd.DataFrame,
    customers: pd.DataFrame | None,
) -> pd.DataFrame:
    keys = ["company", "customer_id"]
    levers = lever_table.reindex(actions["lever"])
    for column in ("priority", "fixed_cost", "cost_rate"):
        actions[column] = levers[column].to_numpy()
    stage = lookup(actions, stages, keys, ["stage"])["stage"].to_numpy()
    actions["stage"] = np.where(actions["lever"] == "discount", 0, np.nan_to_num(stage)).astype(
        "int64"
    )
    info = (
        lookup(actions, customers, keys, ["owner", "name"])
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


def _same(new: Candidates, old: Candidates) -> None:
    pd.testing.assert_frame_equal(new.actions, old.actions, check_exact=True)
    pd.testing.assert_frame_equal(new.invoices, old.invoices, check_exact=True)
    for name in ("gain", "reach", "cost", "invoice_gain"):
        np.testing.assert_array_equal(getattr(new, name), getattr(old, name), err_msg=name)
    pd.testing.assert_series_equal(new.months, old.months, check_exact=True)


@pytest.fixture(scope="module")
def analysis(sample_book) -> Analysis:
    return Analysis(sample_book, Settings(as_of=AS_OF))


def _without_numbers(fc: Forecast) -> Forecast:
    return dataclasses.replace(fc, customer=np.empty(0, np.int64), customers=pd.DataFrame())


@pytest.mark.parametrize("company", [None, "FR01", "UK01"])
@pytest.mark.parametrize("tables", ["both", "reliability", "neither"])
def test_candidates_by_customer_numbers_are_the_ones_by_text_keys(analysis, company, tables):
    a = analysis
    fc = a.forecast
    assert len(fc.customer) == len(fc.invoices)  # the forecast's own numbers are used
    rel = None if tables == "neither" else a.reliability
    customers = a.book.customers if tables == "both" else None
    policy = PlanPolicy(learned={"call": 0.6})
    old = _candidates_by_keys(
        fc, AS_OF, company=company, reliability=rel, customers=customers, policy=policy
    )
    assert len(old.actions) > 30 and old.actions["lever"].nunique() >= 3  # a real test
    for forecast in (fc, _without_numbers(fc)):
        new = plan_candidates(
            forecast, AS_OF, company=company, reliability=rel, customers=customers, policy=policy
        )
        _same(new, old)
    scoped = (
        a.scoped(fc.invoices)
        if company is None
        else fc.invoices.loc[fc.invoices["company"] == company].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(
        customer_stages(scoped, AS_OF, rel, customers),
        _stages_by_keys(scoped, AS_OF, rel, customers),
        check_exact=True,
    )


def test_candidates_after_promises_and_with_customers_missing_from_the_tables(analysis):
    """Promised and disputed invoices are not chased, customers the reliability or customers
    table lacks get NaN there: the same as by text keys."""
    a = analysis
    inv = a.forecast.invoices
    ids = inv["customer_id"].drop_duplicates().iloc[:40]
    edited = a.book.promises.iloc[:0]
    for i, cid in enumerate(ids.iloc[:10]):
        row = inv.loc[inv["customer_id"] == cid].iloc[0]
        edited = pd.concat(
            [
                edited,
                pd.DataFrame(
                    {
                        "company": [row["company"]],
                        "customer_id": [cid],
                        "invoice_id": [row["invoice_id"] if i % 2 else ""],
                        "promised_date": pd.to_datetime(["2026-11-20"]),
                        "amount": [1_000.0],
                        "recorded_on": pd.to_datetime([AS_OF]),
                    }
                ),
            ],
            ignore_index=True,
        )
    book = dataclasses.replace(
        a.book, promises=pd.concat([a.book.promises, edited], ignore_index=True)
    )
    b = a.replace(book=book)
    fc = b.forecast
    assert (fc.invoices["basis"] == "promise").any()
    rel = b.reliability.loc[~b.reliability["customer_id"].isin(ids.iloc[10:25])]
    customers = b.book.customers.loc[~b.book.customers["customer_id"].isin(ids.iloc[20:])]
    old = _candidates_by_keys(fc, AS_OF, reliability=rel, customers=customers)
    new = plan_candidates(fc, AS_OF, reliability=rel, customers=customers)
    _same(new, old)
    _same(plan_candidates(_without_numbers(fc), AS_OF, reliability=rel, customers=customers), old)


def test_candidates_without_any_overdue_invoice_are_discounts_alone(analysis):
    """No customer has an overdue invoice (no dunning stage at all): the unreliable payers'
    not-yet-due invoices are offered a discount, as by text keys."""
    fc = analysis.forecast
    ahead = np.asarray(fc.invoices["due_date"] >= pd.Timestamp(AS_OF))
    fc = dataclasses.replace(
        fc,
        invoices=fc.invoices.loc[ahead].reset_index(drop=True),
        month_mass=fc.month_mass[ahead],
        customer=fc.customer[ahead],
    )
    rel = analysis.reliability
    assert _stages_by_keys(fc.invoices, AS_OF, rel).empty
    # no stage at all: the same empty table, types included (but the lever and tone: object
    # on arrays, as before the stages were built as one frame)
    pd.testing.assert_frame_equal(
        customer_stages(fc.invoices, AS_OF, rel, analysis.book.customers),
        _stages_by_keys(fc.invoices, AS_OF, rel, analysis.book.customers).astype(
            {"lever": object, "tone": object}
        ),
        check_exact=True,
    )
    old = _candidates_by_keys(fc, AS_OF, reliability=rel, customers=analysis.book.customers)
    assert len(old.actions) and set(old.actions["lever"]) == {"discount"}
    new = plan_candidates(fc, AS_OF, reliability=rel, customers=analysis.book.customers)
    _same(new, old)


def _plan_by_pandas(
    candidates: Candidates,
    gap: pd.DataFrame,
    *,
    company: str | None = None,
    month: str | pd.Timestamp | None = None,
) -> Plan:
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
    actions, before = _ranked_by_pandas(candidates, j, company)
    actions = actions.loc[before < to_close - 0.005].reset_index(drop=True)
    actions["rank"] = np.arange(1, len(actions) + 1)
    actions["cumulative_rc"] = actions["amount_rc"].cumsum()
    actions["cumulative_share"] = actions["cumulative_rc"] / to_close
    rank = pd.Series(actions["rank"].to_numpy(), index=actions["action"].to_numpy())
    detail = candidates.invoices
    picked = np.asarray(detail["action"].isin(rank.index))
    targeted = detail.loc[picked].assign(
        rank=rank.reindex(detail.loc[picked, "action"]).to_numpy(),
        amount_rc=candidates.invoice_gain[picked, j],
    )
    targeted = targeted.sort_values(["rank", "due_date", "invoice_id"], kind="stable")
    # the invoices of each chosen action, oldest due first (a loop over actions, not invoices)
    ids = targeted["invoice_id"].to_numpy()
    bounds = np.searchsorted(targeted["rank"].to_numpy(), np.arange(1, len(actions) + 2))
    actions["invoices"] = [" ".join(ids[a:b]) for a, b in itertools.pairwise(bounds)]
    targeted = targeted[INVOICE_COLUMNS].sort_values(["rank", "invoice_id"]).reset_index(drop=True)
    return Plan(target, to_close, actions[ACTION_COLUMNS], targeted)


def _ranked_by_pandas(
    candidates: Candidates, j: int, company: str | None
) -> tuple[pd.DataFrame, np.ndarray]:
    actions = candidates.actions.assign(
        action=np.arange(len(candidates.actions)),
        amount_rc=candidates.gain[:, j],
        probability=candidates.reach[:, j] / candidates.actions["open_rc"].to_numpy(),
        cost_rc=candidates.cost[:, j],
    )
    mine = actions["amount_rc"] >= candidates.policy.min_gain
    if company is not None:  # candidates may hold every company's actions
        mine &= actions["company"] == company
    actions = actions.loc[mine]
    actions = actions.sort_values(
        ["priority", "open_rc", "company", "customer_id"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    cumulative = actions["amount_rc"].cumsum().to_numpy()
    before = cumulative - actions["amount_rc"].to_numpy()
    return actions, before


@pytest.mark.parametrize("company", [None, "FR01", "UK01"])
def test_the_plan_ranked_on_arrays_is_the_one_ranked_by_pandas(analysis, company):
    """Every open month's plan (actions, their invoices, what they bring): the ranking and
    the invoices' order by numpy's stable sorts are pandas' sorts, exactly."""
    a = analysis
    cands = plan_candidates(
        a.forecast, AS_OF, reliability=a.reliability, customers=a.book.customers
    )
    scope = company or "ALL"
    months = a.gap.loc[(a.gap["company"] == scope) & (a.gap["status"] == "open"), "month"]
    gap = a.gap.assign(gap=a.gap["gap"].abs() + 1e6)  # every month short: long plans
    planned = 0
    for month in [None, *months]:
        old = _plan_by_pandas(cands, gap, company=company, month=month)
        new = battle_plan(cands, gap, company=company, month=month)
        assert (new.month, new.gap) == (old.month, old.gap)
        pd.testing.assert_frame_equal(new.actions, old.actions, check_exact=True)
        pd.testing.assert_frame_equal(new.invoices, old.invoices, check_exact=True)
        planned += len(new.actions)
    assert planned > 100


def test_ties_in_the_ranking_fall_to_company_and_customer_as_in_pandas(analysis):
    """Actions of the same priority and receivables (rounded here: many ties) rank by
    company and customer, as pandas' stable sort on the four columns ranks them."""
    a = analysis
    cands = plan_candidates(a.forecast, AS_OF, reliability=a.reliability)
    rounded = cands.actions.assign(
        open_rc=cands.actions["open_rc"].round(-5) + 1.0,
        priority=np.minimum(cands.actions["priority"].to_numpy(), 3),
    )
    cands = dataclasses.replace(cands, actions=rounded)
    assert rounded.duplicated(["priority", "open_rc"]).sum() > 50
    gap = a.gap.assign(gap=a.gap["gap"].abs() + 1e7)
    old = _plan_by_pandas(cands, gap)
    new = battle_plan(cands, gap)
    pd.testing.assert_frame_equal(new.actions, old.actions, check_exact=True)
    pd.testing.assert_frame_equal(new.invoices, old.invoices, check_exact=True)


def test_chasable_rows_are_the_ones_pandas_finds(analysis):
    """``chasable`` on arrays and Arrow is the pandas expression first written, on the
    forecast and on text of every kind (missing, object, numbers as amounts)."""

    def by_pandas(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray((frame["open_amount_rc"] > 0) & ~frame["basis"].isin(_NOT_CHASED))

    fc = analysis.forecast.invoices
    assert by_pandas(fc).sum() not in (0, len(fc))
    np.testing.assert_array_equal(chasable(fc), by_pandas(fc))
    odd = pd.DataFrame(
        {
            "open_amount_rc": [1.0, 0.0, np.nan, 2.0, 3.0, -4.0],
            "basis": pd.Series(["promise", "history", "history", None, "disputed", "x"]),
        }
    )
    for frame in (odd, odd.astype({"basis": object}), odd.astype({"basis": "str"})):
        np.testing.assert_array_equal(chasable(frame), by_pandas(frame))


@pytest.mark.parametrize(
    "policy",
    [
        PlanPolicy(learned={"call": np.nan, "dunning": 0.3, "nobody": 0.9}, pinned=("dunning",)),
        PlanPolicy(learned={"escalate": 1}),  # an int rate
        # a table lacking a lever the stages choose: NaN figures, a success of 0
        PlanPolicy(levers=LEVERS.loc[LEVERS["lever"] != "dunning"].reset_index(drop=True)),
        PlanPolicy(
            levers=LEVERS.assign(success=LEVERS["success"].where(LEVERS["lever"] != "call"))
        ),
    ],
    ids=["learned-pinned-nan", "int-rate", "lever-missing", "nan-success"],
)
def test_lever_figures_read_in_python_are_the_ones_pandas_reindexes(analysis, policy):
    """Each action's success, priority, costs and owner read from the policy's levers by
    their names in plain Python (``_lever_figures``) are pandas' reindex's, edge cases too."""
    a = analysis
    args = {"reliability": a.reliability, "customers": a.book.customers, "policy": policy}
    old = _candidates_by_keys(a.forecast, AS_OF, **args)
    assert len(old.actions) > 30
    _same(plan_candidates(a.forecast, AS_OF, **args), old)


def test_no_candidate_at_all_has_the_reference_columns_and_types(analysis):
    """No invoice chased (no reliability, nothing overdue): an empty table of actions, and a
    plan of none for a short month, with the columns and types of the references'."""
    fc = analysis.forecast
    ahead = np.asarray(fc.invoices["due_date"] >= pd.Timestamp(AS_OF))
    fc = dataclasses.replace(
        fc,
        invoices=fc.invoices.loc[ahead].reset_index(drop=True),
        month_mass=fc.month_mass[ahead],
        customer=fc.customer[ahead],
    )
    for customers in (analysis.book.customers, None):
        old = _candidates_by_keys(fc, AS_OF, customers=customers)
        assert old.actions.empty
        new = plan_candidates(fc, AS_OF, customers=customers)
        _same(new, old)
        gap = analysis.gap.assign(gap=analysis.gap["gap"].abs() + 1e6)  # short: a plan of none
        plans = [battle_plan(new, gap), _plan_by_pandas(old, gap)]
        assert plans[0].actions.empty and plans[0].month == plans[1].month
        pd.testing.assert_frame_equal(plans[0].actions, plans[1].actions, check_exact=True)
        pd.testing.assert_frame_equal(plans[0].invoices, plans[1].invoices, check_exact=True)
