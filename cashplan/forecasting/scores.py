"""How a weekly forecast is scored, and how its band is calibrated without look-ahead.

Shared by the backtests (:mod:`cashplan.forecasting.backtest`,
:mod:`cashplan.forecasting.backtest_cash_in`) and ``benchmarks/``, so that every method
(the model, the baselines, a benchmark's survival model) is scored the same way.

Scores, each pooled over the weeks of all dates (``summary``) and per date (``by_date``):

- ``wape``: sum of absolute weekly errors of the expected amount over the sum of actuals;
- ``p10_p90_coverage``: the share of weeks whose actual lies within [p10, p90];
- ``pinball_p10``, ``pinball_p90``: the pinball (quantile) loss of the p10 and of the p90,
  a proper score of the distribution, summed over the weeks and divided by the sum of
  actuals like the WAPE; ``pinball`` is their mean. A point forecast (no band) is scored
  as a distribution with all its mass on the point: its ``pinball`` is then half its WAPE,
  so a band whose ``pinball`` is below half a baseline's WAPE beats that baseline as a
  distribution.

Calibration by rolling origin (``calibrate``): each as-of date's band is the expected
amount plus or minus ``1.2816 x scale x sd``, its ``scale`` fitted only on the weeks of
*earlier* dates that were over by that date (their actuals were known then), so that
[p10, p90] would have held ``coverage`` of them. With fewer than ``min_weeks`` such
weeks, the scale is 1 (the model's own band).

Examples
--------
>>> weekly = pd.DataFrame({"as_of": pd.Timestamp("2026-01-31"),
...     "week_start": pd.date_range("2026-02-02", periods=4, freq="7D"),
...     "actual": [100.0, 80.0, 120.0, 100.0], "expected": 100.0,
...     "p10": 90.0, "p90": 110.0, "naive": 90.0})
>>> by_date, summary = score(weekly, {"model": Method("expected", "p10", "p90"),
...                                   "naive": Method("naive")})
>>> summary.round(3).to_dict("records")[0]
{'method': 'model', 'wape': 0.1, 'median_wape_per_date': 0.1, 'p10_p90_coverage': 0.5, \
'pinball_p10': 0.035, 'pinball_p90': 0.035, 'pinball': 0.035}
>>> summary.loc[1, ["wape", "pinball"]].round(3).tolist()  # a point: half its WAPE
[0.15, 0.075]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["Method", "calibrate", "pinball", "rolling_scale", "score"]

Z90 = 1.2815515655446004  # the standard normal's 90th percentile
_COLUMNS = ["wape", "p10_p90_coverage", "pinball_p10", "pinball_p90", "pinball"]


class Method(NamedTuple):
    """The columns of a scored method: its expected amount, its band, and the actual.

    ``p10``/``p90`` ``None``: a point forecast (scored as all its mass on the point).
    """

    expected: str
    p10: str | None = None
    p90: str | None = None
    actual: str = "actual"


def pinball(actual: np.ndarray, quantile: np.ndarray, level: float) -> np.ndarray:
    """The pinball loss of a ``level`` quantile forecast: ``level x (y - q)`` when ``y > q``,
    else ``(1 - level) x (q - y)`` (element-wise; scoringrules' ``quantile_score``).

    >>> pinball(np.array([0.3, 10.0]), np.array([0.5, 8.0]), 0.2).round(2).tolist()
    [0.16, 0.4]
    """
    diff = np.asarray(actual, dtype=float) - np.asarray(quantile, dtype=float)
    return np.maximum(level * diff, (level - 1.0) * diff)


def rolling_scale(
    weekly: pd.DataFrame,
    as_of: str | pd.Timestamp,
    expected: str,
    sd: str,
    *,
    actual: str = "actual",
    coverage: float = 0.8,
    min_weeks: int = 26,
) -> float:
    """The sd factor that puts ``coverage`` of the weeks known at ``as_of`` within the band.

    Only rows of dates before ``as_of`` whose week was over by ``as_of`` (its last day
    on or before it) count; with fewer than ``min_weeks`` of them (with a positive sd),
    1.0. Clipped to [0.5, 4].

    >>> rows = pd.DataFrame({"as_of": pd.Timestamp("2026-01-31"),
    ...     "week_start": pd.date_range("2026-02-02", periods=40, freq="7D"),
    ...     "actual": 100.0 + np.tile([-20.0, 20.0], 20), "mean": 100.0, "sd": 10.0})
    >>> round(rolling_scale(rows, "2026-12-31", "mean", "sd"), 3)  # every error is 2 sd
    1.561
    >>> rolling_scale(rows, "2026-03-31", "mean", "sd")  # 8 weeks over by then: too few
    1.0
    """
    day = pd.Timestamp(as_of).normalize()
    over = weekly["week_start"] + pd.Timedelta(days=6) <= day
    done = weekly.loc[(weekly["as_of"] < day) & over & (weekly[sd] > 0)]
    if len(done) < min_weeks:
        return 1.0
    z = ((done[actual] - done[expected]).abs() / done[sd]).to_numpy()
    return float(np.clip(np.quantile(z, coverage) / Z90, 0.5, 4.0))


def calibrate(
    weekly: pd.DataFrame,
    expected: str,
    sd: str,
    *,
    actual: str = "actual",
    coverage: float = 0.8,
    min_weeks: int = 26,
) -> pd.DataFrame:
    """Each row's ``scale`` (``rolling_scale`` at its as-of date) and calibrated ``p10``, ``p90``.

    Returns a frame on ``weekly``'s index: scale, p10 (floored at 0), p90.
    """
    scales = {
        day: rolling_scale(
            weekly, day, expected, sd, actual=actual, coverage=coverage, min_weeks=min_weeks
        )
        for day in weekly["as_of"].unique()
    }
    scale = weekly["as_of"].map(scales).astype(float)
    half = Z90 * scale * weekly[sd]
    return pd.DataFrame(
        {
            "scale": scale,
            "p10": (weekly[expected] - half).clip(lower=0.0),
            "p90": weekly[expected] + half,
        },
        index=weekly.index,
    )


def score(weekly: pd.DataFrame, methods: Mapping[str, Method]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each method of a backtest's weekly rows (see the module doc).

    Returns
    -------
    by_date : DataFrame
        as_of, method, wape, p10_p90_coverage, pinball_p10, pinball_p90, pinball.
    summary : DataFrame
        method, wape, median_wape_per_date, p10_p90_coverage, pinball_p10,
        pinball_p90, pinball (pooled over every week of every date).
    """
    per_date, pooled = [], []
    for name, m in methods.items():
        parts = _parts(weekly, m)
        sums = parts.groupby(weekly["as_of"]).sum()
        table = _ratios(sums, band=m.p10 is not None)
        per_date.append(table.assign(method=name).reset_index())
        total = _ratios(sums.sum().to_frame().T, band=m.p10 is not None).iloc[0].to_dict()
        total["median_wape_per_date"] = float(table["wape"].median())
        pooled.append({"method": name, **total})
    by_date = pd.concat(per_date, ignore_index=True)[["as_of", "method", *_COLUMNS]]
    summary = pd.DataFrame(pooled)[["method", "wape", "median_wape_per_date", *_COLUMNS[1:]]]
    return by_date, summary


def _parts(weekly: pd.DataFrame, m: Method) -> pd.DataFrame:
    """Per row: actual, absolute error, pinball losses, inside the band."""
    y = weekly[m.actual].to_numpy(dtype=float)
    lo = weekly[m.p10 or m.expected].to_numpy(dtype=float)
    hi = weekly[m.p90 or m.expected].to_numpy(dtype=float)
    inside = ((y >= lo) & (y <= hi)).astype(float)
    return pd.DataFrame(
        {
            "actual": y,
            "error": np.abs(weekly[m.expected].to_numpy(dtype=float) - y),
            "p10": pinball(y, lo, 0.1),
            "p90": pinball(y, hi, 0.9),
            "inside": inside,
            "weeks": 1.0,
        },
        index=weekly.index,
    )


def _ratios(sums: pd.DataFrame, *, band: bool) -> pd.DataFrame:
    """The scores from the summed parts (one row per group); no coverage without a ``band``."""
    actual = sums["actual"].where(sums["actual"] != 0)
    p10, p90 = sums["p10"] / actual, sums["p90"] / actual
    return pd.DataFrame(
        {
            "wape": sums["error"] / actual,
            "p10_p90_coverage": sums["inside"] / sums["weeks"] if band else np.nan,
            "pinball_p10": p10,
            "pinball_p90": p90,
            "pinball": (p10 + p90) / 2,
        }
    )
