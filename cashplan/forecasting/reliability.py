"""Payer reliability: a 0-100 score per customer from its payment history.

Scikit-learn shaped: ``PayerScorer(...).fit(invoices, as_of, promises)`` returns
the scorer; what it learned ends in ``_``; ``summary_`` is one row per customer.

The history is the invoices settled on or before ``as_of`` (credit notes left
out). Each is weighted by its amount and by its age (half-life ``half_life_days``),
so recent behaviour weighs more. Per customer, within its company:

- ``avg_days_late``: weighted mean of paid date - due date (negative = early);
- ``share_late``: weighted share paid more than ``tolerance_days`` late;
- ``std_days_late``: weighted standard deviation of the days late (erratic payers);
- ``trend_days_per_year``: weighted slope of days late over the last two years
  (a payer getting worse has a positive trend);
- ``dispute_share``: share of its open amount in dispute;
- ``broken_promise_share``: share of its due promises (on an invoice) not kept
  within ``tolerance_days``.

Thin histories are shrunk toward the company's payers: each metric becomes
``(n_eff x customer + prior_strength x company) / (n_eff + prior_strength)``,
with ``n_eff`` the effective number of invoices (Kish). A customer with no
history gets the company's figures, flagged ``basis = "company prior"``; none is
dropped. The score starts at 100 and loses points for each metric (see
``_PENALTY``); ``reliability`` is ``reliable`` at ``threshold`` or above, and the
``grade`` runs from A (80+) to E (under 35).

Examples
--------
>>> from cashplan.io.book import Book
>>> book = Book.from_frames(invoices=pd.DataFrame({
...     "invoice_id": ["F1", "F2", "F3", "F4"], "customer_id": ["ON", "ON", "LATE", "LATE"],
...     "issue_date": ["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01"],
...     "due_date": ["2026-01-31", "2026-03-03", "2026-01-31", "2026-03-03"],
...     "amount": ["100", "100", "100", "100"],
...     "paid_date": ["2026-01-30", "2026-03-03", "2026-03-31", "2026-05-02"]}))
>>> scorer = PayerScorer(prior_strength=0.0).fit(book.invoices, "2026-06-30")
>>> scorer.summary_.set_index("customer_id")["reliability"].to_dict()
{'LATE': 'unreliable', 'ON': 'reliable'}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cashplan.core.dates import to_date
from cashplan.fast.arrays import (
    UNPAID,
    LedgerArrays,
    arrays_for,
    customer_numbers,
    day_number,
    days,
)
from cashplan.fast.frames import invoice_rows
from cashplan.fast.history import decay_table
from cashplan.fast.scoring import payer_sums
from cashplan.forecasting.promises import DEFAULT_KEEPING

__all__ = ["PayerScorer"]

# points lost per unit of each metric (capped), chosen so that a payer 30 days late on
# average, every time, scores about 40, and a punctual one about 95
_PENALTY = {
    "avg_days_late": (0.9, 45.0),  # per day late on average (early payment: no bonus)
    "share_late": (25.0, 25.0),  # for every invoice late beyond the tolerance
    "std_days_late": (0.3, 15.0),  # per day of spread
    "trend_days_per_year": (0.3, 15.0),  # per day a year of worsening
    "dispute_share": (20.0, 20.0),
    "broken_promise_share": (20.0, 20.0),
}
_METRICS = list(_PENALTY)
_GRADES = ((80.0, "A"), (65.0, "B"), (50.0, "C"), (35.0, "D"), (-np.inf, "E"))


class PayerScorer:
    """Score customers 0-100 from their payment history (see the module doc).

    Parameters
    ----------
    half_life_days : float, default 365
        Age at which an invoice's weight halves.
    tolerance_days : int, default 5
        Days late still counted as on time (and for a kept promise).
    threshold : float, default 60
        Score at or above which a customer is ``reliable``.
    prior_strength : float, default 5
        How many invoices' worth the company's figures weigh against a customer's own.

    Attributes
    ----------
    summary_ : DataFrame
        One row per customer: company, customer_id, score, reliability, grade, basis,
        n_settled, n_eff and the metrics (shrunk toward the company's).
    company_ : DataFrame
        Per company, the metrics' weighted averages (the prior a thin history shrinks to).
    promise_record_ : DataFrame
        Per customer: company, customer_id, its promises due by as-of (``n_promises``)
        and those kept (``n_kept``), what ``promise_keeping`` learns from.
    """

    def __init__(
        self,
        *,
        half_life_days: float = 365.0,
        tolerance_days: int = 5,
        threshold: float = 60.0,
        prior_strength: float = 5.0,
    ) -> None:
        self.half_life_days = half_life_days
        self.tolerance_days = tolerance_days
        self.threshold = threshold
        self.prior_strength = prior_strength
        self._arrays: LedgerArrays | None = None

    @classmethod
    def from_arrays(cls, arrays: LedgerArrays, **params: Any) -> PayerScorer:
        """A scorer that fits on the ledger ``arrays`` were computed from (``ledger_arrays``).

        The arrays do not depend on the date: computed once, they serve every fit
        (and ``CollectionForecaster.from_arrays``). ``fit`` refuses another ledger's arrays.
        """
        scorer = cls(**params)
        scorer._arrays = arrays
        return scorer

    def __repr__(self) -> str:
        fitted = f", {len(self.summary_):,} customers" if hasattr(self, "summary_") else ""
        return (
            f"PayerScorer(half_life_days={self.half_life_days}, tolerance_days="
            f"{self.tolerance_days}, threshold={self.threshold}{fitted})"
        )

    def fit(
        self,
        invoices: pd.DataFrame,
        as_of: str | pd.Timestamp,
        promises: pd.DataFrame | None = None,
    ) -> PayerScorer:
        """Learn each customer's metrics and score from what was known at ``as_of``.

        Every customer with an invoice issued by ``as_of`` gets a row.
        """
        day = to_date(as_of)
        a = arrays_for(invoices, self._arrays)
        when = day_number(day)
        decay = decay_table(a.paid, when, self.half_life_days)
        sums, count, open_amount, in_dispute, has_open, present = payer_sums(
            a, when, decay, float(self.tolerance_days)
        )
        issued = a.issue <= when
        metrics = {
            **self._history_metrics(sums, count),
            "dispute_share": np.where(
                has_open, in_dispute / np.where(has_open, open_amount, 1.0), np.nan
            ),
            **self._promises(invoices, issued, a, promises, day),
        }
        table = pd.DataFrame(
            {k: v[present] for k, v in metrics.items()},
            index=pd.MultiIndex.from_frame(a.customers.loc[present]),
        )
        n_promises = table["n_promises"].fillna(0.0)
        self.promise_record_ = pd.DataFrame(
            {
                "n_promises": n_promises.astype("int64"),
                "n_kept": (n_promises * (1 - table["broken_promise_share"].fillna(0.0)))
                .round()
                .astype("int64"),
            }
        ).reset_index()
        self.company_ = self._company_priors(table)
        self.summary_ = self._shrink_and_score(table).reset_index()
        return self

    def promise_keeping(self, prior: float = DEFAULT_KEEPING) -> pd.Series:
        """Each customer's chance of keeping a promise, indexed by company and customer:
        what the forecast weighs a promise with.

        Learned from the promises due by as-of (kept: paid within ``tolerance_days`` of
        the promised date): the company's kept share, shrunk toward ``prior`` (0.8) by
        ``prior_strength`` promises' worth; each customer's own, shrunk toward its
        company's likewise. A customer without promises gets its company's figure.

        >>> scorer = PayerScorer()
        >>> scorer.promise_record_ = pd.DataFrame({"company": ["A", "A"],
        ...     "customer_id": ["C1", "C2"], "n_promises": [10, 0], "n_kept": [2, 0]})
        >>> scorer.promise_keeping().round(3).tolist()  # A: (2 + 5 x 0.8) / 15 = 0.4
        [0.267, 0.4]
        """
        r = self.promise_record_
        k = self.prior_strength
        per_company = r.groupby("company")[["n_promises", "n_kept"]].sum()
        company = (per_company["n_kept"] + k * prior) / (per_company["n_promises"] + k)
        at = company.reindex(r["company"]).to_numpy(dtype=float)
        total = r["n_promises"].to_numpy(dtype=float) + k
        keep = (r["n_kept"].to_numpy(dtype=float) + k * at) / np.where(total > 0, total, 1.0)
        keep = np.where(total > 0, keep, at)
        return pd.Series(keep, index=pd.MultiIndex.from_frame(r[["company", "customer_id"]]))

    def classify(self, threshold: float | None = None) -> pd.DataFrame:
        """The summary with ``reliability`` recomputed at another threshold (no refit)."""
        cut = self.threshold if threshold is None else threshold
        out = self.summary_.copy()
        out["reliability"] = np.where(out["score"] >= cut, "reliable", "unreliable")
        return out

    @staticmethod
    def _history_metrics(sums: np.ndarray, count: np.ndarray) -> dict[str, np.ndarray]:
        """Per customer number: the settled history's metrics (NaN without history)."""
        w, w2, wl, wl2, wlate, rw, rwt, rwt2, rwl, rwtl = sums.T
        has = count > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = wl / w
            var_t = rwt2 / rw - (rwt / rw) ** 2
            cov = rwtl / rw - (rwt / rw) * (rwl / rw)
            trend = np.where(var_t > 1e-3, cov / var_t, 0.0)  # under ~2 weeks: no trend
            out = {
                "n_settled": count,
                "n_eff": np.where(has, w**2 / w2, 0.0),
                "avg_days_late": mean,
                "share_late": wlate / w,
                "std_days_late": np.sqrt(np.clip(wl2 / w - mean**2, 0.0, None)),
                "trend_days_per_year": np.nan_to_num(trend),
            }
        for k in ("avg_days_late", "share_late", "std_days_late", "trend_days_per_year"):
            out[k] = np.where(has, out[k], np.nan)
        return out

    def _promises(
        self,
        inv: pd.DataFrame,
        issued: np.ndarray,
        arrays: LedgerArrays,
        promises: pd.DataFrame | None,
        day: pd.Timestamp,
    ) -> dict[str, np.ndarray]:
        """Per customer number: the share of its due promises broken, and how many."""
        n = len(arrays.customers)
        if promises is None or promises.empty:
            return {"broken_promise_share": np.full(n, np.nan), "n_promises": np.full(n, np.nan)}
        due = promises[["company", "customer_id", "invoice_id", "promised_date"]].loc[
            (promises["invoice_id"] != "")
            & (promises["promised_date"] < day)
            & (promises["recorded_on"].isna() | (promises["recorded_on"] <= day))
        ]
        row = invoice_rows(inv, due, issued)  # -1: not an invoice issued by then
        when = np.where(row >= 0, arrays.paid[np.maximum(row, 0)], UNPAID)
        limit = days(due["promised_date"]) + self.tolerance_days
        kept = (when <= limit) & (when <= day_number(day))
        who = customer_numbers(due, arrays.customers)
        known = who >= 0
        code = who[known]
        count = np.bincount(code, minlength=n).astype(float)
        broken = np.bincount(code, weights=(~kept[known]).astype(float), minlength=n)
        return {
            "broken_promise_share": np.where(count > 0, broken / np.maximum(count, 1), np.nan),
            "n_promises": np.where(count > 0, count, np.nan),
        }

    def _company_priors(self, table: pd.DataFrame) -> pd.DataFrame:
        weights = table["n_eff"]
        rows = {}
        for company, g in table.groupby(level="company"):
            w = weights.loc[g.index]
            rows[company] = {
                m: float(np.average(g[m].fillna(0.0), weights=w))
                if w.sum() > 0
                else float(g[m].mean())
                if g[m].notna().any()
                else 0.0
                for m in _METRICS
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("company")

    def _shrink_and_score(self, table: pd.DataFrame) -> pd.DataFrame:
        companies = table.index.get_level_values("company")
        at = self.company_.index.get_indexer(companies)  # each customer's company row
        k = self.prior_strength
        n = table["n_eff"].to_numpy()
        out = table[["n_settled", "n_eff"]].copy()
        n_promises = table["n_promises"].fillna(0.0).to_numpy()
        for m in _METRICS:
            own = table[m].to_numpy(dtype=float)
            if m == "dispute_share":  # a present fact, not an estimate: no shrinkage
                out[m] = np.nan_to_num(own)
                continue
            prior = self.company_[m].to_numpy(dtype=float)[at]
            weight = n_promises if m == "broken_promise_share" else n
            weight = np.where(np.isnan(own), 0.0, weight)
            total = weight + k
            blended = (weight * np.nan_to_num(own) + k * prior) / np.where(total > 0, total, 1.0)
            out[m] = np.where(total > 0, blended, np.where(np.isnan(own), prior, own))
        penalty = np.zeros(len(out))
        for m, (per_unit, cap) in _PENALTY.items():
            penalty += np.clip(out[m].clip(lower=0.0).to_numpy() * per_unit, 0.0, cap)
        out["score"] = np.clip(100.0 - penalty, 0.0, 100.0).round(1)
        out["grade"] = np.select(
            [out["score"] >= lo for lo, _ in _GRADES], [g for _, g in _GRADES], default="E"
        )
        out["reliability"] = np.where(out["score"] >= self.threshold, "reliable", "unreliable")
        out["basis"] = np.where(out["n_settled"] > 0, "history", "company prior")
        return out[["score", "reliability", "grade", "basis", "n_settled", "n_eff", *_METRICS]]
