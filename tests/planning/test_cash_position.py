"""The cash position: disbursements by day, opening cash, the weekly chain, floor and runway.

Golden numbers are worked out by hand in each docstring; the held-out test checks a book
of several accounts and currencies against a plain loop written here, day by day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from cashplan.app.analysis import Analysis, Settings
from cashplan.core.dates import ALL
from cashplan.core.fx import Fx
from cashplan.planning.cash_position import (
    cash_position,
    floor_summary,
    month_end_cash,
    opening_cash,
    position_sentence,
)
from cashplan.planning.disbursements import (
    disbursement_schedule,
    horizon,
    payment_dates,
)

EUR = Fx.identity("EUR")
RATES = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01"]),
        "currency": ["GBP", "GBP", "GBP"],
        "rate": [1.10, 1.15, 1.20],
    }
)
FX = Fx(RATES, "EUR")


def _spending(rows: list[tuple]) -> pd.DataFrame:
    """(month, category, amount, company, currency) rows as the typed table."""
    frame = pd.DataFrame(rows, columns=["month", "category", "amount", "company", "currency"])
    return frame.assign(month=pd.to_datetime(frame["month"]).astype("datetime64[us]"))


def _cash_in(companies: dict[str, list[float]], as_of: str, sd: float = 0.0) -> pd.DataFrame:
    """A cash-in frame: each company's weekly total_expected, and ALL's."""
    start, _ = horizon(as_of, 13)
    frames = []
    for company, values in {**companies, ALL: list(np.sum(list(companies.values()), 0))}.items():
        frames.append(
            pd.DataFrame(
                {
                    "company": company,
                    "week_start": pd.date_range(start, periods=len(values), freq="7D"),
                    "total_expected": values,
                    "total_sd": sd,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- payment days


def test_default_days_land_on_working_days() -> None:
    """Nov 2026: 5th Thu, 10th Tue, 15th Sun -> Mon 16th, 30th Mon; Aug 2026: 15th Sat -> 17th,
    31st Mon; Oct 2026: 10th Sat -> Mon 12th, 31st Sat -> Fri 30th (salaries and others)."""
    months = pd.to_datetime(["2026-11-01"] * 5 + ["2026-08-01"] * 2 + ["2026-10-01"] * 3)
    cats = [
        "loans",
        "external",
        "taxes",
        "salaries",
        "rent",
        "taxes",
        "salaries",
        "external",
        "salaries",
        "capex",
    ]
    got = payment_dates(months, np.full(10, np.nan), cats).astype(str).tolist()
    assert got == [
        "2026-11-05",
        "2026-11-10",
        "2026-11-16",
        "2026-11-30",
        "2026-11-30",
        "2026-08-17",
        "2026-08-31",
        "2026-10-12",
        "2026-10-30",
        "2026-10-30",
    ]


def test_given_day_is_kept_and_clipped_to_the_month() -> None:
    """A given day is paid as given, even a Saturday (2026-10-10); 30 and 31 in Feb 2026 -> 28th,
    31 in April -> 30th."""
    months = pd.to_datetime(["2026-10-01", "2026-02-01", "2026-02-01", "2026-04-01"])
    got = payment_dates(months, [10.0, 30.0, 31.0, 31.0], ["salaries"] * 4).astype(str).tolist()
    assert got == ["2026-10-10", "2026-02-28", "2026-02-28", "2026-04-30"]


# ---------------------------------------------------------------- the schedule


def test_schedule_recorded_then_run_rate() -> None:
    """Recorded Sep-Nov salaries 90, 120, 150 (mean 120): Nov pays its recorded 150 on Mon 30th,
    Dec and Jan the run rate 120 on Thu 31 Dec and Fri 29 Jan 2027. Horizon (as-of 31 Oct):
    26 Oct - 25 Jan 2027, so Jan's salary is out; October's (30 Oct) is in the bank."""
    spe = _spending(
        [
            ("2026-09-01", "salaries", 90.0, "A", "EUR"),
            ("2026-10-01", "salaries", 120.0, "A", "EUR"),
            ("2026-11-01", "salaries", 150.0, "A", "EUR"),
        ]
    )
    s = disbursement_schedule(spe, "2026-10-31", EUR)
    assert s[["date", "amount_rc", "basis"]].astype(str).values.tolist() == [
        ["2026-11-30", "150.0", "recorded"],
        ["2026-12-31", "120.0", "run rate"],
    ]
    s52 = disbursement_schedule(spe, "2026-10-31", EUR, weeks=52)
    # 52 weeks end on 25 Oct 2027: November 2026 to September 2027 (Thu 30th)
    assert len(s52) == 11 and s52["date"].max() == pd.Timestamp("2027-09-30")


def test_day_column_carried_and_one_offs() -> None:
    """Salaries given day 25 in October: November (no day) and the run-rate months pay on the
    25th too. A one-off tax settlement of GBP 1,000 on 2026-11-20 converts at 1.20 (the rate of
    1 Nov); a one-off before as-of is gone. Frames with an Int64 ``day`` column work."""
    spe = _spending(
        [
            ("2026-10-01", "salaries", 100.0, "A", "EUR"),
            ("2026-11-01", "salaries", 100.0, "A", "EUR"),
            (None, "taxes", 1000.0, "A", "GBP"),
            (None, "taxes", 500.0, "A", "EUR"),
        ]
    )
    spe["day"] = pd.array([25, None, None, None], dtype="Int64")
    spe["date"] = pd.to_datetime([None, None, "2026-11-20", "2026-10-02"])
    s = disbursement_schedule(spe, "2026-10-31", FX)
    assert s[["date", "category", "amount_rc", "basis"]].astype(str).values.tolist() == [
        ["2026-11-20", "taxes", "1200.0", "one-off"],
        ["2026-11-25", "salaries", "100.0", "recorded"],
        ["2026-12-25", "salaries", "100.0", "run rate"],
    ]


def test_schedule_month_totals_match_the_need_on_the_sample(sample_book) -> None:
    """Every payment day of November and December 2026 is after as-of and within 13 weeks, so
    their totals are the months' cash need (Analysis.need, recorded or run rate)."""
    a = Analysis(sample_book, Settings(as_of="2026-10-31", spending={"FR01/taxes": 250_000.0}))
    s = disbursement_schedule(a.spending, "2026-10-31", sample_book.fx)
    month = s["date"].dt.to_period("M").dt.to_timestamp()
    got = s.loc[month <= "2026-12-01"].groupby([s["company"], month])["amount_rc"].sum()
    need = a.need.loc[a.need["month"].between("2026-11-01", "2026-12-01")]
    want = need.groupby(["company", "month"])["amount"].sum()
    assert np.allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), atol=0.01 * 4)
    assert len(got) == 4
    taxes = s.loc[(s["company"] == "FR01") & (s["category"] == "taxes"), "amount_rc"]
    assert taxes.tolist() == [250_000.0, 250_000.0, 250_000.0]  # Nov, Dec, Jan 15th


def test_schedule_does_not_mutate_and_accepts_no_optional_columns() -> None:
    spe = _spending([("2026-10-01", "loans", 10.0, "A", "EUR")])
    before = spe.copy()
    s = disbursement_schedule(spe, "2026-10-31", EUR)
    pd.testing.assert_frame_equal(spe, before)
    assert s["date"].astype(str).tolist() == ["2026-11-05", "2026-12-07", "2027-01-05"]


# ---------------------------------------------------------------- opening cash

BANK = pd.DataFrame(
    {
        "company": ["FR01", "FR01", "FR01", "FR01", "UK01", "UK01", "UK01", "UK01", "UK01"],
        "account": ["main", "main", "payroll", "main", "ops", "ops", "usd", None, None],
        "date": pd.to_datetime(
            [
                "2026-10-29",
                "2026-10-30",
                "2026-10-12",
                "2026-11-02",
                "2026-10-31",
                "2026-10-31",
                "2026-10-31",
                "2026-10-20",
                "2026-11-05",
            ]
        ),
        "balance": [
            500_000.0,
            450_000.25,
            -20_000.0,
            1.0,
            80_000.0,
            90_000.0,
            1_000.0,
            12_345.67,
            5.0,
        ],
        "currency": ["EUR", "EUR", "EUR", "EUR", "GBP", "GBP", "EUR", "GBP", "GBP"],
    }
)


def test_opening_cash_by_hand() -> None:
    """FR01: main 450,000.25 (30 Oct; the 2 Nov row is not known yet) + payroll -20,000 =
    430,000.25. UK01 at 1.15 (the rate of 1 Oct, valid on 31 Oct): ops' later row of the day
    90,000 -> 103,500; usd 1,000 EUR; no account 12,345.67 -> 14,197.52 (14,197.5205);
    total 118,697.52. ALL 548,697.77; one later row each."""
    o = opening_cash(BANK, "2026-10-31", FX).set_index("company")
    assert o["opening_rc"].to_dict() == {"FR01": 430_000.25, "UK01": 118_697.52, ALL: 548_697.77}
    assert o["n_accounts"].to_dict() == {"FR01": 2, "UK01": 3, ALL: 5}
    assert o["ignored_later_rows"].to_dict() == {"FR01": 1, "UK01": 1, ALL: 2}
    assert o.loc["FR01", "oldest_balance_date"] == pd.Timestamp("2026-10-12")
    assert o.loc[ALL, "latest_balance_date"] == pd.Timestamp("2026-10-31")


# ---------------------------------------------------------------- the weekly chain


def test_first_week_counts_days_after_as_of_only() -> None:
    """As-of Wed 4 Nov 2026: the first week is 2-8 Nov. Loans (Thu 5th) are paid in it; the
    taxes of Tue 3rd are in the bank already. Opening 0 (no bank): closing 100 - 40 = 60."""
    spe = _spending(
        [("2026-11-01", "loans", 40.0, "A", "EUR"), ("2026-11-01", "taxes", 7.0, "A", "EUR")]
    )
    spe["day"] = [np.nan, 3.0]
    paid = disbursement_schedule(spe, "2026-11-04", EUR)
    p = cash_position(_cash_in({"A": [100.0] * 13}, "2026-11-04"), paid, "2026-11-04")
    first = p.iloc[0]
    assert first["week_start"] == pd.Timestamp("2026-11-02")
    assert (first["disbursements"], first["closing"]) == (40.0, 60.0)
    assert not p["opening_known"].any()


def test_cumulative_band_by_hand() -> None:
    """Weekly sd 3 then 4: independent 5, fully correlated 7, r = 0.5 -> sqrt(12.5 + 24.5) =
    6.083; p10 of a 100 closing with sd 5: 100 - 1.2816 x 5 = 93.59."""
    cash_in = _cash_in({"A": [100.0, 0.0]}, "2026-10-31")
    cash_in["total_sd"] = [3.0, 4.0, 3.0, 4.0]
    sd = {
        r: cash_position(cash_in, paid_none(), "2026-10-31", weeks=2, week_correlation=r)
        for r in (0.0, 0.5, 1.0)
    }
    assert [round(sd[r]["closing_sd"].iloc[1], 3) for r in sd] == [5.0, 6.083, 7.0]
    assert sd[0.0]["closing_p10"].iloc[1] == 93.59
    with pytest.raises(ValueError, match="week_correlation must be between 0 and 1"):
        cash_position(cash_in, paid_none(), "2026-10-31", week_correlation=1.5)


def paid_none() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "company": pd.Series(dtype=str),
            "date": pd.Series(dtype="datetime64[us]"),
            "amount_rc": pd.Series(dtype=float),
        }
    )


def test_floors_and_sentence() -> None:
    """A: 1,000; the first week (only Sun 1 Nov after as-of) collects 100, then each week
    +100 -400 (paid on Wednesdays from 4 Nov): closings 1,100, 800, 500, 200, ... 1,100 - 12 x
    300 = -2,500 in week 13. With a floor of 300 the 4th week (200) is the first under it: a
    runway of 3 weeks. ALL's floor is the sum 300 + 0; B never moves: no crossing."""
    cash_in = _cash_in({"A": [100.0] * 13, "B": [0.0] * 13}, "2026-10-31")
    start, _ = horizon("2026-10-31", 52)
    paid = pd.DataFrame(
        {
            "company": "A",
            "date": pd.date_range(start + pd.Timedelta(days=9), periods=52, freq="7D"),
            "amount_rc": 400.0,
        }
    )
    opening = pd.DataFrame(
        {"company": ["A", "B", ALL], "opening_rc": [1000.0, 0.0, 1000.0], "n_accounts": [1, 1, 2]}
    )
    p = cash_position(cash_in, paid, "2026-10-31", opening=opening, cash_floor={"A": 300.0})
    a = p.loc[p["company"] == "A"]
    assert a["closing"].iloc[:5].tolist() == [1100.0, 800.0, 500.0, 200.0, -100.0]
    assert p.loc[p["company"] == ALL, "floor"].iloc[0] == 300.0
    s = floor_summary(p, paid, "2026-10-31").set_index("company")
    assert (s.loc["A", "below_floor_week"], s.loc["A", "runway_weeks"]) == (4, 3.0)
    assert s.loc["A", "lowest_week"] == 13 and s.loc["A", "lowest_closing"] == -2500.0
    assert math.isinf(s.loc["B", "runway_weeks"])
    text = position_sentence(s.reset_index(), company="A")
    assert text == (
        "Cash on hand EUR 1,000; lowest point EUR -2,500 in week 13 (from "
        "2027-01-18); floor EUR 300 crossed in week 4 (from 2026-11-16)."
    )
    b = position_sentence(s.reset_index(), company="B")
    assert b.endswith(
        "floor EUR 0 not crossed within 13 weeks (not within 52 weeks either at the run rate)."
    )
    unknown = floor_summary(cash_position(cash_in, paid, "2026-10-31"), paid, "2026-10-31")
    assert position_sentence(unknown).startswith("Cash on hand unknown (no bank balance")


# ---------------------------------------------------------------- held out


def _loop_payment_day(year: int, month: int, category: str) -> dt.date:
    """The category defaults, by a plain calendar walk."""
    last = calendar.monthrange(year, month)[1]
    day, step = {
        "salaries": (last, -1),
        "taxes": (15, 1),
        "external": (10, 1),
        "loans": (5, 1),
    }.get(category, (last, -1))
    d = dt.date(year, month, day)
    while d.weekday() >= 5:
        d += dt.timedelta(days=step)
    return d


def _rate(currency: str, day: dt.date) -> float:
    if currency == "EUR":
        return 1.0
    return [
        r
        for d, r in (
            (dt.date(2026, 9, 1), 1.10),
            (dt.date(2026, 10, 1), 1.15),
            (dt.date(2026, 11, 1), 1.20),
        )
        if d <= day
    ][-1]


HELD_OUT_BANK = pd.DataFrame(
    {
        "company": ["FR01", "FR01", "FR01", "FR01", "UK01", "UK01", "UK01"],
        "account": ["main", "main", "main", "gbp", "ops", "ops", ""],
        "date": pd.to_datetime(
            [
                "2026-11-10",
                "2026-11-11",
                "2026-11-13",
                "2026-11-01",
                "2026-11-12",
                "2026-11-12",
                "2026-10-31",
            ]
        ),
        "balance": [300_000.0, 310_500.55, 999.0, 20_000.0, 95_000.10, 96_000.10, 4_321.09],
        "currency": ["EUR", "EUR", "EUR", "GBP", "GBP", "GBP", "EUR"],
    }
)


def test_held_out_book_against_a_plain_loop() -> None:
    """Two companies, EUR and GBP accounts and spending, as-of Thu 12 Nov 2026 (mid-week,
    mid-month): the opening, each week's identity, the chain, the month totals of the
    disbursements and the floor flags, all recomputed here day by day. FR01 opens at
    310,500.55 + 20,000 x 1.20 = 334,500.55 and pays about 150,000 a month against some
    90,000 collected in 13 weeks: it crosses its 200,000 floor on the way."""
    as_of = dt.date(2026, 11, 12)
    bank = HELD_OUT_BANK
    cats = ["salaries", "taxes", "external", "loans", "rent"]
    rows = [
        (f"2026-{m:02d}-01", c, 10_000.0 * (i + 1) + m, co, cur)
        for m in (8, 9, 10, 11)
        for i, c in enumerate(cats)
        for co, cur in (("FR01", "EUR"), ("UK01", "GBP"))
    ]
    spe = _spending(rows)
    weekly = {
        "FR01": list(np.linspace(5_000, 9_000, 13).round(2)),
        "UK01": list(np.linspace(3_000, 1_000, 13).round(2)),
    }
    floors = {"FR01": 200_000.0, "UK01": -100_000.0}
    opening = opening_cash(bank, "2026-11-12", FX)
    paid = disbursement_schedule(spe, "2026-11-12", FX)
    p = cash_position(
        _cash_in(weekly, "2026-11-12"), paid, "2026-11-12", opening=opening, cash_floor=floors
    )

    # the loop: opening per account (latest row on or before as-of; the later row of a day)
    latest: dict[tuple[str, str], tuple[dt.date, int, float, str]] = {}
    for i, r in enumerate(bank.itertuples()):
        d = r.date.date()
        key = (r.company, r.account if isinstance(r.account, str) else "")
        if d <= as_of and (key not in latest or (d, i) >= latest[key][:2]):
            latest[key] = (d, i, r.balance, r.currency)
    start = dt.date(2026, 11, 9)  # the Monday of the week holding 13 Nov
    for company in ("FR01", "UK01"):
        cash = sum(
            round(b * _rate(cur, as_of), 2)
            for (co, _), (_, _, b, cur) in latest.items()
            if co == company
        )
        mine = p.loc[p["company"] == company].reset_index(drop=True)
        assert mine["opening"].iloc[0] == pytest.approx(cash, abs=0.001)
        currency = "EUR" if company == "FR01" else "GBP"
        for w in range(13):
            lo, hi = start + dt.timedelta(weeks=w), start + dt.timedelta(weeks=w + 1)
            out = 0.0
            for m in (11, 12, 1, 2):
                year = 2027 if m < 8 else 2026
                for i, c in enumerate(cats):
                    d = _loop_payment_day(year, m, c)
                    recorded = 10_000.0 * (i + 1) + (m if m == 11 else 10)
                    if lo <= d < hi and d > as_of:
                        out += round(recorded * _rate(currency, dt.date(year, m, 1)), 2)
            got = weekly[company][w]
            assert mine.loc[w, "disbursements"] == pytest.approx(out, abs=0.001), (company, w)
            assert mine.loc[w, "opening"] == pytest.approx(cash, abs=0.001)
            cash = round(cash + got - out, 2)
            assert mine.loc[w, "closing"] == pytest.approx(cash, abs=0.001)
            assert mine.loc[w, "below_floor"] == (cash < floors[company])
    # the identity and the chain, to the cent, and ALL the sum of the companies
    assert np.allclose(
        p["opening"] + p["collections"] - p["disbursements"], p["closing"], atol=1e-6, rtol=0
    )
    chain = p.groupby("company")
    assert np.allclose(
        chain["opening"].shift(-1).dropna(),
        p.loc[chain.cumcount() < 12, "closing"],
        atol=1e-6,
        rtol=0,
    )
    by = p.pivot(index="week_start", columns="company", values="closing")
    assert np.allclose(by[ALL], by["FR01"] + by["UK01"], atol=1e-6)
    # the month totals of the disbursements: December in full, both companies
    dec = paid.loc[paid["date"].dt.month == 12].groupby("company")["amount_rc"].sum()
    want = {
        co: sum(
            round((10_000.0 * (i + 1) + 10) * _rate(cur, dt.date(2026, 12, 1)), 2) for i in range(5)
        )
        for co, cur in (("FR01", "EUR"), ("UK01", "GBP"))
    }
    assert dec.to_dict() == pytest.approx(want, abs=0.001)


def test_month_end_cash_against_the_weeks() -> None:
    """As-of Fri 13 Nov 2026 (first week 9-15 Nov: 2 days after as-of). 30 Nov is the first day
    of its week: 1/7 of the week's collections; 31 Dec (Thu) 4/7 of its week's; 31 Jan 2027
    (Sun) closes its week, so it equals the week's closing. The 13 weeks end on 7 Feb."""
    spe = _spending([("2026-11-01", "salaries", 700.0, "A", "EUR")])
    paid = disbursement_schedule(spe, "2026-11-13", EUR)
    p = cash_position(_cash_in({"A": [70.0] * 13}, "2026-11-13"), paid, "2026-11-13")
    m = month_end_cash(p, paid, "2026-11-13")
    a = m.loc[m["company"] == "A"]
    assert a["month_end"].astype(str).tolist() == ["2026-11-30", "2026-12-31", "2027-01-31"]
    # 30 Nov: weeks of 9, 16, 23 Nov closed (3 x 70), then 10 of that week, salaries -700
    # 31 Dec: 7 weeks closed (7 x 70 - 700) + 40 (28-31 Dec), salary of 31 Dec (Thu) -700
    # 31 Jan: 12 weeks (840) and three salaries (30 Nov, 31 Dec, Fri 29 Jan)
    assert a["closing_cash"].tolist() == [
        210.0 + 10.0 - 700.0,
        490.0 - 700.0 + 40.0 - 700.0,
        840.0 - 2100.0,
    ]
    assert a["closing_cash"].iloc[-1] == p.loc[p["company"] == "A", "closing"].iloc[11]
    assert m.loc[m["company"] == ALL, "closing_cash"].tolist() == a["closing_cash"].tolist()


@pytest.mark.parametrize("floor", [0.0, 5.0e5, 1.0e12])
def test_the_floor_summary_built_at_once_is_the_one_built_column_by_column(sample_book, floor):
    """The floor summary's week columns (nullable weeks, NaT starts) built as arrays are the
    ones first built column by column from pandas' ``where``, exactly: a floor never
    crossed in some company, crossed at once, crossed everywhere."""
    from cashplan.app.analysis import Analysis, Settings
    from cashplan.planning.cash_position import floor_summary

    a = Analysis(sample_book, Settings(as_of="2026-10-31", cash_floor=floor))
    got = floor_summary(a.position, a.disbursements, a.day)
    weeks = int(got["weeks"].iloc[0])
    starts = pd.DatetimeIndex(a.position["week_start"].iloc[:weeks])
    names = got["company"].tolist()
    want = got.drop(columns=[c for c in got.columns if c.startswith("below_floor")])
    for name, column in (("below_floor", "closing"), ("below_floor_p10", "closing_p10")):
        grid = a.position[column].to_numpy().reshape(len(names), weeks)
        hit = grid < got["floor"].to_numpy()[:, None]
        k, found = hit.argmax(axis=1), pd.Series(hit.any(axis=1))
        want[f"{name}_week"] = pd.Series(k + 1, dtype="Int64").where(found)
        want[f"{name}_week_start"] = pd.Series(starts[k]).where(found).to_numpy()
    want = want[got.columns]
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    if floor == 0.0:
        assert got["below_floor_week"].isna().any() and got["below_floor_week"].notna().any()
