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
>>> from cashplan.book import Book
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

import numpy as np
import pandas as pd

from cashplan._fast import group_codes, isin
from cashplan.ledger import recency_weights, settled_mask, to_date

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
    """

    def __init__(self, *, half_life_days: float = 365.0, tolerance_days: int = 5,
                 threshold: float = 60.0, prior_strength: float = 5.0) -> None:  # fmt: skip
        self.half_life_days = half_life_days
        self.tolerance_days = tolerance_days
        self.threshold = threshold
        self.prior_strength = prior_strength

    def __repr__(self) -> str:
        fitted = f", {len(self.summary_):,} customers" if hasattr(self, "summary_") else ""
        return (f"PayerScorer(half_life_days={self.half_life_days}, tolerance_days="
                f"{self.tolerance_days}, threshold={self.threshold}{fitted})")  # fmt: skip

    def fit(self, invoices: pd.DataFrame, as_of: str | pd.Timestamp,
            promises: pd.DataFrame | None = None) -> PayerScorer:  # fmt: skip
        """Learn each customer's metrics and score from what was known at ``as_of``.

        Every customer with an invoice issued by ``as_of`` gets a row.
        """
        day = to_date(as_of)
        inv = invoices.loc[invoices["issue_date"] <= day]
        keys = ["company", "customer_id"]
        customers = inv[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
        own = self._history_metrics(inv, day)
        own = own.join(self._disputes(inv, day), how="outer")
        own = own.join(self._promises(inv, promises, day), how="outer")
        table = customers.set_index(keys).join(own, how="left")
        table["n_settled"] = table["n_settled"].fillna(0).astype("int64")
        table["n_eff"] = table["n_eff"].fillna(0.0)
        self.company_ = self._company_priors(table)
        self.summary_ = self._shrink_and_score(table).reset_index()
        return self

    def classify(self, threshold: float | None = None) -> pd.DataFrame:
        """The summary with ``reliability`` recomputed at another threshold (no refit)."""
        cut = self.threshold if threshold is None else threshold
        out = self.summary_.copy()
        out["reliability"] = np.where(out["score"] >= cut, "reliable", "unreliable")
        return out

    def _history_metrics(self, inv: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
        paid = inv.loc[settled_mask(inv, day)]
        late = (paid["paid_date"] - paid["due_date"]).dt.days.to_numpy(dtype=float)
        w, age = recency_weights(paid, day, self.half_life_days)
        years = -age / 365.25
        recent = (age <= 730).astype(float)
        groups, keys = group_codes(paid, ["company", "customer_id"])
        parts = {
            "w": w, "w2": w**2, "wl": w * late, "wl2": w * late**2,
            "wlate": w * (late > self.tolerance_days), "n": np.ones_like(w),
            # recent-window weighted regression sums (for the trend)
            "rw": recent * w, "rwt": recent * w * years, "rwt2": recent * w * years**2,
            "rwl": recent * w * late, "rwtl": recent * w * years * late,
        }  # fmt: skip
        index = pd.MultiIndex.from_frame(keys)
        s = pd.DataFrame(
            {k: np.bincount(groups, weights=v, minlength=len(keys)) for k, v in parts.items()},
            index=index,
        )
        mean = s["wl"] / s["w"]
        var_t = s["rwt2"] / s["rw"] - (s["rwt"] / s["rw"]) ** 2
        cov = s["rwtl"] / s["rw"] - (s["rwt"] / s["rw"]) * (s["rwl"] / s["rw"])
        trend = (cov / var_t).where(var_t > 1e-3, 0.0)  # under ~2 weeks of spread: no trend
        return pd.DataFrame({
            "n_settled": s["n"].astype("int64"), "n_eff": s["w"] ** 2 / s["w2"],
            "avg_days_late": mean,
            "share_late": s["wlate"] / s["w"],
            "std_days_late": np.sqrt((s["wl2"] / s["w"] - mean**2).clip(lower=0.0)),
            "trend_days_per_year": trend.fillna(0.0),
        })  # fmt: skip

    def _disputes(self, inv: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
        is_open = inv["paid_date"].isna() | (inv["paid_date"] > day)
        op = inv.loc[is_open & (inv["amount"] > 0)]
        amounts = op.assign(disputed_amount=op["amount"].where(op["disputed"], 0.0))
        s = amounts.groupby(["company", "customer_id"])[["amount", "disputed_amount"]].sum()
        return pd.DataFrame({"dispute_share": s["disputed_amount"] / s["amount"]})

    def _promises(self, inv: pd.DataFrame, promises: pd.DataFrame | None,
                  day: pd.Timestamp) -> pd.DataFrame:  # fmt: skip
        cols = {
            "broken_promise_share": pd.Series(dtype=float),
            "n_promises": pd.Series(dtype=float),
        }
        if promises is None or promises.empty:
            return pd.DataFrame(cols, index=pd.MultiIndex.from_arrays([[], []],
                                names=["company", "customer_id"]))  # fmt: skip
        due = promises.loc[
            (promises["invoice_id"] != "")
            & (promises["promised_date"] < day)
            & (promises["recorded_on"].isna() | (promises["recorded_on"] <= day))
        ]
        named = inv.loc[isin(inv["invoice_id"], due["invoice_id"])]  # not the whole ledger
        paid = named.set_index(["company", "invoice_id"])["paid_date"]
        when = paid.reindex(pd.MultiIndex.from_frame(due[["company", "invoice_id"]])).to_numpy()
        limit = (due["promised_date"] + pd.Timedelta(days=self.tolerance_days)).to_numpy()
        kept = ~pd.isna(when) & (when <= limit) & (when <= np.datetime64(day))
        frame = due[["company", "customer_id"]].assign(broken=~kept)
        return frame.groupby(["company", "customer_id"]).agg(
            broken_promise_share=("broken", "mean"), n_promises=("broken", "size")
        )

    def _company_priors(self, table: pd.DataFrame) -> pd.DataFrame:
        weights = table["n_eff"]
        rows = {}
        for company, g in table.groupby(level="company"):
            w = weights.loc[g.index]
            rows[company] = {
                m: float(np.average(g[m].fillna(0.0), weights=w)) if w.sum() > 0
                else float(g[m].mean()) if g[m].notna().any() else 0.0
                for m in _METRICS
            }  # fmt: skip
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("company")

    def _shrink_and_score(self, table: pd.DataFrame) -> pd.DataFrame:
        companies = table.index.get_level_values("company")
        k = self.prior_strength
        n = table["n_eff"].to_numpy()
        out = table[["n_settled", "n_eff"]].copy()
        n_promises = table["n_promises"].fillna(0.0).to_numpy()
        for m in _METRICS:
            own = table[m].to_numpy(dtype=float)
            if m == "dispute_share":  # a present fact, not an estimate: no shrinkage
                out[m] = np.nan_to_num(own)
                continue
            prior = self.company_[m].reindex(companies).to_numpy()
            weight = n_promises if m == "broken_promise_share" else n
            weight = np.where(np.isnan(own), 0.0, weight)
            total = weight + k
            blended = (weight * np.nan_to_num(own) + k * prior) / np.where(total > 0, total, 1.0)
            out[m] = np.where(total > 0, blended, np.where(np.isnan(own), prior, own))
        penalty = np.zeros(len(out))
        for m, (per_unit, cap) in _PENALTY.items():
            penalty += np.clip(out[m].clip(lower=0.0).to_numpy() * per_unit, 0.0, cap)
        out["score"] = np.clip(100.0 - penalty, 0.0, 100.0).round(1)
        out["grade"] = np.select([out["score"] >= lo for lo, _ in _GRADES],
                                 [g for _, g in _GRADES], default="E")  # fmt: skip
        out["reliability"] = np.where(out["score"] >= self.threshold, "reliable", "unreliable")
        out["basis"] = np.where(out["n_settled"] > 0, "history", "company prior")
        return out[["score", "reliability", "grade", "basis", "n_settled", "n_eff", *_METRICS]]
