"""The built-in backtest: no look-ahead, sound scores, and the forecast beats the baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cashplan import Book
from cashplan.app.cli import main
from cashplan.forecasting.backtest import backtest, default_dates
from cashplan.forecasting.scores import rolling_scale
from cashplan.sample import make_book
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def result(sample_book):
    return backtest(
        sample_book.invoices,
        sample_book.fx,
        sample_book.promises,
        first="2025-09-30",
        last="2026-07-31",
    )


def test_the_forecast_beats_both_baselines_clearly_on_the_sample(result):
    wape = result.summary.set_index("method")["wape"]
    assert wape["forecast"] < 0.75 * wape["mean_delay"]
    assert wape["forecast"] < 0.5 * wape["due_date"]
    coverage = result.summary.set_index("method").loc["forecast", "p10_p90_coverage"]
    assert 0.6 <= coverage <= 0.98  # aim: about 80 %


def test_scores_per_date_add_up_to_the_pooled_ones(result):
    s = result.summary.set_index("method")
    assert s.loc["forecast", "pinball"] < s.loc["mean_delay", "pinball"]  # a proper score too
    assert s.loc["mean_delay", "pinball"] == pytest.approx(s.loc["mean_delay", "wape"] / 2)
    weekly = result.weekly
    for method in ("forecast", "mean_delay"):
        per = result.by_date.loc[result.by_date["method"] == method].set_index("as_of")
        actual = weekly.groupby("as_of")["actual"].sum()
        pooled = (per["wape"] * actual).sum() / actual.sum()
        assert pooled == pytest.approx(s.loc[method, "wape"])
    assert len(result.by_date) == 3 * weekly["as_of"].nunique()
    assert 0.6 <= s.loc["forecast", "raw_coverage"] <= 0.98


def test_the_band_is_calibrated_only_on_what_was_known_at_each_date():
    """Payments after a date move 30 days later: no calibration up to that date changes."""
    book = Book.from_tables(make_book(n_invoices=6_000, n_customers=60, seed=5))
    inv, day = book.invoices, pd.Timestamp("2026-03-31")
    before = backtest(inv, book.fx, book.promises, first="2025-10-31", last="2026-05-31")
    later = inv["paid_date"] > day
    moved = inv.assign(
        paid_date=inv["paid_date"].where(~later, inv["paid_date"] + pd.Timedelta(days=30))
    )
    after = backtest(moved, book.fx, book.promises, first="2025-10-31", last="2026-05-31")
    known = before.weekly["as_of"] <= day
    columns = ["forecast", "sd", "scale", "p10_calibrated", "p90_calibrated", "mean_delay"]
    pd.testing.assert_frame_equal(
        after.weekly.loc[known, columns], before.weekly.loc[known, columns]
    )
    assert before.weekly.loc[before.weekly["as_of"] == day, "scale"].iloc[0] != 1.0  # fitted
    assert not np.allclose(after.weekly["actual"], before.weekly["actual"])

    # the test can fail: had the calibration at `day` seen every week of earlier dates, it
    # would have changed with the payments moved
    def leaky(weekly: pd.DataFrame) -> float:
        earlier = weekly.loc[weekly["as_of"] < day]
        return rolling_scale(earlier, pd.Timestamp("2030-01-01"), "forecast", "sd")

    assert leaky(after.weekly) != pytest.approx(leaky(before.weekly))


def test_actuals_are_the_collections_of_the_book_open_at_each_date(result, sample_book):
    inv = sample_book.invoices
    day = pd.Timestamp("2026-03-31")
    weeks = result.weekly.loc[result.weekly["as_of"] == day]
    start, end = weeks["week_start"].min(), weeks["week_start"].max() + pd.Timedelta(days=7)
    was_open = (inv["issue_date"] <= day) & (inv["paid_date"] > day)
    paid_in = was_open & (inv["paid_date"] >= start) & (inv["paid_date"] < end)
    expected = sample_book.fx.convert(
        inv.loc[paid_in, "amount"], inv.loc[paid_in, "currency"], [day] * int(paid_in.sum())
    ).sum()
    assert weeks["actual"].sum() == pytest.approx(expected)


def test_dates_leave_room_for_13_weeks_of_actuals(sample_book):
    dates = default_dates(sample_book.invoices)
    assert dates.min() >= sample_book.invoices["issue_date"].min() + pd.DateOffset(years=1)
    assert dates.max() <= pd.Timestamp("2026-10-31") - pd.Timedelta(weeks=13)
    with pytest.raises(ValueError, match="no as-of date"):
        backtest(sample_book.invoices, sample_book.fx, first="2030-01-01")


def test_cli_backtest_prints_and_writes(tmp_path, capsys):
    assert (
        main(
            [
                "backtest",
                str(SAMPLE),
                "--from",
                "2026-05-31",
                "--to",
                "2026-06-30",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2 as-of dates" in out and "mean_delay" in out and "%" in out
    assert "pinball" in out and "raw_coverage" in out
    assert (tmp_path / "backtest_weekly.csv").exists()


@pytest.fixture(scope="module")
def small_result():
    """The open-book backtest of a small book shaped like a real company's, held out from
    the sample (``make_small_book``: disputes common and paid late, no payment runs), with
    its ``disputed`` flag kept."""
    from cashplan import Book
    from cashplan.sample import make_small_book

    book = Book.from_tables(make_small_book(seed=3))
    return backtest(book.invoices, book.fx, book.promises, disputes=True)


def test_the_forecast_beats_the_customer_mean_delay_on_a_small_realistic_book(small_result):
    """Out of sample (the book's generator and seed are not the sample's, and nothing was
    tuned on it): 0.306 against 0.554 (0.55x), band holding 90 % of weeks. With disputes
    excluded, as before they were learned, the forecast scored 0.443 (0.80x)."""
    scores = small_result.summary.set_index("method")
    wape = scores["wape"]
    assert small_result.weekly["as_of"].nunique() == 9
    assert wape["forecast"] < 0.65 * wape["mean_delay"]
    assert wape["forecast"] < 0.5 * wape["due_date"]
    assert 0.7 <= scores.loc["forecast", "p10_p90_coverage"] <= 0.95
