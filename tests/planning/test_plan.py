"""Gap, battle plan, dunning stages, reminders and the battle-plan exports (issue 4)."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

import cashplan.core.kept as kept_module
from cashplan.app.analysis import Analysis, Settings
from cashplan.forecasting.collection import Forecast, month_windows
from cashplan.io.export import write_xlsx
from cashplan.planning.plan import LEVERS, PlanPolicy, battle_plan, discount_cost, plan_candidates

AS_OF = "2026-10-31"


def _forecast(rows: list[tuple[str, str, float, str, str, list[float]]]) -> Forecast:
    """A hand-made forecast: (invoice, customer, amount, due, basis, [Nov, Dec, after])."""
    windows = month_windows(AS_OF, months=2)
    inv = pd.DataFrame(
        {
            "company": "A",
            "invoice_id": [r[0] for r in rows],
            "customer_id": [r[1] for r in rows],
            "open_amount_rc": [r[2] for r in rows],
            "due_date": pd.to_datetime([r[3] for r in rows]).astype("datetime64[us]"),
            "expected_date": pd.to_datetime(["2027-01-15"] * len(rows)).astype("datetime64[us]"),
            "basis": [r[4] for r in rows],
        }
    )
    mass = np.array([r[5] for r in rows], dtype=float)
    months = pd.DataFrame(
        {
            "company": ["A", "A", "ALL", "ALL"],
            "month": [*windows["month"]] * 2,
            "expected": [*(mass[:, :2] * inv["open_amount_rc"].to_numpy()[:, None]).sum(0)] * 2,
            "sd": 0.0,
        }
    )
    return Forecast(inv, pd.DataFrame(), months, windows, mass)


def _gap(nov_gap: float) -> pd.DataFrame:
    month = pd.to_datetime(["2026-11-01", "2026-12-01"])
    rows = [
        (c, m, "open", g, g)
        for c in ("A", "ALL")
        for m, g in zip(month, [nov_gap, -1.0], strict=True)
    ]
    return pd.DataFrame(rows, columns=["company", "month", "status", "gap", "target"])


RELIABILITY = pd.DataFrame(
    {
        "company": "A",
        "customer_id": ["C1", "C2", "C3", "C4", "C5"],
        "reliability": ["reliable", "reliable", "reliable", "reliable", "unreliable"],
        "broken_promise_share": 0.0,
    }
)

HAND = _forecast(
    [
        ("I1", "C1", 1_000.0, "2026-10-21", "history", [0.0, 0.0, 1.0]),  # 10 days: call
        ("I2", "C2", 4_000.0, "2026-09-16", "history", [0.5, 0.0, 0.5]),  # 45 days: escalate
        ("I3", "C3", 9_000.0, "2026-09-01", "promise", [0.0, 0.0, 1.0]),  # promised
        ("I4", "C4", 9_000.0, "2026-09-01", "disputed", [0.0, 0.0, 1.0]),  # disputed
        ("I5", "C5", 10_000.0, "2026-12-30", "history", [0.0, 0.0, 1.0]),  # not due, unreliable
    ]
)
HAND_ACTIONS = plan_candidates(HAND, AS_OF, reliability=RELIABILITY)


def test_gap_closed_exactly_by_the_plan() -> None:
    # call: 0.50 x 1 x 1,000 = 500; escalate: 0.45 x 0.5 x 4,000 = 900; together 1,400
    plan = battle_plan(HAND_ACTIONS, _gap(1_400.0))
    acts = plan.actions
    assert acts["lever"].tolist() == ["call", "escalate"]
    assert acts["amount_rc"].tolist() == pytest.approx([500.0, 900.0])
    assert acts["cumulative_rc"].iloc[-1] == pytest.approx(1_400.0)
    assert acts["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert acts["rank"].tolist() == [1, 2]
    assert acts["probability"].tolist() == pytest.approx([0.5, 0.5 + 0.45 * 0.5])
    assert plan.covered == pytest.approx(plan.gap)
    # a cent more and the next lever (the discount) is needed
    more = battle_plan(HAND_ACTIONS, _gap(1_400.01))
    assert more.actions["lever"].tolist() == ["call", "escalate", "discount"]


def test_no_action_on_promised_disputed_or_paid_invoices() -> None:
    plan = battle_plan(HAND_ACTIONS, _gap(1e9))
    assert set(plan.invoices["invoice_id"]) == {"I1", "I2", "I5"}
    assert plan.actions["cumulative_share"].iloc[-1] < 1  # cannot close it: says so


def test_plan_is_empty_when_the_forecast_covers_the_target() -> None:
    plan = battle_plan(HAND_ACTIONS, _gap(-10.0))
    assert plan.month is None and plan.actions.empty and plan.gap == 0.0


def test_discount_cost_worked_example() -> None:
    # 10,000 paid 60 days early for 2 %: 200 given, 9,800 x 6 % x 60/365 = 96.66 saved
    assert float(discount_cost(10_000.0, 0.02, 0.06, 60)) == pytest.approx(103.34, abs=0.005)
    assert float(discount_cost(10_000.0, 0.01, 0.06, 120)) < 0  # cheaper than the funds
    policy = PlanPolicy(discount_rate=0.02, cost_of_funds=0.06)
    actions = plan_candidates(HAND, AS_OF, reliability=RELIABILITY, policy=policy)
    plan = battle_plan(actions, _gap(1e9))
    disc = plan.actions.loc[plan.actions["lever"] == "discount"].iloc[0]
    # paid 10 days after as-of (2026-11-10) instead of 2027-01-15: 66 days early, accepted 35 %
    assert disc["cost_rc"] == pytest.approx(0.35 * float(discount_cost(10_000.0, 0.02, 0.06, 66)))


@pytest.fixture(scope="module")
def analysis(sample_book) -> Analysis:  # type: ignore[no-untyped-def]
    return Analysis(sample_book, Settings(as_of=AS_OF))


def test_sample_plan_reconciles_with_the_forecast(analysis: Analysis) -> None:
    plan, fc = analysis.plan, analysis.forecast
    assert plan.month == pd.Timestamp("2026-12-01") and len(plan.actions) > 10
    per_invoice = fc.invoices.set_index(["company", "invoice_id"])
    fc_cols = per_invoice[["basis", "open_amount_rc"]].add_suffix("_fc")
    targeted = plan.invoices.join(fc_cols, on=["company", "invoice_id"])
    assert np.allclose(targeted["open_amount_rc"], targeted["open_amount_rc_fc"])
    assert not targeted["basis_fc"].isin(["promise", "disputed"]).any()
    assert (targeted["open_amount_rc"] > 0).all()
    by_rank = plan.invoices.groupby("rank")[["open_amount_rc", "amount_rc"]].sum()
    acts = plan.actions.set_index("rank")
    assert np.allclose(by_rank["open_amount_rc"], acts["open_rc"])
    assert np.allclose(by_rank["amount_rc"], acts["amount_rc"])
    # a lever can only pull forward what the forecast puts after the month
    j = int(np.flatnonzero(fc.month_windows["month"] == plan.month)[0])
    rows = per_invoice.index.get_indexer(
        pd.MultiIndex.from_frame(plan.invoices[["company", "invoice_id"]])
    )
    after = fc.month_mass[rows, j + 1 :].sum(axis=1) * plan.invoices["open_amount_rc"]
    assert (plan.invoices["amount_rc"] <= after * LEVERS["success"].max() + 1e-9).all()
    priorities = LEVERS.set_index("lever")["priority"].reindex(plan.actions["lever"])
    assert priorities.is_monotonic_increasing  # cheapest lever first
    for _, group in plan.actions.groupby("lever"):
        assert group["open_rc"].is_monotonic_decreasing  # largest receivables first


def test_battle_plan_workbook_has_a_sheet_per_owner(analysis: Analysis, tmp_path) -> None:  # type: ignore[no-untyped-def]
    acts = analysis.plan.actions.copy()
    acts.loc[0, "name"] = "=cmd()"
    sheets = {"All actions": acts, **dict(list(acts.groupby("owner")))}
    path = write_xlsx(sheets, tmp_path / "plan.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["All actions", *sorted(acts["owner"].unique())]
    sheet = book["All actions"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("name") + 1).value == "'=cmd()"
    assert sheet.cell(row=2, column=header.index("open_rc") + 1).number_format == "#,##0.00"
    for owner, group in acts.groupby("owner"):
        assert book[owner].max_row == len(group) + 1


def test_the_ranking_kept_beside_the_candidates_gives_the_plan_ranked_afresh(
    analysis: Analysis,
) -> None:
    """The candidates ranked for a month are kept while they live: plans for other gaps
    (the workbook's safety margin moving) and scopes are those of candidates ranked afresh,
    and the ranking goes with the candidates."""
    import dataclasses
    import gc

    cands, gap = analysis.candidates, analysis.gap
    for factor, company in [(1.0, None), (0.3, None), (2.5, None), (1.0, "FR01"), (0.5, "UK01")]:
        moved = gap.assign(gap=gap["gap"] * factor)
        kept = battle_plan(cands, moved, company=company)
        fresh = battle_plan(dataclasses.replace(cands), moved, company=company)
        assert kept.month == fresh.month and kept.gap == fresh.gap
        pd.testing.assert_frame_equal(kept.actions, fresh.actions)
        pd.testing.assert_frame_equal(kept.invoices, fresh.invoices)
    assert id(cands) in kept_module._KEPT
    other = dataclasses.replace(cands)
    battle_plan(other, gap)
    key = id(other)
    del other
    gc.collect()
    assert key not in kept_module._KEPT
