"""The scores every backtest shares: pinball loss, WAPE, coverage, rolling-origin calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr

from cashplan.forecasting.scores import Method, calibrate, pinball, rolling_scale, score


def test_pinball_is_scoringrules_quantile_score():
    rng = np.random.default_rng(3)
    y, q = rng.normal(100, 30, 500), rng.normal(100, 30, 500)
    for level in (0.1, 0.5, 0.9):
        np.testing.assert_allclose(pinball(y, q, level), sr.quantile_score(y, q, level))


def test_pinball_is_lowest_at_the_true_quantile():
    """A proper score: over draws of a known distribution, the true p10/p90 score best."""
    y = np.random.default_rng(4).exponential(100.0, 200_000)
    for level in (0.1, 0.9):
        true = -100.0 * np.log(1 - level)
        best = pinball(y, np.full_like(y, true), level).mean()
        for off in (0.8, 1.25):
            assert pinball(y, np.full_like(y, true * off), level).mean() > best


def _weeks(n_dates: int = 3, actual: float = 100.0) -> pd.DataFrame:
    dates = pd.date_range("2026-01-31", periods=n_dates, freq="ME")
    frames = [
        pd.DataFrame(
            {
                "as_of": day,
                "week_start": pd.date_range(day + pd.Timedelta(days=1), periods=13, freq="7D"),
                "actual": actual + 20.0 * np.tile([-1.0, 1.0], 7)[:13],
            }
        )
        for day in dates
    ]
    return pd.concat(frames, ignore_index=True)


def test_score_pools_weeks_and_scores_each_date():
    weekly = _weeks().assign(expected=100.0, p10=70.0, p90=130.0, flat=90.0)
    weekly.loc[weekly["as_of"] == weekly["as_of"].max(), "actual"] *= 3  # one bad date
    by_date, summary = score(
        weekly, {"model": Method("expected", "p10", "p90"), "flat": Method("flat")}
    )
    s = summary.set_index("method")
    errors = (weekly["expected"] - weekly["actual"]).abs()
    assert s.loc["model", "wape"] == pytest.approx(errors.sum() / weekly["actual"].sum())
    inside = weekly["actual"].between(70.0, 130.0).mean()
    assert s.loc["model", "p10_p90_coverage"] == pytest.approx(inside)
    assert np.isnan(s.loc["flat", "p10_p90_coverage"])  # a point has no band
    assert s.loc["flat", "pinball"] == pytest.approx(s.loc["flat", "wape"] / 2)
    model = by_date.loc[by_date["method"] == "model"].set_index("as_of")
    assert model["p10_p90_coverage"].tolist() == [1.0, 1.0, 0.0]
    assert s.loc["model", "median_wape_per_date"] == pytest.approx(model["wape"].median())


def test_a_band_that_holds_the_actuals_beats_the_point_it_is_centred_on():
    weekly = _weeks().assign(expected=100.0, p10=75.0, p90=125.0)
    _, summary = score(
        weekly, {"band": Method("expected", "p10", "p90"), "point": Method("expected")}
    )
    s = summary.set_index("method")["pinball"]
    assert s["band"] < s["point"]


def test_calibration_uses_only_earlier_dates_weeks_that_were_over():
    weekly = _weeks(6).assign(expected=100.0, sd=10.0)
    band = calibrate(weekly, "expected", "sd")
    day = weekly["as_of"].unique()[4]  # 38 weeks of the 4 earlier dates over by then
    assert band.loc[weekly["as_of"] == day, "scale"].iloc[0] == pytest.approx(
        20.0 / 10.0 / 1.2816, 1e-3
    )
    # what happened after `day` (later weeks of earlier dates, its own weeks) changes nothing
    later = weekly["week_start"] + pd.Timedelta(days=6) > day
    wild = weekly.assign(actual=weekly["actual"].where(~later, 1e6))
    again = calibrate(wild, "expected", "sd")
    known = weekly["as_of"] <= day
    pd.testing.assert_frame_equal(again.loc[known], band.loc[known])
    assert not np.allclose(again["scale"], band["scale"])  # later dates do see them
    # weeks over by then do count
    changed = weekly.assign(actual=weekly["actual"].where(weekly.index > 12, 160.0))
    assert rolling_scale(changed, day, "expected", "sd") > rolling_scale(
        weekly, day, "expected", "sd"
    )


def test_too_few_weeks_keep_the_models_band():
    weekly = _weeks(2).assign(expected=100.0, sd=10.0)
    band = calibrate(weekly, "expected", "sd")
    assert (band["scale"] == 1.0).all()
    assert band["p10"].iloc[0] == pytest.approx(100.0 - 12.815515655446004)
