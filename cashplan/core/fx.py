"""Currency conversion into the reporting currency, with the rate valid at a date.

A rate in ``fx_rates`` is the number of units of the table's *base* currency
for one unit of ``currency``, valid from its ``date`` until the next row of
that currency. The base is the currency the table does not quote: the
reporting currency when it has no rows, otherwise the one currency of the book
without rows (:func:`implied_base`). Reporting in a quoted currency goes through
the base: ``rate(c) / rate(reporting)``.

Examples
--------
>>> rates = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
...                       "currency": ["GBP", "GBP"], "rate": [1.15, 1.20]})
>>> fx = Fx(rates, "EUR")
>>> fx.convert([100.0, 100.0, 50.0], ["GBP", "GBP", "EUR"],
...            pd.to_datetime(["2026-01-15", "2026-02-01", "2020-01-01"])).round(2).tolist()
[115.0, 120.0, 50.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cashplan.core.errors import MissingRateError
from cashplan.core.kept import kept

__all__ = ["Fx", "implied_base"]

ArrayLike = Sequence[float] | np.ndarray | pd.Series


@dataclass(frozen=True)
class Fx:
    """FX rates and the reporting currency they convert into."""

    rates: pd.DataFrame = field(repr=False)
    reporting_currency: str = "EUR"
    base_currency: str | None = None

    @classmethod
    def identity(cls, reporting_currency: str = "EUR") -> Fx:
        """No rates: only amounts already in ``reporting_currency`` convert."""
        empty = pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[us]"),
                "currency": pd.Series(dtype="str"),
                "rate": pd.Series(dtype=float),
            }
        )
        return cls(empty, reporting_currency)

    def factors(
        self,
        currencies: Sequence[str] | pd.Series,
        dates: pd.Series | pd.DatetimeIndex | np.ndarray,
    ) -> np.ndarray:
        """The multiplier into the reporting currency for each (currency, date).

        Raises
        ------
        MissingRateError
            Naming each currency and the earliest date that has no rate.
        """
        codes, uniques = pd.factorize(pd.Series(currencies), use_na_sentinel=False)  # in Arrow
        when = np.asarray(pd.to_datetime(dates), dtype="datetime64[us]")
        quoted = self._quoted(codes, np.asarray(uniques, dtype=object), when)
        rep = self.reporting_currency
        if rep in _by_currency(self.rates):
            quoted = quoted / self._quoted(
                np.zeros(len(codes), dtype=np.intp), np.array([rep], dtype=object), when
            )
        missing = np.isnan(quoted)
        if missing.any():
            cur = np.asarray(uniques, dtype=object)[codes[missing]]
            gaps = (
                pd.DataFrame({"currency": cur, "date": when[missing]})
                .groupby("currency", as_index=False)
                .agg(date=("date", "min"))
            )
            raise MissingRateError(gaps, rep)
        return quoted

    def convert(
        self,
        amounts: ArrayLike,
        currencies: Sequence[str] | pd.Series,
        dates: pd.Series | pd.DatetimeIndex | np.ndarray,
    ) -> np.ndarray:
        """Amounts in the reporting currency (NaN amounts stay NaN)."""
        return np.asarray(amounts, dtype=float) * self.factors(currencies, dates)

    def _quoted(self, codes: np.ndarray, uniques: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Table rates at each date, for currency ``uniques[codes]``: 1 for the reporting
        currency when unquoted, NaN if none."""
        out = np.full(len(codes), np.nan)
        by_currency = _by_currency(self.rates)
        for i, c in enumerate(uniques):
            rows = codes == i
            quotes = by_currency.get(c)
            if quotes is None:
                if c in (self.reporting_currency, self.base_currency):
                    out[rows] = 1.0  # the table's base (or the unquoted reporting currency)
                continue
            dates, rates = quotes
            pos = np.searchsorted(dates, when[rows], side="right") - 1
            vals = rates[np.clip(pos, 0, None)]
            out[rows] = np.where((pos >= 0) & ~np.isnat(when[rows]), vals, np.nan)
        return out


def _by_currency(rates: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each quoted currency's dates (sorted) and rates, worked out once per rates table
    (kept while the table lives: every conversion of an analysis asks for them)."""
    memo = kept(rates)
    if "quotes" not in memo:
        table = rates.sort_values(["currency", "date"], kind="stable")
        memo["quotes"] = {
            str(c): (g["date"].to_numpy(dtype="datetime64[us]"), g["rate"].to_numpy(dtype=float))
            for c, g in table.groupby("currency", sort=False)
        }
    found: dict[str, tuple[np.ndarray, np.ndarray]] = memo["quotes"]
    return found


def implied_base(used: set[str], rates: pd.DataFrame, reporting_currency: str) -> str | None:
    """The base currency of a rates table, given the currencies a book uses.

    The reporting currency when the table has no rows for it; otherwise the one
    used currency the table does not quote (None if there is not exactly one).

    >>> rates = pd.DataFrame({"date": pd.to_datetime(["2026-01-01"]), "currency": ["GBP"],
    ...                       "rate": [1.15]})
    >>> implied_base({"EUR", "GBP"}, rates, "EUR"), implied_base({"EUR", "GBP"}, rates, "GBP")
    ('EUR', 'EUR')
    """
    quoted = set(rates["currency"].unique())
    if reporting_currency not in quoted:
        return reporting_currency
    unquoted = sorted(used - quoted)
    return unquoted[0] if len(unquoted) == 1 else None
