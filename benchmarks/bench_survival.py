"""A second opinion: survival models from scikit-survival, scored by the same backtest.

What a data scientist would build for "when will this open invoice be paid", fitted at
each backtest date on what was known then, and scored next to our forecast and the
baselines by :func:`cashplan.forecasting.backtest.scores_of` (the same weeks, actuals,
rolling-origin band calibration and scores):

- ``km``: a Kaplan-Meier curve of the delay (paid date - due date) per customer, shrunk
  toward its company's curve by 5 invoices' worth (``n S_customer + 5 S_company) / (n + 5)``);
- ``cox``: a Cox proportional-hazards model (ridge 1e-2) of the delay with invoice and
  customer features: log amount, payment terms, the company, and the customer's history
  at the date (log count of settled invoices, mean and spread of its delays, share paid
  more than 5 days late, open invoices and their share overdue).

Both are fitted on the invoices issued in the two years before the date: those settled by
then (an event at their delay) and those still open then (censored at their age), so
slow payers are not made to look fast. Each open invoice is conditioned on its age at the
date (unpaid so far): P(paid in a week) = (S(start) - S(end)) / S(age). A week's sd treats
the invoices as our model does (customers independent, invoices of a customer correlated
at 0.1), and the band gets the same rolling-origin calibration. The ``disputed`` flag is
today's: not used, as in the backtest.

Run from the repository root (each argument a book folder, ``seed:N`` for
``make_book(seed=N)``, or ``small:N`` for ``make_small_book(seed=N)`` where it exists)::

    python benchmarks/bench_survival.py        # data/sample, seed:11, seed:23 (+ small:3)
    python benchmarks/bench_survival.py seed:42 path/to/book --from 2025-06-30

Needs the ``bench`` extra (``pip install ".[bench]"``: scikit-survival).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from cashplan import Book, read_book
from cashplan import sample as samples
from cashplan.core.fx import Fx
from cashplan.forecasting.backtest import METHODS, Backtest, backtest, scores_of
from cashplan.forecasting.collection import buckets_for
from cashplan.forecasting.scores import Method, calibrate
from cashplan.ledger.items import open_items

OFFSET = 150  # survival time = delay + OFFSET days (delays as early as -150 days stay positive)
T_MAX = 1_100  # the curves' grid: time 0 .. T_MAX - 1 (delays up to 950 days)
PRIOR = 5.0  # invoices' worth of the company curve in a customer's KM
RHO = 0.1  # within-customer correlation, as the model's
HISTORY_DAYS = 730
WEEKS = 13
MODELS = ("km", "cox")


def load(spec: str) -> tuple[str, Book]:
    """A book from ``seed:N``, ``small:N`` or a folder."""
    kind, _, arg = spec.partition(":")
    if kind == "seed":
        return f"make_book seed {arg}", Book.from_tables(samples.make_book(seed=int(arg)))
    if kind == "small":
        make_small = getattr(samples, "make_small_book", None)
        if make_small is None:
            raise SystemExit("cashplan.sample has no make_small_book yet (branch `learn`)")
        return f"make_small_book seed {arg}", Book.from_tables(make_small(seed=int(arg)))
    return spec, read_book(Path(spec))


def training(invoices: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Invoices issued in the two years to ``day``: time (delay + OFFSET) and event."""
    inv = invoices.loc[
        (invoices["issue_date"] <= day)
        & (invoices["issue_date"] > day - pd.Timedelta(days=HISTORY_DAYS))
        & (invoices["amount"] > 0)
    ]
    paid = inv["paid_date"].notna() & (inv["paid_date"] <= day)
    end = inv["paid_date"].where(paid, day)
    time_ = (end - inv["due_date"]).dt.days + OFFSET
    out = inv.assign(event=paid.to_numpy(), time=time_.clip(upper=T_MAX - 2))
    return out.loc[out["time"] > 0]


def step(times: np.ndarray, surv: np.ndarray) -> np.ndarray:
    """A survival step function on the grid 0 .. T_MAX - 1 (1 before the first time)."""
    at = np.searchsorted(times, np.arange(T_MAX), side="right") - 1
    return np.where(at >= 0, surv[np.clip(at, 0, None)], 1.0)


def km_curves(train: pd.DataFrame, items: pd.DataFrame) -> np.ndarray:
    """Each open item's curve: its customer's KM shrunk toward its company's."""
    from sksurv.nonparametric import kaplan_meier_estimator

    def km(rows: pd.DataFrame) -> np.ndarray:
        if not rows["event"].any():
            return np.ones(T_MAX)
        times, surv = kaplan_meier_estimator(rows["event"].to_numpy(), rows["time"].to_numpy())
        return step(times, surv)

    company = {c: km(rows) for c, rows in train.groupby("company")}
    keys = items[["company", "customer_id"]].drop_duplicates()
    groups = dict(list(train.groupby(["company", "customer_id"])))
    curves = {}
    for c, cust in keys.itertuples(index=False):
        prior = company.get(c, np.ones(T_MAX))
        rows = groups.get((c, cust))
        n = 0 if rows is None else len(rows)
        own = prior if rows is None else km(rows)
        curves[(c, cust)] = (n * own + PRIOR * prior) / (n + PRIOR)
    index = pd.MultiIndex.from_frame(items[["company", "customer_id"]])
    return np.stack([curves[k] for k in index])


def features(rows: pd.DataFrame, invoices: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Invoice and customer features at ``day`` for ``rows`` (any invoices of the book)."""
    settled = invoices.loc[invoices["paid_date"] <= day]
    late = (settled["paid_date"] - settled["due_date"]).dt.days
    key = [settled["company"], settled["customer_id"]]
    hist = pd.DataFrame(
        {
            "n_paid": np.log1p(late.groupby(key).size()),
            "mean_late": late.groupby(key).mean(),
            "sd_late": late.groupby(key).std(),
            "share_late": (late > 5).groupby(key).mean(),
        }
    )
    still = invoices.loc[(invoices["issue_date"] <= day) & ~(invoices["paid_date"] <= day)]
    okey = [still["company"], still["customer_id"]]
    hist["n_open"] = np.log1p(still.groupby(okey).size())
    hist["overdue"] = (still["due_date"] < day).groupby(okey).mean()
    who = pd.MultiIndex.from_frame(rows[["company", "customer_id"]])
    X = hist.reindex(who).reset_index(drop=True)
    X = X.fillna(X.median()).fillna(0.0)
    X["log_amount"] = np.log(rows["amount"].abs().clip(lower=1.0)).to_numpy()
    X["terms"] = (rows["due_date"] - rows["issue_date"]).dt.days.to_numpy()
    for company in sorted(invoices["company"].unique())[1:]:
        X[f"co_{company}"] = (rows["company"] == company).to_numpy(dtype=float)
    return X


def cox_curves(
    train: pd.DataFrame, items: pd.DataFrame, invoices: pd.DataFrame, day: pd.Timestamp
) -> np.ndarray:
    """Each open item's curve from a Cox model with invoice and customer features."""
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.util import Surv

    X = features(train, invoices, day)
    mean, sd = X.mean(), X.std().replace(0.0, 1.0)
    y = Surv.from_arrays(train["event"].to_numpy(), train["time"].to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = CoxPHSurvivalAnalysis(alpha=1e-2).fit((X - mean) / sd, y)
    Xo = (features(items, invoices, day) - mean) / sd
    surv = model.predict_survival_function(Xo, return_array=True)
    at = np.searchsorted(model.unique_times_, np.arange(T_MAX), side="right") - 1
    return np.where(at >= 0, surv[:, np.clip(at, 0, None)], 1.0)


def weekly_from(curves: np.ndarray, items: pd.DataFrame, day: pd.Timestamp) -> tuple:
    """Expected amount and sd per week from each item's curve, given unpaid at ``day``."""
    weeks = buckets_for(day).iloc[:WEEKS]
    edges = np.append(
        weeks["start"].to_numpy(dtype="datetime64[D]"),
        weeks["end"].iloc[-1].to_datetime64().astype("datetime64[D]"),
    )
    due = items["due_date"].to_numpy(dtype="datetime64[D]")
    today = np.datetime64(day.date(), "D")
    age = np.clip((today - due).astype(np.int64) + OFFSET, 0, T_MAX - 1)
    t = (edges[None, :] - due[:, None]).astype(np.int64) + OFFSET - 1  # S(t - 1) at each edge
    t = np.clip(np.maximum(t, age[:, None]), 0, T_MAX - 1)
    s = np.take_along_axis(curves, t, axis=1)
    left = np.take_along_axis(curves, age[:, None], axis=1)
    p = np.where(left > 1e-9, (s[:, :-1] - s[:, 1:]) / np.maximum(left, 1e-9), 0.0)
    amount = items["open_amount_rc"].to_numpy()
    spread = np.sqrt(np.clip(p * (1 - p), 0, None)) * np.abs(amount)[:, None]
    who = pd.factorize(items["company"] + "\x00" + items["customer_id"])[0]
    together = np.stack([np.bincount(who, spread[:, j]) ** 2 for j in range(WEEKS)], 1)
    var = RHO * together.sum(0) + (1 - RHO) * (spread**2).sum(0)
    return (amount[:, None] * p).sum(0), np.sqrt(var)


def survival_columns(invoices: pd.DataFrame, fx: Fx, day: pd.Timestamp) -> pd.DataFrame:
    """Both survival models' weekly expected and sd at ``day`` (what was known then)."""
    known = invoices.assign(disputed=False)
    items = open_items(known, day, fx)
    train = training(known, day)
    out = {}
    for name, curves in (
        ("km", km_curves(train, items)),
        ("cox", cox_curves(train, items, known, day)),
    ):
        out[name], out[f"{name}_sd"] = weekly_from(curves, items, day)
    return pd.DataFrame(out)


def run(book: Book, first: str | None, last: str | None) -> tuple[Backtest, pd.DataFrame, float]:
    """Our backtest and the survival models on its dates, scored together."""
    ours = backtest(book.invoices, book.fx, book.promises, first=first, last=last)
    start = time.perf_counter()
    frames = [
        survival_columns(book.invoices, book.fx, day) for day in ours.weekly["as_of"].unique()
    ]
    took = time.perf_counter() - start
    weekly = pd.concat([ours.weekly, pd.concat(frames, ignore_index=True)], axis=1)
    methods = dict(METHODS)
    for name in MODELS:
        band = calibrate(weekly, name, f"{name}_sd")
        weekly[f"{name}_p10"], weekly[f"{name}_p90"] = band["p10"], band["p90"]
        methods[name] = Method(name, f"{name}_p10", f"{name}_p90")
    by_date, summary = scores_of(weekly, methods)
    return Backtest(weekly, summary, by_date), summary, took


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("books", nargs="*")
    parser.add_argument("--from", dest="first", default=None)
    parser.add_argument("--to", dest="last", default=None)
    args = parser.parse_args(argv)
    specs = args.books or ["data/sample", "seed:11", "seed:23"]
    if not args.books and hasattr(samples, "make_small_book"):
        specs.append("small:3")
    pd.set_option("display.width", 200)
    for spec in specs:
        label, book = load(spec)
        result, summary, took = run(book, args.first, args.last)
        dates = result.weekly["as_of"]
        s = summary.set_index("method")
        ratio = s.loc["forecast", "wape"] / s.loc["mean_delay", "wape"]
        print(
            f"\n{label}: {len(book.invoices):,} invoices, {dates.nunique()} month-ends "
            f"{dates.min():%Y-%m-%d} .. {dates.max():%Y-%m-%d}; survival fits {took:.0f} s; "
            f"forecast / mean_delay WAPE {ratio:.2f}"
        )
        shown = summary.drop(columns=["median_wape_per_date"]).set_index("method")
        print(shown.round(3).to_string())
        wins = result.by_date.pivot(index="as_of", columns="method", values="wape")
        print(
            "dates where km beats the forecast (WAPE): "
            f"{int((wins['km'] < wins['forecast']).sum())}/{len(wins)}; cox: "
            f"{int((wins['cox'] < wins['forecast']).sum())}/{len(wins)}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
